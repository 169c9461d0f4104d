// Crash-safe file writes: write a temp file beside the target, fsync it, then rename over the
// target, so a reader sees either the old file or the new one, never a torn one.
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../base/errors.ts';

/**
 * Write `file` atomically. With `previous`, the file being replaced is renamed to it first, so the
 * last two versions are kept (checkpoint rotation); a crash between the two renames leaves only
 * `previous`, which readers fall back to.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, previous?: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw diskError(e, file);
  }
  if (previous && fs.existsSync(file)) fs.renameSync(file, previous);
  fs.renameSync(tmp, file);
}

/** A full disk or quota is the user's to fix: one line saying which file and that the old one is kept. */
export function diskError(e: unknown, file: string): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  if (code !== 'ENOSPC' && code !== 'EDQUOT') return e;
  return new UserError(`could not write: the disk is full (${code}); the previous version of the file is kept`, file);
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, `${JSON.stringify(value, null, 1)}\n`);
}
