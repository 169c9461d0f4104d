// `entrolab sweep <sweep.yaml>`: expand a sweep file into runs and execute them in parallel
// worker processes (resumable), or list them (--dry-run), or write a cluster job (--emit).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { BACKENDS, type BackendChoice, selectBackend } from '../../backend/backend.ts';
import { UserError } from '../../base/errors.ts';
import { loadConfigPlugins } from '../../config/load.ts';
import { loadedPlugins, loadPlugins } from '../../plugins/load-plugins.ts';
import { loadReportData } from '../../report/data.ts';
import { tableToMarkdown, writeReport } from '../../report/report.ts';
import { DEFAULT_RESOURCES, MEASURED_RUN, shellQuote } from '../../sweep/emit.ts';
import { emitJob } from '../../sweep/emit-job.ts';
import { LOG_DIR } from '../../sweep/manifest.ts';
import { runListing } from '../../sweep/run-listing.ts';
import { DEFAULT_TRAIN_COMMAND, runSweep, type SweepSummary } from '../../sweep/runner.ts';
import { assertRunsHash, selectOnly } from '../../sweep/select-runs.ts';
import { loadSweep, type Sweep } from '../../sweep/spec.ts';
import { validateRuns } from '../../sweep/validate-runs.ts';
import { abortOnSignals, exitInterrupted } from '../interrupt.ts';
import { numberOption, WORKERS_RANGE } from '../number-flag.ts';
import { resumeHint } from '../scheduler.ts';

interface SweepArgs {
  file: string;
  workers?: number;
  out: string;
  'dry-run': boolean;
  only?: string;
  'runs-hash'?: string;
  emit?: 'slurm' | 'k8s';
  parallel?: number;
  cpus: number;
  mem: string;
  time: string;
  node: string;
  setup: string[];
  requeue: boolean;
  image: string;
  pvc: string;
  backend?: BackendChoice;
  report: boolean;
}

function emit(args: SweepArgs, sweep: Sweep, sweepDir: string, extraArgs: string[]): void {
  if (args.workers !== undefined)
    throw new UserError('with --emit, say how many tasks run at once with --parallel', '--workers');
  const job = emitJob(sweep, sweepDir, {
    ...args,
    kind: args.emit!,
    cli: DEFAULT_TRAIN_COMMAND[1],
    extraArgs,
  });
  process.stdout.write(
    `wrote ${shellQuote(job.file)} (${sweep.runs.length} tasks); submit with: ${job.submit}\n` +
      `then: entrolab report ${job.reportDir}\n`,
  );
}

function summaryError(summary: SweepSummary, sweepDir: string): UserError | undefined {
  const name = (ids: string[]) =>
    `${ids.slice(0, 10).join(', ')}${ids.length > 10 ? `, and ${ids.length - 10} more` : ''}`;
  const parts = [
    summary.failed.length > 0 ? `${summary.failed.length} run(s) failed: ${name(summary.failed)}` : '',
    summary.interrupted.length > 0 ? `${summary.interrupted.length} stopped: ${name(summary.interrupted)}` : '',
    summary.busy.length > 0 ? `${summary.busy.length} being trained by another process: ${name(summary.busy)}` : '',
  ].filter(Boolean);
  if (parts.length === 0) return undefined;
  const logs = shellQuote(path.join(sweepDir, LOG_DIR));
  return new UserError(
    `${parts.join('; ')} (logs in ${logs}); ` +
      resumeHint('run the same command again to retry them (finished runs are skipped)'),
  );
}

