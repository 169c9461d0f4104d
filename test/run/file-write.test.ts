// Every byte or an error, never through a symbolic link: the writers of run and sweep files on a
// real full filesystem (a 64 KiB tmpfs, when the tests run as root and may mount one), on an fd
// whose writes stop short (a fake of write(2)'s return value, everywhere), and with a link planted
// at each path a writer opens.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { UserError } from '../../src/base/errors.ts';
import { writeFileAtomic } from '../../src/run/atomic-write.ts';
import { CHECKPOINT_VERSION, type Checkpoint, loadCheckpoint, saveCheckpoint } from '../../src/run/checkpoint.ts';
import { openForAppend, writeAll } from '../../src/run/file-write.ts';
import { MetricsLog } from '../../src/run/metrics-log.ts';
import { TensorBoardWriter } from '../../src/run/tensorboard.ts';
import { tempDir } from '../helpers.ts';

/** A 64 KiB tmpfs, or undefined where it cannot be mounted (not root, no mount(8), a container without the capability). */
function smallTmpfs(): string | undefined {
  const dir = tempDir('entrolab-tmpfs-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    return undefined;
  }
}
const tmpfs = process.getuid?.() === 0 ? smallTmpfs() : undefined;
afterAll(() => {
  if (tmpfs) execFileSync('umount', [tmpfs]);
});

const big = (bytes: number) => 'x'.repeat(bytes);
const ckpt = (step: number, floats: number): Checkpoint => ({
  version: CHECKPOINT_VERSION,
  step,
  policy: {
    kind: 'mlp',
    described: {},
    weights: [{ shape: [floats], data: Buffer.from(new Float32Array(floats).fill(step).buffer).toString('base64') }],
  },
  metricsLines: 0,
});

describe.skipIf(!tmpfs)('writers on a full 64 KiB tmpfs (write(2) returns fewer bytes than asked)', () => {
  const fresh = () => {
    for (const f of fs.readdirSync(tmpfs!)) fs.rmSync(path.join(tmpfs!, f), { recursive: true, force: true });
    return tmpfs!;
  };
  it.each([
    ['status.json', 100_000],
    ['summary.json', 70_000],
    ['config.resolved.yaml', 1_000_000],
  ])('writeFileAtomic(%s, %d bytes) fails in one line and keeps the old file', (name, bytes) => {
    const dir = fresh();
    const file = path.join(dir, name);
    writeFileAtomic(file, 'old');
    expect(() => writeFileAtomic(file, big(bytes))).toThrow(UserError);
    expect(() => writeFileAtomic(file, big(bytes))).toThrow(/could not write: the disk is full \(ENOSPC\)/);
    expect(fs.readFileSync(file, 'utf8')).toBe('old');
    expect(fs.readdirSync(dir)).toEqual([name]);
  });

  it('a checkpoint that does not fit leaves the good one in place, not rotated to .prev', () => {
    const dir = fresh();
    saveCheckpoint(dir, ckpt(1, 100));
    expect(() => saveCheckpoint(dir, ckpt(2, 20_000))).toThrow(/checkpoint\.json: could not write: the disk is full/);
    expect(loadCheckpoint(dir).step).toBe(1);
    expect(fs.readdirSync(dir)).toEqual(['checkpoint.json']);
  });

  it('metrics.jsonl and TensorBoard appends fail in one line once the disk fills', () => {
    const dir = fresh();
    const log = new MetricsLog(dir);
    const line = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`k${i}`, i]));
    const fill = () => {
      for (let step = 1; step < 10_000; step++) log.append({ step, ...line });
    };
    expect(fill).toThrow(/metrics\.jsonl: could not write: the disk is full \(ENOSPC\)/);
    log.close();
    fresh();
    const tb = new TensorBoardWriter(dir);
    expect(() => {
      for (let step = 1; step < 10_000; step++) tb.write(step, line);
    }).toThrow(/events\.out\.tfevents\.[^:]+: could not write: the disk is full/);
    tb.close();
  });
});

