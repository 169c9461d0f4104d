// Runs the method table: per task, the shared SFT warm start once (`entrolab sft` in a child
// process, resumable: a finished one is kept), then the task's sweep (configs/repro/methods-<task>.yaml)
// through the sweep runner with init_from set to that warm start, the tasks side by side on one pool
// of `workers` process slots; then the tables and the page.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../base/errors.ts';
import { readYamlFile } from '../config/load.ts';
import { PACKAGE_ROOT } from '../package-root.ts';
import { loadReportData, type ReportData } from '../report/data.ts';
import { readSummary } from '../run/run-dir.ts';
import { ProcessSlots } from '../sweep/process-slots.ts';
import { DEFAULT_TRAIN_COMMAND, runSweep } from '../sweep/runner.ts';
import { expandSweep, type Sweep } from '../sweep/spec.ts';
import { TABLE_TASKS, type TableTask, type TaskTable, taskTable } from './method-table.ts';
import { writeMethodTablePage } from './method-table-page.ts';
import { REPRO_CONFIG_DIR, sweepDirOf } from './run-claims.ts';

/** --quick: a handful of steps on a handful of prompts, to check that every row runs and is tabled. */
export const TABLE_QUICK_SET: Record<string, unknown> = {
  steps: 3,
  'rollout.prompts_per_step': 4,
  'eval.episodes': 4,
  'checkpoint.every': 3,
};
export const SFT_QUICK_SETS = ['sft.steps=10', 'sft.demos=64', 'eval.episodes=4'];

export interface MethodTableOptions {
  seeds: number[];
  quick: boolean;
  out: string;
  workers: number;
  /** Task ids to run (default: every task). */
  tasks?: string[];
  /** Row labels to run (default: every row; GRPO, the baseline, always runs). */
  rows?: string[];
  trainArgs?: string[];
  trainCommand?: string[];
  signal?: AbortSignal;
  log?: (line: string) => void;
}

export interface MethodTableOutcome {
  tables: TaskTable[];
  page: string;
  /** Wall-clock seconds per task: its warm start and its sweep. */
  wallSeconds: Record<string, { sft: number; sweep: number }>;
  failedRuns: string[];
}

/** A task's sweep file's `method` rows: label → the overrides that option applies, in file order. */
export function sweepRows(task: TableTask): { label: string; overrides: [string, unknown][] }[] {
  const doc = readYamlFile(path.join(REPRO_CONFIG_DIR, `${task.sweep}.yaml`)) as {
    axes?: { name?: string; options?: Record<string, Record<string, unknown> | null> }[];
  };
  const axis = doc.axes?.find((a) => a.name === 'method');
  if (!axis?.options) throw new Error(`configs/repro/${task.sweep}.yaml has no 'method' options axis`);
  return Object.entries(axis.options).map(([label, set]) => ({ label, overrides: Object.entries(set ?? {}) }));
}

export const warmStartDirOf = (out: string, task: TableTask) => path.join(out, 'warm-starts', task.id);

/** The task's sweep with this invocation's seeds, the quick settings and the warm start. */
export function tableSweep(task: TableTask, seeds: readonly number[], quick: boolean, warmStart: string): Sweep {
  const file = path.join(REPRO_CONFIG_DIR, `${task.sweep}.yaml`);
  const doc = readYamlFile(file) as Record<string, unknown>;
  const set = {
    ...((doc.set as Record<string, unknown> | undefined) ?? {}),
    ...(quick ? TABLE_QUICK_SET : {}),
    init_from: path.resolve(warmStart),
  };
  return expandSweep({ ...doc, name: task.sweep, seeds: [...seeds], set }, file);
}

/** `entrolab sft` of the task's warm start into <out>/warm-starts/<task>; resolves with its exit code. */
function trainWarmStart(task: TableTask, options: MethodTableOptions): Promise<number | null> {
  const dir = warmStartDirOf(options.out, task);
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const command = options.trainCommand ?? DEFAULT_TRAIN_COMMAND;
  const argv = [
    ...command,
    'sft',
    path.join(PACKAGE_ROOT, 'configs', task.sft),
    '--out',
    path.dirname(dir),
    '--name',
    task.id,
    '--resume',
    '--quiet',
    ...(options.quick ? SFT_QUICK_SETS.flatMap((s) => ['--set', s]) : []),
    ...(options.trainArgs ?? []),
  ];
  const log = fs.openSync(`${dir}.log`, 'a');
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', log, log] });
    const stop = () => child.kill('SIGTERM');
    options.signal?.addEventListener('abort', stop);
    child.once('error', () => resolve(null));
    child.once('close', (code) => {
      options.signal?.removeEventListener('abort', stop);
      fs.closeSync(log);
      resolve(code);
    });
  });
}

