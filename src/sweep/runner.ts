// Runs a sweep's runs as parallel `entrolab train` child processes, one run directory each
// (<sweepDir>/<run id>). Truth about a run lives in its own status.json, written atomically by
// the trainer; sweep.json (manifest.ts) records the run list and the last outcome of each run.
// So the sweep survives being killed anywhere: re-running skips finished runs and passes
// `--resume` to the rest, which continue from their checkpoints. A trainer that crashes (killed
// by a signal the sweep did not send, or dead without recording an error) is retried once, from
// its checkpoint; a run whose trainer recorded an error (a NaN loss) or refused a user error (exit
// 1 with its one line: a missing init_from, a memory refusal) would fail again and is not.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { USER_ERROR_EXIT_CODE } from '../base/errors.ts';
import { PACKAGE_ROOT } from '../package-root.ts';
import { openForAppend, writeAll } from '../run/file-write.ts';
import { acquireLock, describeHolder, runLock, STALE_AFTER_MS } from '../run/lock.ts';
import { isDone } from '../run/run-dir.ts';
import { readRunState, readRunStatus } from '../run/run-state.ts';
import {
  LOG_DIR,
  type ManifestRun,
  prepareState,
  type RunOutcome,
  recordTask,
  type SweepState,
  writeSweepState,
  writeSweepStateIfMissing,
} from './manifest.ts';
import type { ProcessSlots } from './process-slots.ts';
import { overridesToSets, type Sweep, type SweepRun } from './spec.ts';

export const SWEEP_LOCK_FILE = 'sweep.lock';

/** argv prefix that runs the entrolab CLI in a child process (from src/sweep/ or its build in dist/src/sweep/). */
export const DEFAULT_TRAIN_COMMAND = [process.execPath, path.join(PACKAGE_ROOT, 'bin', 'entrolab.js')];

export interface RunnerOptions {
  sweepDir: string;
  workers: number;
  /** Run only these indices (cluster tasks pass one). */
  only?: number[];
  trainCommand?: string[];
  /** Extra arguments for every `train` (e.g. `--backend wasm`). */
  trainArgs?: string[];
  /** Also copy each child's output to this process's stdout/stderr (one run per cluster task). */
  echo?: boolean;
  /** Aborting stops launching, sends SIGTERM to running children and waits for them. */
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** Every this many ms, log the step each running run has reached (0 = never). */
  heartbeatMs?: number;
  /** How often a task polls a run locked from another host (tests shorten it). */
  lockPollMs?: number;
  /** Slots shared with other work: each run holds one while it trains (at most `workers` at once still). */
  slots?: ProcessSlots;
}

export interface SweepSummary {
  total: number;
  skipped: string[];
  finished: string[];
  failed: string[];
  interrupted: string[];
  /** Runs another live process was training, left alone. */
  busy: string[];
  /** Runs whose trainer crashed and were started once more. */
  retried: string[];
}