describe('writeAll on an fd whose writes stop short (write(2) faked)', () => {
  // each case: what successive writes return (a number of bytes, or an errno code thrown)
  const cases: [string, (number | string)[], RegExp | undefined][] = [
    ['one short write, then the rest', [3, 1e9], undefined],
    ['many one-byte writes', Array(64).fill(1), undefined],
    ['short, then nothing written', [4096, 0], /only 4096 of 10000 bytes were written \(is the disk full\?\)/],
    ['nothing written at all', [0], /only 0 of 10000 bytes were written/],
    ['short, then ENOSPC', [4096, 'ENOSPC'], /could not write: the disk is full \(ENOSPC\)/],
    ['short, then EDQUOT', [10, 'EDQUOT'], /the disk is full \(EDQUOT\)/],
    ['short, then EFBIG (ulimit -f)', [10, 'EFBIG'], /the disk is full \(EFBIG\)/],
  ];
  it.each(cases)('%s', (_what, returns, error) => {
    const dir = tempDir();
    const file = path.join(dir, 'f');
    const data = big(error ? 10_000 : 64);
    const real = fs.writeSync;
    let call = 0;
    const spy = vi.spyOn(fs, 'writeSync').mockImplementation(((
      fd: number,
      buf: Uint8Array,
      off: number,
      len: number,
    ) => {
      const r = returns[Math.min(call++, returns.length - 1)];
      if (typeof r === 'string') throw Object.assign(new Error(`${r}: faked`), { code: r });
      return real(fd, buf, off, Math.min(len, r));
    }) as typeof fs.writeSync);
    const fd = fs.openSync(file, 'w');
    try {
      if (error) expect(() => writeAll(fd, data, file)).toThrow(error);
      else writeAll(fd, data, file);
    } finally {
      spy.mockRestore();
      fs.closeSync(fd);
    }
    if (!error) expect(fs.readFileSync(file, 'utf8')).toBe(data);
  });

  it('an atomic write whose write stops short keeps the old file and leaves no temp file', () => {
    const dir = tempDir();
    const file = path.join(dir, 'checkpoint.json');
    writeFileAtomic(file, 'old');
    const real = fs.writeSync;
    let call = 0;
    const spy = vi
      .spyOn(fs, 'writeSync')
      .mockImplementation(((fd: number, buf: Uint8Array, off: number, len: number) =>
        call++ === 0 ? real(fd, buf, off, Math.min(len, 4096)) : 0) as typeof fs.writeSync);
    try {
      expect(() => writeFileAtomic(file, big(100_000))).toThrow(/only 4096 of 100000 bytes were written/);
    } finally {
      spy.mockRestore();
    }
    expect(fs.readFileSync(file, 'utf8')).toBe('old');
    expect(fs.readdirSync(dir)).toEqual(['checkpoint.json']);
  });
});

describe('no writer follows a symbolic link planted in a run directory', () => {
  const outside = () => {
    const file = path.join(tempDir('entrolab-outside-'), 'notes.txt');
    fs.writeFileSync(file, 'precious\n');
    return file;
  };
  const writers: [string, (dir: string) => string, (dir: string) => void][] = [
    ['metrics.jsonl (fresh run)', (d) => path.join(d, 'metrics.jsonl'), (d) => new MetricsLog(d).close()],
    [
      'metrics.jsonl (resume keeping lines)',
      (d) => path.join(d, 'metrics.jsonl'),
      (d) => new MetricsLog(d, { records: [{ step: 1 }] }).close(),
    ],
    [
      'an append to any run file',
      (d) => path.join(d, 'x.log'),
      (d) => fs.closeSync(openForAppend(path.join(d, 'x.log'))),
    ],
    [
      'the TensorBoard event file',
      (d) => new TensorBoardWriter(d, () => 1000).file,
      (d) => {
        const tb = new TensorBoardWriter(d, () => 1000);
        try {
          tb.write(1, { a: 1 });
        } finally {
          tb.close();
        }
      },
    ],
    [
      "an atomic write's temp file",
      (d) => path.join(d, `status.json.tmp-${process.pid}`),
      (d) => writeFileAtomic(path.join(d, 'status.json'), 'new'),
    ],
  ];
  it.each(writers)('%s', (what, linkPath, write) => {
    const dir = tempDir();
    const target = outside();
    fs.symlinkSync(target, linkPath(dir));
    if (what.includes('temp file')) {
      write(dir); // the link at the temp path is removed, not written through
      expect(fs.readFileSync(path.join(dir, 'status.json'), 'utf8')).toBe('new');
    } else {
      expect(() => write(dir)).toThrow(/is a symbolic link; entrolab never writes through one/);
    }
    expect(fs.readFileSync(target, 'utf8')).toBe('precious\n');
  });

  it('an atomic write replaces a link at the target itself, leaving what it pointed to alone', () => {
    const dir = tempDir();
    const target = outside();
    fs.symlinkSync(target, path.join(dir, 'summary.json'));
    writeFileAtomic(path.join(dir, 'summary.json'), '{}');
    expect(fs.lstatSync(path.join(dir, 'summary.json')).isSymbolicLink()).toBe(false);
    expect(fs.readFileSync(target, 'utf8')).toBe('precious\n');
  });

  it('a FIFO or directory where a run file belongs is refused rather than opened', () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'metrics.jsonl'));
    expect(() => new MetricsLog(dir)).toThrow(/metrics\.jsonl: is not a regular file/);
  });
});
