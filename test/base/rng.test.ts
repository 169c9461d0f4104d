import { describe, expect, it } from 'vitest';
import { makeStreams, Rng, streamStates } from '../../src/base/rng.ts';

describe('Rng', () => {
  it('same seed gives the same draws; different names give different streams', () => {
    const a = new Rng('x');
    const b = new Rng('x');
    const c = new Rng('y');
    const da = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(da);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(da);
  });

  it('a restored state continues exactly where the saved stream stopped', () => {
    const streams = makeStreams(7);
    streams.sampling.next();
    const saved = JSON.parse(JSON.stringify(streamStates(streams)));
    const expected = Array.from({ length: 4 }, () => streams.sampling.next());
    const restored = makeStreams(7, saved);
    expect(Array.from({ length: 4 }, () => restored.sampling.next())).toEqual(expected);
  });

  it('categorical follows its weights and never picks a zero weight', () => {
    const rng = new Rng('cat');
    const counts = [0, 0, 0];
    for (let i = 0; i < 20000; i++) counts[rng.categorical([1, 0, 3])] += 1;
    expect(counts[1]).toBe(0);
    expect(counts[2] / counts[0]).toBeGreaterThan(2.7);
    expect(counts[2] / counts[0]).toBeLessThan(3.3);
  });

  it('permutation is a permutation', () => {
    const p = new Rng('p').permutation(50);
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
});
