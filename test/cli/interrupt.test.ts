// The CLI's signal handling for trainer commands: the first Ctrl-C/SIGTERM aborts, a second one
// within a moment is the same request (a sweep forwarding a terminal's Ctrl-C), a later one quits.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { abortOnSignals } from '../../src/cli/interrupt.ts';

describe('abortOnSignals', () => {
  afterEach(() => vi.restoreAllMocks());

  it('aborts on the first signal, ignores a second within 2 s, exits 130 on one after that', () => {
    let now = 1_000_000;
    vi.spyOn(Date, 'now').mockImplementation(() => now);
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const listeners = () => [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];
    const before = listeners();
    const controller = new AbortController();
    const lines: string[] = [];
    const remove = abortOnSignals(controller, (l) => lines.push(l));
    try {
      process.emit('SIGINT');
      expect(controller.signal.aborted).toBe(true);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/stopping after this step to write a checkpoint/);
      now += 1500;
      process.emit('SIGTERM');
      expect(exit).not.toHaveBeenCalled();
      now += 1000;
      process.emit('SIGINT');
      expect(exit).toHaveBeenCalledWith(130);
      expect(lines).toHaveLength(1);
    } finally {
      remove();
    }
    expect(listeners()).toEqual(before);
  });
});
