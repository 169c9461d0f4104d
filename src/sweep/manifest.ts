// A sweep directory's record of itself: sweep.json (the expanded run list with a fingerprint per
// run, and each run's last outcome) plus one record per cluster task under tasks/. Cluster tasks
// run at once on several nodes, so each writes only its own tasks/<run id>.json and never
// rewrites sweep.json; readers merge the two. The truth about a run stays its own status.json.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../base/errors.ts';
import { writeJsonAtomic } from '../run/atomic-write.ts';
import { readRunStatus } from '../run/run-state.ts';
import type { Sweep, SweepRun } from './spec.ts';

export const SWEEP_STATE_FILE = 'sweep.json';
export const LOG_DIR = 'logs';
export const TASKS_DIR = 'tasks';

export interface RunOutcome {
  state: 'finished' | 'failed' | 'interrupted';
  /** How many times a sweep launched the run (over all invocations). */
  attempts: number;
  exit_code: number | null;
  signal: string | null;
  wall_s: number;
  step?: number;
  error?: string;
  log: string;
  /** When this attempt ended (ISO 8601): the later of two records of one run wins. */
  ended?: string;
}

export interface ManifestRun extends SweepRun {
  /** Hash of the base config's text, the overrides and the seed: detects edited sweeps. */
  fingerprint: string;
}

export interface SweepState {
  version: 1;
  name: string;
  sweep_file: string;
  base: string;
  threshold: number;
  axis_names: string[];
  /** Hash of the expanded run list (index, id, fingerprint): what emitted cluster jobs check. */
  runs_hash?: string;
  runs: ManifestRun[];
  results: Record<string, RunOutcome>;
}

interface TaskRecord {
  run: ManifestRun;
  outcome: RunOutcome;
  host: string;
}

const sha = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex');

function fingerprint(baseText: string, run: SweepRun): string {
  return sha([baseText, run.overrides, run.seed]).slice(0, 16);
}

/** Changes whenever an index would name another run, or a run other settings. */
export function runsHash(runs: readonly ManifestRun[]): string {
  return sha(runs.map((r) => [r.index, r.id, r.fingerprint])).slice(0, 12);
}

function readTaskRecords(sweepDir: string): TaskRecord[] {
  const dir = path.join(sweepDir, TASKS_DIR);
  if (!fs.existsSync(dir)) return [];
  const records: TaskRecord[] = [];
  for (const name of fs.readdirSync(dir).sort()) {
    if (!name.endsWith('.json')) continue;
    try {
      records.push(JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as TaskRecord);
    } catch {
      // a record being replaced right now; the run's status.json still tells its state
    }
  }
  return records;
}

/** sweep.json merged with the cluster tasks' records; undefined before the sweep was first started. */
export function readSweepState(sweepDir: string): SweepState | undefined {
  const file = path.join(sweepDir, SWEEP_STATE_FILE);
  if (!fs.existsSync(file)) return undefined;
  const records = readTaskRecords(sweepDir);
  const state = JSON.parse(fs.readFileSync(file, 'utf8')) as SweepState;
  const known = new Set(state.runs.map((r) => r.id));
  for (const { run, outcome } of records) {
    if (!known.has(run.id)) {
      state.runs.push(run);
      known.add(run.id);
    }
    const previous = state.results[run.id];
    if (!previous || (outcome.ended ?? '') >= (previous.ended ?? '')) state.results[run.id] = outcome;
  }
  return state;
}

function manifestRuns(sweep: Sweep): ManifestRun[] {
  if (!fs.existsSync(sweep.base)) throw new UserError(`base config not found: ${sweep.base}`, sweep.file);
  const baseText = fs.readFileSync(sweep.base, 'utf8');
  return sweep.runs.map((run) => ({ ...run, fingerprint: fingerprint(baseText, run) }));
}

/** The hash of the sweep's run list as the files are now. */
export function sweepRunsHash(sweep: Sweep): string {
  return runsHash(manifestRuns(sweep));
}

/** The manifest for `sweep`; refuses when an existing run was made with other settings. */
export function prepareState(sweep: Sweep, sweepDir: string): SweepState {
  const runs = manifestRuns(sweep);
  const previous = readSweepState(sweepDir);
  const before = new Map(previous?.runs.map((r) => [r.id, r]) ?? []);
  const changed = runs.filter((r) => {
    const old = before.get(r.id);
    return old && old.fingerprint !== r.fingerprint && readRunStatus(path.join(sweepDir, r.id)) !== undefined;
  });
  if (changed.length > 0) {
    throw new UserError(
      `the sweep file or base config changed since ${changed.length} run(s) were made (e.g. ${changed[0].id}); ` +
        `use another --out, or delete those run directories under '${sweepDir}' to redo them`,
      sweep.file,
    );
  }
  return {
    version: 1,
    name: sweep.name,
    sweep_file: sweep.file,
    base: sweep.base,
    threshold: sweep.threshold,
    axis_names: sweep.axisNames,
    runs_hash: runsHash(runs),
    runs,
    results: previous?.results ?? {},
  };
}

/** Write sweep.json for the whole sweep (one writer: the local runner or the emit). */
export function writeSweepState(sweepDir: string, state: SweepState): void {
  writeJsonAtomic(path.join(sweepDir, SWEEP_STATE_FILE), state);
}

/**
 * Write sweep.json only if there is none; tasks on several nodes may race here, and a hard
 * link publishes a complete file or fails when another task was first.
 */
export function writeSweepStateIfMissing(sweepDir: string, state: SweepState): void {
  const file = path.join(sweepDir, SWEEP_STATE_FILE);
  if (fs.existsSync(file)) return;
  const tmp = `${file}.tmp-${os.hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  fs.mkdirSync(sweepDir, { recursive: true });
  fs.writeFileSync(tmp, `${JSON.stringify({ ...state, results: {} }, null, 1)}\n`);
  try {
    fs.linkSync(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** A cluster task's outcome for its run, where `report` and later sweeps find it. */
export function recordTask(sweepDir: string, run: ManifestRun, outcome: RunOutcome): void {
  const record: TaskRecord = { run, outcome, host: os.hostname() };
  writeJsonAtomic(path.join(sweepDir, TASKS_DIR, `${run.id}.json`), record);
}
