// One trainer per run directory: `train.lock` holds the training process's pid. A lock left by a
// process that no longer exists (killed, machine restarted) is stale and taken over.
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.ts';

export const LOCK_FILE = 'train.lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Take the run directory's lock; returns the function that releases it. */
export function lockRun(runDir: string): () => void {
  const file = path.join(runDir, LOCK_FILE);
  if (fs.existsSync(file)) {
    const holder = Number(fs.readFileSync(file, 'utf8').trim());
    if (Number.isInteger(holder) && holder !== process.pid && alive(holder)) {
      throw new UserError(`is being trained by process ${holder}; stop it first (or delete ${LOCK_FILE} if that process is not entrolab)`, runDir);
    }
  }
  fs.writeFileSync(file, `${process.pid}\n`);
  return () => {
    if (fs.existsSync(file) && Number(fs.readFileSync(file, 'utf8').trim()) === process.pid) fs.rmSync(file);
  };
}
