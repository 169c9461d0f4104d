// The one signal rule of every long command (train, sft, sweep, repro): the first Ctrl-C/SIGTERM
// aborts, a second one within 2 s is the same request (a sweep forwarding a terminal's Ctrl-C), a
// later one quits at once with 130; a command stopped by its first signal ends with 130 too.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { abortOnSignals, exitInterrupted, INTERRUPTED_EXIT_CODE } from '../../src/cli/interrupt.ts';

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

  it("logs the command's own line naming the signal; 1.9 s after the first a SIGINT still does not quit", () => {
    let now = 5_000_000;
    vi.spyOn(Date, 'now').mockImplementation(() => now);
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const controller = new AbortController();
    const lines: string[] = [];
    const remove = abortOnSignals(
      controller,
      (l) => lines.push(l),
      (sig) => `${sig}: stopping the running trainers`,
    );
    try {
      process.emit('SIGTERM', 'SIGTERM');
      expect(lines).toEqual(['\nSIGTERM: stopping the running trainers']);
      now += 1900;
      process.emit('SIGINT', 'SIGINT');
      expect(exit).not.toHaveBeenCalled();
      now += 200; // 2.1 s after the first
      process.emit('SIGINT', 'SIGINT');
      expect(exit).toHaveBeenCalledTimes(1);
    } finally {
      remove();
    }
  });

  it('exitInterrupted leaves 130 as the exit status without ending the process', () => {
    const saved = process.exitCode;
    try {
      exitInterrupted();
      expect(process.exitCode).toBe(INTERRUPTED_EXIT_CODE);
      expect(INTERRUPTED_EXIT_CODE).toBe(130);
    } finally {
      process.exitCode = saved;
    }
  });
});

describe('one interrupt rule', () => {
  const files = (dir: string): string[] =>
    fs
      .readdirSync(dir, { withFileTypes: true })
      .flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)]))
      .filter((f) => f.endsWith('.ts'));

  it('no module but src/cli/interrupt.ts listens for SIGINT/SIGTERM or exits 130', () => {
    const offenders = [...files('src'), ...files('algorithms'), ...files('envs')].filter((f) => {
      if (f === path.join('src', 'cli', 'interrupt.ts')) return false;
      const text = fs.readFileSync(f, 'utf8');
      return /process\.(on|once)\(\s*'SIG(INT|TERM)'/.test(text) || /process\.exit(Code\s*=\s*|\()130/.test(text);
    });
    expect(offenders).toEqual([]);
  });

  it('train, sft, sweep and repro each install it', () => {
    const source = (file: string) => fs.readFileSync(path.join('src', 'cli', 'commands', `${file}.ts`), 'utf8');
    for (const command of ['sweep', 'repro', 'run-start']) expect(source(command), command).toMatch(/abortOnSignals\(/);
    // train and sft start their runs through run-start.ts
    for (const command of ['train', 'sft']) expect(source(command), command).toMatch(/await startRun\(args\)/);
  });
});