function loadSweepData(dir: string): ReportData | undefined {
  try {
    return loadReportData(dir);
  } catch {
    return undefined;
  }
}

export async function runMethodTable(options: MethodTableOptions): Promise<MethodTableOutcome | undefined> {
  const say = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const unknown = (options.tasks ?? []).find((t) => !TABLE_TASKS.some((task) => task.id === t));
  if (unknown)
    throw new UserError(`unknown task '${unknown}'; the tasks are ${TABLE_TASKS.map((t) => t.id).join(', ')}`, 'repro');
  const tasks = options.tasks ? TABLE_TASKS.filter((t) => options.tasks!.includes(t.id)) : [...TABLE_TASKS];
  const labels = new Set(tasks.flatMap((t) => sweepRows(t).map((r) => r.label)));
  const badRow = (options.rows ?? []).find((r) => !labels.has(r));
  if (badRow) throw new UserError(`unknown row '${badRow}'; the rows are ${[...labels].join(', ')}`, 'repro');

  const wallSeconds: MethodTableOutcome['wallSeconds'] = {};
  // Each task is a pipeline, its warm start then its sweep, and the pipelines run side by side on
  // one pool of `workers` process slots: a task's sweep starts as soon as its own warm start is
  // done, while the other's still trains, so no core waits on the longer warm start.
  const slots = new ProcessSlots(Math.max(1, options.workers));
  const failedRuns: string[] = [];
  const warmStartFailures: string[] = [];
  const tableOf = new Map<string, TaskTable>();
  const pipeline = async (task: TableTask) => {
    const warmStart = warmStartDirOf(options.out, task);
    const release = await slots.acquire();
    const sftStarted = Date.now();
    let code: number | null;
    try {
      if (options.signal?.aborted) return;
      say(`methods: warm start '${task.id}' (configs/${task.sft}) into ${warmStart}`);
      code = await trainWarmStart(task, options);
    } finally {
      release();
    }
    wallSeconds[task.id] = { sft: (Date.now() - sftStarted) / 1000, sweep: 0 };
    if (options.signal?.aborted) return;
    if (code !== 0 || readSummary(warmStart) === undefined) {
      warmStartFailures.push(task.id);
      say(`methods: the warm start of '${task.id}' did not finish (log: '${warmStart}.log'); its sweep is skipped`);
      return;
    }
    say(`methods: warm start '${task.id}' done in ${wallSeconds[task.id].sft.toFixed(0)} s`);
    const sweep = tableSweep(task, options.seeds, options.quick, warmStart);
    const wanted = options.rows ? new Set(['grpo', ...options.rows]) : undefined;
    const only = wanted ? sweep.runs.filter((r) => wanted.has(r.labels.method)).map((r) => r.index) : undefined;
    const sweepDir = sweepDirOf(options.out, task.sweep);
    fs.mkdirSync(sweepDir, { recursive: true });
    say(`methods: sweep '${task.sweep}', ${only?.length ?? sweep.runs.length} runs into ${sweepDir}`);
    const started = Date.now();
    const summary = await runSweep(sweep, {
      sweepDir,
      workers: options.workers,
      only,
      slots,
      trainArgs: options.trainArgs,
      trainCommand: options.trainCommand,
      signal: options.signal,
      log: (l) => say(`  ${task.id} ${l}`),
    });
    wallSeconds[task.id].sweep = (Date.now() - started) / 1000;
    if (options.signal?.aborted) return;
    failedRuns.push(...summary.failed, ...summary.interrupted);
    tableOf.set(task.id, taskTable(task, loadSweepData(sweepDir), sweepRows(task), options.seeds));
  };
  await Promise.all(tasks.map(pipeline));
  if (options.signal?.aborted) return undefined;
  if (warmStartFailures.length > 0)
    throw new UserError(
      `the warm start of ${warmStartFailures.map((t) => `'${t}'`).join(', ')} did not finish ` +
        `(log: ${warmStartFailures.map((t) => `'${warmStartDirOf(options.out, TABLE_TASKS.find((x) => x.id === t)!)}.log'`).join(', ')})`,
      'repro',
    );
  const tables = tasks.map((t) => tableOf.get(t.id)!);
  const page = writeMethodTablePage(options.out, tables, { seeds: options.seeds, quick: options.quick });
  return { tables, page, wallSeconds, failedRuns };
}
