// Crash-safe file writes: write a temp file beside the target, fsync it, then rename over the
// target, so a reader sees either the old file or the new one, never a torn one. The temp file
// is created exclusively and filled with every byte or not renamed at all (file-write.ts): a
// short write on a full disk leaves the old file in place, and a link planted at the temp path is
// neither followed nor kept. The rename replaces a link at the target itself, not what it points to.
import fs from 'node:fs';
import path from 'node:path';
import { diskError, openExclusive, writeAll } from './file-write.ts';

export { diskError };

/**
 * Write `file` atomically. With `previous`, the file being replaced is renamed to it first, so the
 * last two versions are kept (checkpoint rotation); a crash between the two renames leaves only
 * `previous`, which readers fall back to.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, previous?: string): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
  } catch (e) {
    throw diskError(e, file);
  }
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    fs.rmSync(tmp, { force: true });
    const fd = openExclusive(tmp);
    try {
      writeAll(fd, data, file);
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

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, `${JSON.stringify(value, null, 1)}\n`);
}