export const sweepCommand: CommandModule<object, SweepArgs> = {
  command: 'sweep <file>',
  describe: 'run a grid of configs × seeds in parallel processes (resumable), then report',
  builder: (y) =>
    y
      .positional('file', {
        type: 'string',
        demandOption: true,
        describe: 'sweep file (see configs/sweeps/ and docs/sweeps.md)',
      })
      .option(
        'workers',
        numberOption('workers', 'runs at once, one process each (default: the number of cores)', WORKERS_RANGE),
      )
      .option('out', {
        type: 'string',
        default: 'runs',
        describe: 'parent directory; the sweep directory is <out>/<sweep name>',
      })
      .option('dry-run', {
        type: 'boolean',
        default: false,
        describe: 'list the runs (index, id, state, overrides) and exit',
      })
      .option('only', { type: 'string', describe: 'run just this run index or id (what cluster tasks call)' })
      .option('runs-hash', {
        type: 'string',
        describe: 'with --only: refuse unless the sweep still expands to this run list (emitted jobs pass it)',
      })
      .option('emit', {
        choices: ['slurm', 'k8s'] as const,
        describe: 'write a Slurm array script or a Kubernetes Indexed Job instead of running',
      })
      .option('parallel', numberOption('parallel', '--emit: tasks at once (default: all)', { min: 1, max: 1_000_000 }))
      .option(
        'cpus',
        numberOption(
          'cpus',
          `--emit: CPUs per task (one run measured ~${MEASURED_RUN.cpus})`,
          { min: 1, max: 1024 },
          DEFAULT_RESOURCES.cpus,
        ),
      )
      .option('mem', {
        type: 'string',
        default: DEFAULT_RESOURCES.mem,
        describe: `--emit: memory per task, e.g. 512M, 2G (one run measured ~${MEASURED_RUN.memGb} GB)`,
      })
      .option('time', {
        type: 'string',
        default: DEFAULT_RESOURCES.time,
        describe: '--emit: time limit per task: minutes, HH:MM:SS or D-HH:MM:SS',
      })
      .option('node', {
        type: 'string',
        default: process.execPath,
        describe: '--emit slurm: node on the compute nodes (absolute path, or a name --setup puts on PATH)',
      })
      .option('setup', {
        type: 'string',
        array: true,
        default: [] as string[],
        describe: "--emit slurm: a shell line run first, e.g. 'module load nodejs/20' (repeatable)",
      })
      .option('requeue', {
        type: 'boolean',
        default: true,
        describe: '--emit slurm: let Slurm requeue a task after a node failure or preemption',
      })
      .option('image', {
        type: 'string',
        default: 'entrolab:latest',
        describe: '--emit k8s: container image holding the repository at /app',
      })
      .option('pvc', {
        type: 'string',
        default: 'entrolab-runs',
        describe: '--emit k8s: PersistentVolumeClaim for the runs, mounted at /runs',
      })
      .option('backend', { choices: BACKENDS, describe: 'passed to every train run (default auto)' })
      .option('report', {
        type: 'boolean',
        default: true,
        describe: 'write report.html and print the summary table when the sweep ends',
      })
      .example('$0 sweep configs/sweeps/ablation.yaml', 'run the regularizer ablation on all cores')
      .example('$0 sweep configs/sweeps/ablation.yaml --dry-run', 'list its runs')
      .example(
        '$0 sweep configs/sweeps/ablation.yaml --emit slurm --parallel 8',
        'write a Slurm array script',
      ) as never,
  handler: async (args) => {
    const sweep = loadSweep(args.file);
    const sweepDir = path.join(args.out, sweep.name);
    // --plugin and the sweep's plugins go to every run by absolute path; the base config's own the runs import
    await loadPlugins(sweep.plugins);
    const pluginArgs = loadedPlugins().flatMap((p) => ['--plugin', p.file]);
    if (fs.existsSync(sweep.base)) await loadConfigPlugins(sweep.base);
    const trainArgs = [...(args.backend ? ['--backend', args.backend] : []), ...pluginArgs];
    const only = args.only !== undefined ? selectOnly(sweep, args.only) : undefined;
    if (args['runs-hash'] !== undefined) assertRunsHash(sweep, args['runs-hash']);
    // the runs train on this machine's backend; an emitted job's machines are not this one
    const backend = args.emit ? undefined : (await selectBackend(args.backend ?? 'auto')).name;
    validateRuns(sweep, only ? only.map((i) => sweep.runs[i]) : sweep.runs, backend);

    if (args['dry-run']) {
      // One write: the listing fits the pipe buffer, so `| head` does not end in EPIPE.
      process.stdout.write(`${runListing(sweep, sweepDir, only).join('\n')}\n`);
      return;
    }
    if (args.emit) return emit(args, sweep, sweepDir, [...trainArgs, '--no-report']);

    const workers = args.workers ?? os.availableParallelism();
    if (!Number.isInteger(workers) || workers < 1)
      throw new UserError(`must be a whole number >= 1, got ${workers}`, '--workers');
    const controller = new AbortController();
    const removeHandlers = abortOnSignals(
      controller,
      (line) => process.stderr.write(`${line}\n`),
      (sig) => `${sig}: stopping the running trainers; ${resumeHint('run the same command again to resume')}`,
    );
    const started = Date.now();
    if (!only)
      process.stderr.write(
        `sweep '${sweep.name}': ${sweep.runs.length} runs, ${workers} workers, into ${shellQuote(sweepDir)}\n`,
      );
    const summary = await runSweep(sweep, {
      sweepDir,
      workers,
      only,
      trainArgs,
      echo: only !== undefined,
      signal: controller.signal,
      heartbeatMs: only ? 0 : 30_000,
    }).finally(removeHandlers);
    const minutes = ((Date.now() - started) / 60000).toFixed(1);
    const retried = summary.retried.length > 0 ? ` (${summary.retried.length} retried after a crash)` : '';
    process.stderr.write(
      `sweep '${sweep.name}': ${summary.finished.length} finished, ${summary.skipped.length} already done, ` +
        `${summary.failed.length} failed, ${summary.interrupted.length} interrupted in ${minutes} min${retried}\n`,
    );
    if (controller.signal.aborted) return exitInterrupted();
    if (args.report && !only) {
      const out = writeReport(loadReportData(sweepDir));
      process.stdout.write(tableToMarkdown(out.table));
      process.stderr.write(`report: ${shellQuote(out.html)}\n`);
    }
    const error = summaryError(summary, sweepDir);
    if (error) throw error;
  },
};
