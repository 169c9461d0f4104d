// Runs a sweep's runs as parallel `entrolab train` child processes, one run directory each
// (<sweepDir>/<run id>). Truth about a run lives in its own status.json, written atomically by
// the trainer; sweep.json (also atomic) records the manifest and the last outcome of each run.
// So the sweep survives being killed anywhere: re-running skips finished runs and passes
// `--resume` to the rest, which continue from their checkpoints (anchors §4.5: local
// processes, idempotent runs, no scheduler).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeJsonAtomic } from '../run/atomic-write.ts';
import { UserError } from '../errors.ts';
import { overridesToSets, type Sweep, type SweepRun } from './spec.ts';

export const SWEEP_STATE_FILE = 'sweep.json';
export const LOG_DIR = 'logs';

/** argv prefix that runs the entrolab CLI in a child process. */
export const DEFAULT_TRAIN_COMMAND = [process.execPath, fileURLToPath(new URL('../../bin/entrolab.js', import.meta.url))];

export interface RunStatus {
  state: 'running' | 'finished' | 'failed' | 'interrupted';
  step: number;
  total_steps: number;
  error?: string;
}

export interface RunOutcome {
  state: 'finished' | 'failed' | 'interrupted';
  /** How many times this sweep launched the run (over all invocations). */
  attempts: number;
  exit_code: number | null;
  signal: string | null;
  wall_s: number;
  step?: number;
  error?: string;
  log: string;
}

interface ManifestRun extends SweepRun {
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
  runs: ManifestRun[];
  results: Record<string, RunOutcome>;
}

export interface RunnerOptions {
  sweepDir: string;
  workers: number;
  /** Run only these indices (cluster tasks pass one). */
  only?: number[];
  trainCommand?: string[];
  /** Extra arguments for every `train` (e.g. `--backend wasm`). */
  trainArgs?: string[];
  /** Children write to the terminal instead of logs/<id>.log (one run per cluster task). */
  inheritStdio?: boolean;
  /** Aborting stops launching, sends SIGTERM to running children and waits for them. */
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** Every this many ms, log the step each running run has reached (0 = never). */
  heartbeatMs?: number;
}

export interface SweepSummary {
  total: number;
  skipped: string[];
  finished: string[];
  failed: string[];
  interrupted: string[];
}

export function readRunStatus(runDir: string): RunStatus | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(runDir, 'status.json'), 'utf8')) as RunStatus;
  } catch {
    return undefined;
  }
}

export function readSweepState(sweepDir: string): SweepState | undefined {
  const file = path.join(sweepDir, SWEEP_STATE_FILE);
  if (!fs.existsSync(file)) return undefined;
  return JSON.parse(fs.readFileSync(file, 'utf8')) as SweepState;
}

function fingerprint(baseText: string, run: SweepRun): string {
  return createHash('sha256').update(JSON.stringify([baseText, run.overrides, run.seed])).digest('hex').slice(0, 16);
}

/** The manifest for `sweep`; refuses when an existing run was made with other settings. */
export function prepareState(sweep: Sweep, sweepDir: string): SweepState {
  if (!fs.existsSync(sweep.base)) throw new UserError(`base config not found: ${sweep.base}`, sweep.file);
  const baseText = fs.readFileSync(sweep.base, 'utf8');
  const previous = readSweepState(sweepDir);
  const before = new Map(previous?.runs.map((r) => [r.id, r]) ?? []);
  const runs = sweep.runs.map((run) => ({ ...run, fingerprint: fingerprint(baseText, run) }));
  const changed = runs.filter((r) => {
    const old = before.get(r.id);
    return old && old.fingerprint !== r.fingerprint && readRunStatus(path.join(sweepDir, r.id)) !== undefined;
  });
  if (changed.length > 0) {
    throw new UserError(
      `the sweep file or base config changed since ${changed.length} run(s) were made (e.g. ${changed[0].id}); ` +
        `use another --out, or delete those run directories under ${sweepDir} to redo them`,
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
    runs,
    results: previous?.results ?? {},
  };
}

/** `train` argv for one run of the sweep. */
export function trainArgv(state: SweepState, run: SweepRun, sweepDir: string, extra: readonly string[] = []): string[] {
  return [
    'train',
    state.base,
    ...overridesToSets(run.overrides).flatMap((s) => ['--set', s]),
    '--seed',
    String(run.seed),
    '--out',
    sweepDir,
    '--name',
    run.id,
    '--resume',
    '--quiet',
    ...extra,
  ];
}

function lastLine(file: string): string | undefined {
  try {
    const lines = fs.readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean);
    return lines.filter((l) => !l.startsWith('=== attempt')).pop();
  } catch {
    return undefined;
  }
}

