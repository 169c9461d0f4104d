// A run directory's files: every name in one place, and the readers and writers of the small JSON
// files (status, summary). The larger formats keep their own modules (checkpoint.ts, metrics-log.ts,
// tensorboard.ts, lock.ts) and take their file names from here.
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../base/errors.ts';
import type { EvalResult } from '../core/evaluate.ts';
import { writeJsonAtomic } from './atomic-write.ts';

/** The full config after defaults and overrides; `eval`, `play` and `report` rebuild the run from it. */
export const RESOLVED_CONFIG_FILE = 'config.resolved.yaml';
/** One JSON object per step (metrics-log.ts). */
export const METRICS_FILE = 'metrics.jsonl';
/** Everything a resume needs (checkpoint.ts). */
export const CHECKPOINT_FILE = 'checkpoint.json';
/** The checkpoint before the latest (rotation), resumed from when the latest fails its check. */
export const PREVIOUS_CHECKPOINT_FILE = 'checkpoint.prev.json';
/** Where a resume moves a latest checkpoint that failed its check, so the next rotation keeps the good previous one. */
export const CORRUPT_CHECKPOINT_FILE = 'checkpoint.corrupt.json';
/** Where the run stands: a sweep or a second `train` reads it before touching the directory. */
export const STATUS_FILE = 'status.json';
/** The final test-split evaluation of a finished run. */
export const SUMMARY_FILE = 'summary.json';
/** The pid of the process training in this directory (lock.ts). */
export const LOCK_FILE = 'train.lock';
/** TensorBoard event files are `events.out.tfevents.<unix-seconds>.<hostname>` (tensorboard.ts). */
export const EVENTS_FILE_PREFIX = 'events.out.tfevents.';

export interface RunStatus {
  /** interrupted: stopped through the trainer's abort signal after a checkpoint of the last finished step.
   * stopped: ended early by the run itself (an entropy alarm with on_alarm: stop), checkpointed and
   * evaluated (summary.json written); `reason` says why, and `--resume` continues it. */
  state: 'running' | 'finished' | 'failed' | 'interrupted' | 'stopped';
  /** Steps finished. */
  step: number;
  total_steps: number;
  backend: string;
  error?: string;
  /** Why a `stopped` run ended. */
  reason?: string;
  /** The step at which each alarm first fired (`entropy_low`, `entropy_high`). */
  alarms?: Record<string, number>;
}

/** A run that ended on its own terms: all its steps, or stopped early by an alarm (a sweep counts both as finished). */
export function isDone(state: RunStatus['state'] | undefined): boolean {
  return state === 'finished' || state === 'stopped';
}

/** Which command wrote a run directory: `train` (GRPO) or `sft` (the supervised warm start). */
export type RunKind = 'train' | 'sft';

/** summary.json, the same shape for both kinds of run. */
export interface RunSummary {
  kind: RunKind;
  steps: number;
  /** The backend's name, as in status.json. */
  backend: string;
  /** The final test-split evaluation. */
  eval: EvalResult;
  /** Seconds spent in the steps themselves, summed over resumes. */
  train_wall_s: number;
  /** The kind's own final numbers: none for train; demo_success, final_loss, train_tokens_per_s for sft. */
  final: Record<string, number>;
}

function readJson<T>(file: string): T | undefined {
  if (!fs.existsSync(file)) return undefined;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch (e) {
    throw new UserError(`is not valid JSON (${(e as Error).message}); delete it or pass --force to start over`, file);
  }
}

/** The run's status, or undefined when the directory holds no run yet. */
export function readStatus(runDir: string): RunStatus | undefined {
  return readJson<RunStatus>(path.join(runDir, STATUS_FILE));
}

export function writeStatus(runDir: string, status: RunStatus): void {
  writeJsonAtomic(path.join(runDir, STATUS_FILE), status);
}

/** The run's summary, or undefined before the run has finished. */
export function readSummary(runDir: string): RunSummary | undefined {
  const raw = readJson<Record<string, unknown>>(path.join(runDir, SUMMARY_FILE));
  return raw && fromEarlierShape(raw);
}

/**
 * A summary.json written before both kinds shared one shape: a GRPO run's lacked `kind` and
 * `final`; an SFT run's held its evaluation under `test`, its numbers at the top level and its
 * whole wall-clock time under `wall_seconds`.
 */
function fromEarlierShape(raw: Record<string, unknown>): RunSummary {
  if (raw.final !== undefined) return raw as unknown as RunSummary;
  const sft = raw.kind === 'sft';
  const numbers = sft ? ['demo_success', 'final_loss', 'train_tokens_per_s'] : [];
  return {
    kind: sft ? 'sft' : 'train',
    steps: raw.steps as number,
    backend: raw.backend as string,
    eval: (sft ? raw.test : raw.eval) as EvalResult,
    train_wall_s: (sft ? raw.wall_seconds : raw.train_wall_s) as number,
    final: Object.fromEntries(numbers.filter((k) => typeof raw[k] === 'number').map((k) => [k, raw[k] as number])),
  };
}

export function writeSummary(runDir: string, summary: RunSummary): void {
  writeJsonAtomic(path.join(runDir, SUMMARY_FILE), summary);
}

/** Delete what a training run wrote (for `--force`); the resolved config is rewritten by the new run. */
export function clearRunOutputs(runDir: string): void {
  const events = fs.readdirSync(runDir).filter((f) => f.startsWith(EVENTS_FILE_PREFIX));
  for (const f of [
    STATUS_FILE,
    CHECKPOINT_FILE,
    PREVIOUS_CHECKPOINT_FILE,
    CORRUPT_CHECKPOINT_FILE,
    METRICS_FILE,
    SUMMARY_FILE,
    ...events,
  ]) {
    fs.rmSync(path.join(runDir, f), { force: true });
  }
}
