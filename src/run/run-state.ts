// Where a run directory stands, as sweeps, reports and eval see it: its status.json, and whether
// a `running` status still has a trainer behind it. A trainer killed by the OOM killer or
// `kill -9` never rewrites status.json, so `running` alone does not say a run is alive; its
// lock does (lock.ts): a run that says `running` without a live lock is stale.
import { describeHolder, type LockHolder, runLock } from './lock.ts';
import { type RunStatus, readStatus } from './run-dir.ts';

/** The run's status.json, or undefined when there is none (or it cannot be read). */
export function readRunStatus(runDir: string): RunStatus | undefined {
  try {
    return readStatus(runDir);
  } catch {
    return undefined;
  }
}

export interface RunState {
  status: RunStatus;
  /** The status says `running` and a trainer holds the lock. */
  live: boolean;
  /** The status says `running` but no live trainer holds the lock (crashed or killed). */
  stale: boolean;
  /** The lock's holder, live or not. */
  holder?: LockHolder;
}

export function readRunState(runDir: string): RunState | undefined {
  const status = readRunStatus(runDir);
  if (!status) return undefined;
  const lock = runLock(runDir);
  const live = lock?.live ?? false;
  return {
    status,
    live: status.state === 'running' && live,
    stale: status.state === 'running' && !live,
    holder: lock?.holder,
  };
}

/** One line for a run that is not simply finished or stopped: still training, or stale. */
export function describeRunState(runDir: string, state = readRunState(runDir)): string | undefined {
  if (!state) return undefined;
  const at = `step ${state.status.step}/${state.status.total_steps}`;
  if (state.live) return `${runDir} is still training (${at}, ${describeHolder(state.holder!)})`;
  if (state.stale) {
    const who = state.holder ? `its trainer, ${describeHolder(state.holder)}, is gone` : 'no trainer holds it';
    return `${runDir} says running but ${who}: it crashed or was killed at ${at}; resume it with --resume`;
  }
  return undefined;
}
