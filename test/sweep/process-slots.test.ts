// ProcessSlots: never more holders than slots, freed slots go first come first served, and a
// release called twice gives back one slot only.
import { describe, expect, it } from 'vitest';
import { ProcessSlots } from '../../src/sweep/process-slots.ts';

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('ProcessSlots', () => {
  it('holds at most `size` at once and hands freed slots out in the order they were asked for', async () => {
    const slots = new ProcessSlots(2);
    const order: string[] = [];
    const releases = new Map<string, () => void>();
    for (const name of ['a', 'b', 'c', 'd'])
      void slots.acquire().then((release) => {
        order.push(name);
        releases.set(name, release);
      });
    await tick();
    expect(order).toEqual(['a', 'b']);
    expect(slots.available).toBe(0);
    releases.get('b')!();
    await tick();
    expect(order).toEqual(['a', 'b', 'c']);
    releases.get('b')!(); // a second release of the same slot changes nothing
    await tick();
    expect(order).toEqual(['a', 'b', 'c']);
    releases.get('a')!();
    await tick();
    expect(order).toEqual(['a', 'b', 'c', 'd']);
    releases.get('c')!();
    releases.get('d')!();
    expect(slots.available).toBe(2);
  });

  it('refuses a size that is not a positive integer', () => {
    expect(() => new ProcessSlots(0)).toThrow(/positive integer, got 0/);
    expect(() => new ProcessSlots(1.5)).toThrow(/positive integer/);
  });
});
