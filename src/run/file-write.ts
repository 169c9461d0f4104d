// The two rules of every byte entrolab writes into a run or sweep directory. Every byte or an
// error: `write(2)` may write fewer bytes than asked (a nearly full disk returns the part that
// fits) without failing, so a write that stops short is retried for the rest and a write that
// makes no progress is a failure, never a truncated file taken for a whole one. Never through a
// symbolic link: a link planted in a run directory (`metrics.jsonl -> ~/notes.txt`) is refused,
// not followed, so a resume cannot truncate or append to a file outside the directory.
import fs from 'node:fs';
import { UserError } from '../base/errors.ts';

/** fs.constants.O_NOFOLLOW (0 where the platform has none: Windows, which has no such links to follow). */
const NO_FOLLOW = fs.constants.O_NOFOLLOW ?? 0;

/** A full disk or quota is the user's to fix: one line saying which file and that the old one is kept. */
export function diskError(e: unknown, file: string): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  if (code !== 'ENOSPC' && code !== 'EDQUOT' && code !== 'EFBIG') return e;
  return new UserError(`could not write: the disk is full (${code}); the previous version of the file is kept`, file);
}

/** Write all of `data` at the fd's position: short writes continue, a write of nothing fails. */
export function writeAll(fd: number, data: string | Uint8Array, file: string): void {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  let done = 0;
  while (done < bytes.length) {
    let wrote: number;
    try {
      wrote = fs.writeSync(fd, bytes, done, bytes.length - done);
    } catch (e) {
      throw diskError(e, file);
    }
    if (wrote <= 0) {
      throw new UserError(
        `could not write: only ${done} of ${bytes.length} bytes were written (is the disk full?); ` +
          'the previous version of the file is kept',
        file,
      );
    }
    done += wrote;
  }
}

/** Refuses a path that is a symbolic link or anything but a regular file (a FIFO would block). */
export function assertRegularOrAbsent(file: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(file);
  } catch {
    return;
  }
  if (stat.isSymbolicLink())
    throw new UserError(
      'is a symbolic link; entrolab never writes through one in a run directory (replace it with the file itself)',
      file,
    );
  if (!stat.isFile()) throw new UserError('is not a regular file; move it out of the run directory', file);
}

/**
 * Open `file` to append to it (created if missing), refusing a symbolic link race-free (O_NOFOLLOW);
 * `read` also allows reading it back through the fd.
 */
export function openForAppend(file: string, opts: { read?: boolean } = {}): number {
  assertRegularOrAbsent(file);
  const { O_APPEND, O_CREAT, O_RDWR, O_WRONLY } = fs.constants;
  try {
    return fs.openSync(file, (opts.read ? O_RDWR : O_WRONLY) | O_APPEND | O_CREAT | NO_FOLLOW, 0o644);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') assertRegularOrAbsent(file);
    throw diskError(e, file);
  }
}

/** Create `file`, which must not exist: O_EXCL neither follows nor replaces a link or file at its path. */
export function openExclusive(file: string): number {
  try {
    return fs.openSync(file, 'wx', 0o644);
  } catch (e) {
    throw diskError(e, file);
  }
}