export async function runSweep(sweep: Sweep, options: RunnerOptions): Promise<SweepSummary> {
  const { sweepDir, signal } = options;
  const say = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const command = options.trainCommand ?? DEFAULT_TRAIN_COMMAND;
  const state = prepareState(sweep, sweepDir);
  // Cluster tasks (--only) share the directory: they write the manifest only if it is missing,
  // and leave outcomes to each run's own status.json.
  const shared = options.only !== undefined;
  const saveState = () => {
    if (!shared) writeJsonAtomic(path.join(sweepDir, SWEEP_STATE_FILE), state);
  };
  if (!shared || !fs.existsSync(path.join(sweepDir, SWEEP_STATE_FILE))) writeJsonAtomic(path.join(sweepDir, SWEEP_STATE_FILE), state);

  const selected = options.only ? state.runs.filter((r) => options.only!.includes(r.index)) : state.runs;
  const summary: SweepSummary = { total: selected.length, skipped: [], finished: [], failed: [], interrupted: [] };
  const queue: typeof selected = [];
  for (const run of selected) {
    if (readRunStatus(path.join(sweepDir, run.id))?.state === 'finished') summary.skipped.push(run.id);
    else queue.push(run);
  }
  if (summary.skipped.length > 0) say(`skipping ${summary.skipped.length} finished run(s)`);
  fs.mkdirSync(path.join(sweepDir, LOG_DIR), { recursive: true });

  const children = new Set<ReturnType<typeof spawn>>();
  const active = new Set<string>();
  const heartbeat = options.heartbeatMs
    ? setInterval(() => {
        const progress = [...active].map((id) => {
          const status = readRunStatus(path.join(sweepDir, id));
          return `${id} ${status?.step ?? 0}/${status?.total_steps ?? '?'}`;
        });
        const done = summary.finished.length + summary.failed.length + summary.interrupted.length;
        if (progress.length > 0) say(`  ${done}/${queue.length} done; running: ${progress.join(', ')}`);
      }, options.heartbeatMs)
    : undefined;
  const onAbort = () => {
    for (const child of children) child.kill('SIGTERM');
  };
  signal?.addEventListener('abort', onAbort);
  // however this process ends (an error, a closed pipe, process.exit), its trainers stop with it;
  // each checkpoints the step in flight and a re-run resumes it
  process.on('exit', onAbort);
  let next = 0;

  const execute = (run: ManifestRun, position: number): Promise<void> =>
    new Promise((resolve) => {
      const runDir = path.join(sweepDir, run.id);
      const logFile = path.join(sweepDir, LOG_DIR, `${run.id}.log`);
      const previous = state.results[run.id];
      const attempts = (previous?.attempts ?? 0) + 1;
      const resuming = readRunStatus(runDir) !== undefined;
      const argv = [...command, ...trainArgv(state, run, sweepDir, options.trainArgs)];
      const tag = `[${position}/${queue.length}]`;
      say(`${tag} ${resuming ? 'resume' : 'start '} ${run.id}`);
      const started = Date.now();
      let logFd: number | undefined;
      if (!options.inheritStdio) {
        logFd = fs.openSync(logFile, 'a');
        fs.writeSync(logFd, `=== attempt ${attempts}: ${argv.map((a) => JSON.stringify(a)).join(' ')}\n`);
      }
      const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', logFd ?? 'inherit', logFd ?? 'inherit'] });
      if (logFd !== undefined) fs.closeSync(logFd);
      children.add(child);
      active.add(run.id);
      let done = false;
      const finish = (code: number | null, sig: NodeJS.Signals | null, spawnError?: Error) => {
        if (done) return;
        done = true;
        children.delete(child);
        active.delete(run.id);
        const status = readRunStatus(runDir);
        const wallSeconds = (Date.now() - started) / 1000;
        let outcome: RunOutcome['state'];
        if (status?.state === 'finished' && code === 0) outcome = 'finished';
        else if (sig !== null || status?.state === 'interrupted' || (code === 0 && status?.state !== 'failed')) outcome = 'interrupted';
        else outcome = 'failed';
        const error =
          outcome === 'finished'
            ? undefined
            : spawnError?.message ?? (status?.state === 'failed' ? status.error : undefined) ?? (sig ? `killed by ${sig}` : lastLine(logFile)) ?? `exit code ${code}`;
        state.results[run.id] = { state: outcome, attempts, exit_code: code, signal: sig, wall_s: Math.round(wallSeconds * 10) / 10, step: status?.step, error, log: path.relative(sweepDir, logFile) };
        summary[outcome].push(run.id);
        saveState();
        const where = options.inheritStdio ? '' : ` (log: ${path.relative(process.cwd(), logFile)})`;
        if (outcome === 'finished') say(`${tag} done   ${run.id} in ${wallSeconds.toFixed(1)} s`);
        else say(`${tag} ${outcome === 'failed' ? 'FAILED' : 'stopped'} ${run.id} at step ${status?.step ?? 0}: ${error}${where}`);
        resolve();
      };
      child.once('error', (e) => finish(null, null, e));
      child.once('exit', (code, sig) => finish(code, sig));
    });

  const worker = async () => {
    while (next < queue.length && !signal?.aborted) {
      const position = ++next;
      await execute(queue[position - 1], position);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.workers, queue.length)) }, worker));
  signal?.removeEventListener('abort', onAbort);
  process.off('exit', onAbort);
  if (heartbeat) clearInterval(heartbeat);
  return summary;
}
