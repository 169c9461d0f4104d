// One process per directory: a trainer holds its run directory's `train.lock`, a local sweep its
// sweep directory's `sweep.lock`. On a shared filesystem (cluster tasks on several nodes) a pid
// alone means nothing, so a lock records host, pid and start time, is created atomically
// (O_EXCL), and its holder refreshes the file's mtime on a timer (the heartbeat). A lock is live
// while its holder runs: on this host, while that pid exists and its heartbeat is fresh; from
// another host, while its heartbeat is younger than STALE_AFTER_MS. A stale lock (holder killed,
// node lost) is taken over.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../base/errors.ts';
import { writeAll } from './file-write.ts';
import { LOCK_FILE } from './run-dir.ts';

/** How often a holder refreshes its lock's mtime. */
export const HEARTBEAT_MS = 15_000;
/**
 * A lock whose heartbeat is older than this is stale. The heartbeat timer runs between training
 * steps, so one step (or the final evaluation) longer than this would look stale too.
 */
export const STALE_AFTER_MS = 120_000;

export interface LockHolder {
  host: string;
  pid: number;
  /** When the holder took the lock (ISO 8601). */
  started: string;
  /** What holds it, for messages: `trainer`, `sweep`. */
  what: string;
}

export interface LockState {
  holder: LockHolder;
  live: boolean;
  /** Seconds since the last heartbeat. */
  heartbeatAge: number;
}

const HOST = os.hostname();

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseHolder(text: string): LockHolder | undefined {
  const trimmed = text.trim();
  // locks written before host and start time were recorded hold a bare pid
  if (/^\d+$/.test(trimmed)) return { host: HOST, pid: Number(trimmed), started: '', what: 'trainer' };
  try {
    const value = JSON.parse(trimmed) as Partial<LockHolder>;
    if (typeof value.host === 'string' && Number.isInteger(value.pid)) {
      return {
        host: value.host,
        pid: value.pid!,
        started: String(value.started ?? ''),
        what: String(value.what ?? 'trainer'),
      };
    }
  } catch {
    // a holder between creating the file and writing it, or a damaged file: judged by age below
  }
  return undefined;
}

/** The lock in `file` and whether its holder is still there; undefined when there is none. */
export function inspectLock(file: string, now = Date.now()): LockState | undefined {
  let text: string;
  let mtimeMs: number;
  try {
    text = fs.readFileSync(file, 'utf8');
    mtimeMs = fs.statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
  const heartbeatAge = Math.max(0, (now - mtimeMs) / 1000);
  const fresh = heartbeatAge * 1000 < STALE_AFTER_MS;
  const holder = parseHolder(text) ?? { host: '?', pid: 0, started: '', what: 'unknown process' };
  const legacy = holder.started === '' && holder.host === HOST;
  let live: boolean;
  if (holder.host === HOST && holder.pid > 0) live = pidExists(holder.pid) && (fresh || legacy);
  else live = fresh;
  return { holder, live, heartbeatAge };
}

/** `process 123 on node7 (since …)` */
export function describeHolder(holder: LockHolder): string {
  return `process ${holder.pid} on ${holder.host}${holder.started ? ` (since ${holder.started})` : ''}`;
}

function tryCreate(file: string, holder: LockHolder): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    writeAll(fd, `${JSON.stringify(holder)}\n`, file);
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

/**
 * Move a stale lock aside. Two processes may judge the same lock stale at once: the rename lets
 * only one of them move it, and a process that moved a lock other than the one it judged (a
 * fresh one, just created by the winner) puts it back.
 */
function removeStale(file: string, judged: LockState): void {
  const aside = `${file}.stale-${HOST}-${process.pid}`;
  try {
    fs.renameSync(file, aside);
  } catch {
    return;
  }
  const moved = inspectLock(aside);
  const same =
    moved && moved.holder.host === judged.holder.host && moved.holder.pid === judged.holder.pid && !moved.live;
  if (same) fs.rmSync(aside, { force: true });
  else {
    try {
      fs.linkSync(aside, file);
    } finally {
      fs.rmSync(aside, { force: true });
    }
  }
}

/**
 * Take the lock in `file` for this process, or throw a UserError naming the live holder (the
 * message starts with `busy`). Returns the function that releases it; until then a timer that
 * does not keep the process alive refreshes the heartbeat.
 */
export function acquireLock(file: string, what: string, busy: string): () => void {
  const holder: LockHolder = { host: HOST, pid: process.pid, started: new Date().toISOString(), what };
  for (let attempt = 0; !tryCreate(file, holder); attempt++) {
    const state = inspectLock(file);
    if (state?.live || attempt >= 3) {
      const who = state ? describeHolder(state.holder) : 'another process';
      const remote =
        state?.holder.host !== HOST
          ? ` (if it died, its lock is stale ${STALE_AFTER_MS / 1000} s after its last heartbeat)`
          : '';
      throw new UserError(`${busy} ${who}; stop it first${remote}`, path.dirname(file));
    }
    if (state) removeStale(file, state);
  }
  const ours = () => {
    const now = inspectLock(file);
    return (
      now !== undefined &&
      now.holder.host === HOST &&
      now.holder.pid === process.pid &&
      now.holder.started === holder.started
    );
  };
  const heartbeat = setInterval(() => {
    try {
      if (ours()) fs.utimesSync(file, new Date(), new Date());
    } catch {
      // a missed heartbeat only makes the lock look older
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();
  return () => {
    clearInterval(heartbeat);
    if (ours()) fs.rmSync(file, { force: true });
  };
}

/** Take the run directory's lock; returns the function that releases it. */
export function lockRun(runDir: string): () => void {
  return acquireLock(path.join(runDir, LOCK_FILE), 'trainer', 'is being trained by');
}

/** Whether a trainer holds the run directory now (a live lock); undefined when no lock exists. */
export function runLock(runDir: string): LockState | undefined {
  return inspectLock(path.join(runDir, LOCK_FILE));
}