/** `train` argv for one run of the sweep. */
export function trainArgv(
  state: Pick<SweepState, 'base'>,
  run: SweepRun,
  sweepDir: string,
  extra: readonly string[] = [],
): string[] {
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
    const lines = fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    return lines.filter((l) => !l.startsWith('=== attempt')).pop();
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runSweep(sweep: Sweep, options: RunnerOptions): Promise<SweepSummary> {
  const { sweepDir } = options;
  const state = prepareState(sweep, sweepDir);
  fs.mkdirSync(path.join(sweepDir, LOG_DIR), { recursive: true });
  // Cluster tasks (--only) share the directory with each other: each records only itself, and
  // run locks keep them apart. A whole local sweep owns the directory.
  const shared = options.only !== undefined;
  if (shared) {
    writeSweepStateIfMissing(sweepDir, state);
    return execute(state, options);
  }
  const unlock = acquireLock(path.join(sweepDir, SWEEP_LOCK_FILE), 'sweep', 'another sweep is running here:');
  try {
    writeSweepState(sweepDir, state);
    return await execute(state, options);
  } finally {
    unlock();
  }
}

async function execute(state: SweepState, options: RunnerOptions): Promise<SweepSummary> {
  const { sweepDir, signal } = options;
  const say = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const command = options.trainCommand ?? DEFAULT_TRAIN_COMMAND;
  const shared = options.only !== undefined;
  const saveOutcome = (run: ManifestRun, outcome: RunOutcome) => {
    state.results[run.id] = outcome;
    if (shared) recordTask(sweepDir, run, outcome);
    else writeSweepState(sweepDir, state);
  };

  const selected = options.only ? state.runs.filter((r) => options.only!.includes(r.index)) : state.runs;
  const summary: SweepSummary = {
    total: selected.length,
    skipped: [],
    finished: [],
    failed: [],
    interrupted: [],
    busy: [],
    retried: [],
  };
  const queue: ManifestRun[] = [];
  for (const run of selected) {
    if (isDone(readRunStatus(path.join(sweepDir, run.id))?.state)) summary.skipped.push(run.id);
    else queue.push(run);
  }
  if (summary.skipped.length > 0) say(`skipping ${summary.skipped.length} finished run(s)`);

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
  const retries = new Set<string>();
  let next = 0;

  /** False when another live process trains the run; a task waits out a lock from another host. */
  const claimable = async (run: ManifestRun): Promise<boolean> => {
    const runDir = path.join(sweepDir, run.id);
    const deadline = Date.now() + STALE_AFTER_MS + 30_000;
    for (let lock = runLock(runDir); lock?.live; lock = runLock(runDir)) {
      const remote = lock.holder.host !== os.hostname();
      if (!shared || !remote || Date.now() > deadline || signal?.aborted) {
        say(`busy   ${run.id}: being trained by ${describeHolder(lock.holder)}; left alone`);
        return false;
      }
      say(
        `wait   ${run.id}: locked by ${describeHolder(lock.holder)} (heartbeat ${lock.heartbeatAge.toFixed(0)} s ago)`,
      );
      await sleep(options.lockPollMs ?? 5000);
    }
    return true;
  };

  const launch = (run: ManifestRun, position: number): Promise<void> =>
    new Promise((resolve) => {
      const runDir = path.join(sweepDir, run.id);
      const logFile = path.join(sweepDir, LOG_DIR, `${run.id}.log`);
      const attempts = (state.results[run.id]?.attempts ?? 0) + 1;
      const before = readRunState(runDir);
      const argv = [...command, ...trainArgv(state, run, sweepDir, options.trainArgs)];
      const tag = `[${position}/${queue.length}]`;
      const how = !before ? 'start ' : before.stale ? 'resume (stale: its trainer was gone)' : 'resume';
      say(`${tag} ${how} ${run.id}`);
      const started = Date.now();
      const logFd = openForAppend(logFile);
      writeAll(logFd, `=== attempt ${attempts}: ${argv.map((a) => JSON.stringify(a)).join(' ')}\n`, logFile);
      const child = spawn(argv[0], argv.slice(1), {
        stdio: ['ignore', options.echo ? 'pipe' : logFd, options.echo ? 'pipe' : logFd],
      });
      if (options.echo) {
        child.stdout?.on('data', (d: Buffer) => (writeAll(logFd, d, logFile), process.stdout.write(d)));
        child.stderr?.on('data', (d: Buffer) => (writeAll(logFd, d, logFile), process.stderr.write(d)));
      }
      children.add(child);
      active.add(run.id);
      let done = false;
      const finish = (code: number | null, sig: NodeJS.Signals | null, spawnError?: Error) => {
        if (done) return;
        done = true;
        fs.closeSync(logFd);
        children.delete(child);
        active.delete(run.id);
        const status = readRunStatus(runDir);
        const wallSeconds = (Date.now() - started) / 1000;
        let outcome: RunOutcome['state'];
        if (isDone(status?.state) && code === 0) outcome = 'finished';
        else if (signal?.aborted || status?.state === 'interrupted' || (code === 0 && status?.state !== 'failed'))
          outcome = 'interrupted';
        else outcome = 'failed';
        // the trainer records its own errors (status failed) and refuses a user error before it
        // writes anything, exiting USER_ERROR_EXIT_CODE with the one line: both would fail the same
        // way again. Anything else (a signal, an internal error, the OOM killer) is a crash.
        const userError = code === USER_ERROR_EXIT_CODE && !sig;
        const crashed = outcome === 'failed' && status?.state !== 'failed' && !spawnError && !userError;
        const error =
          outcome === 'finished'
            ? undefined
            : (spawnError?.message ??
              (status?.state === 'failed' ? status.error : undefined) ??
              (sig ? `killed by ${sig}` : lastLine(logFile)) ??
              `exit code ${code}`);
        saveOutcome(run, {
          state: outcome,
          attempts,
          exit_code: code,
          signal: sig,
          wall_s: Math.round(wallSeconds * 10) / 10,
          step: status?.step,
          error,
          log: path.relative(sweepDir, logFile),
          ended: new Date().toISOString(),
        });
        const where = ` (log: '${path.relative(process.cwd(), logFile)}')`;
        if (outcome === 'finished') say(`${tag} done   ${run.id} in ${wallSeconds.toFixed(1)} s`);
        else
          say(
            `${tag} ${outcome === 'failed' ? 'FAILED' : 'stopped'} ${run.id} ` +
              `at step ${status?.step ?? 0}: ${error}${where}`,
          );
        if (crashed && !retries.has(run.id) && !signal?.aborted) {
          retries.add(run.id);
          summary.retried.push(run.id);
          say(`${tag} retry  ${run.id} once, from its checkpoint`);
          queue.push(run);
        } else summary[outcome].push(run.id);
        resolve();
      };
      child.once('error', (e) => finish(null, null, e));
      child.once('close', (code, sig) => finish(code, sig));
    });

  const worker = async () => {
    while (next < queue.length && !signal?.aborted) {
      const position = ++next;
      const run = queue[position - 1];
      const release = await options.slots?.acquire();
      try {
        if (signal?.aborted) break;
        if (await claimable(run)) await launch(run, position);
        else summary.busy.push(run.id);
      } finally {
        release?.();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.workers, queue.length)) }, worker));
  signal?.removeEventListener('abort', onAbort);
  process.off('exit', onAbort);
  if (heartbeat) clearInterval(heartbeat);
  return summary;
}
