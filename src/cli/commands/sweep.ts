// `entrolab sweep <sweep.yaml>`: expand a sweep file into runs and execute them in parallel
// worker processes (resumable), or list them (--dry-run), or write a cluster job (--emit).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { writeFileAtomic, writeJsonAtomic } from '../../run/atomic-write.ts';
import { loadConfig } from '../../config/load.ts';
import { UserError } from '../../errors.ts';
import { loadReportData } from '../../report/data.ts';
import { tableToMarkdown, writeReport } from '../../report/report.ts';
import { k8sManifest, slurmScript } from '../../sweep/emit.ts';
import { LOG_DIR, prepareState, readRunStatus, runSweep, SWEEP_STATE_FILE } from '../../sweep/runner.ts';
import { loadSweep, overridesToSets, type Sweep, type SweepRun } from '../../sweep/spec.ts';

interface SweepArgs {
  file: string;
  workers: number;
  out: string;
  'dry-run': boolean;
  only?: string;
  emit?: 'slurm' | 'k8s';
  image: string;
  pvc: string;
  backend?: string;
  report: boolean;
}

/** Validate every run's config before launching anything, so a typo fails in one second. */
function validateRuns(sweep: Sweep, runs: readonly SweepRun[]): void {
  for (const run of runs) {
    try {
      loadConfig(sweep.base, [...overridesToSets(run.overrides), `seed=${run.seed}`, `name=${JSON.stringify(run.id)}`]);
    } catch (e) {
      if (e instanceof UserError) throw new UserError(`run ${run.id}: ${e.message}`, sweep.file);
      throw e;
    }
  }
}

function selectOnly(sweep: Sweep, only: string): number[] {
  const byId = sweep.runs.find((r) => r.id === only);
  if (byId) return [byId.index];
  const index = Number(only);
  if (!Number.isInteger(index) || index < 0 || index >= sweep.runs.length) {
    throw new UserError(`--only ${only}: expected a run index 0..${sweep.runs.length - 1} or a run id (see --dry-run)`, sweep.file);
  }
  return [index];
}

function describeRun(sweepDir: string, run: SweepRun): string {
  const status = readRunStatus(path.join(sweepDir, run.id));
  const state = !status ? 'new' : status.state === 'finished' ? 'finished' : `${status.state} at ${status.step}/${status.total_steps}`;
  const sets = overridesToSets(run.overrides).join(' ');
  return `${String(run.index).padStart(4)}  ${run.id.padEnd(40)} ${state.padEnd(20)} seed=${run.seed} ${sets}`;
}

export const sweepCommand: CommandModule<object, SweepArgs> = {
  command: 'sweep <file>',
  describe: 'run a grid of configs × seeds in parallel processes (resumable), then report',
  builder: (y) =>
    y
      .positional('file', { type: 'string', demandOption: true, describe: 'sweep file (see configs/sweeps/ and docs/sweeps.md)' })
      .option('workers', { type: 'number', default: os.availableParallelism(), describe: 'runs at once (one process each)' })
      .option('out', { type: 'string', default: 'runs', describe: 'parent directory; the sweep directory is <out>/<sweep name>' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'list the runs (index, id, state, overrides) and exit' })
      .option('only', { type: 'string', describe: 'run just this run index or id (what cluster tasks call)' })
      .option('emit', { choices: ['slurm', 'k8s'] as const, describe: 'write a Slurm array script or a Kubernetes Indexed Job instead of running' })
      .option('image', { type: 'string', default: 'entrolab:latest', describe: '--emit k8s: container image holding the repository at /app' })
      .option('pvc', { type: 'string', default: 'entrolab-runs', describe: '--emit k8s: PersistentVolumeClaim mounted at the --out directory' })
      .option('backend', { type: 'string', describe: 'passed to every train run (auto|tensorflow|wasm|cpu)' })
      .option('report', { type: 'boolean', default: true, describe: 'write report.html and print the summary table when the sweep ends' })
      .example('$0 sweep configs/sweeps/ablation.yaml', 'run the regularizer ablation on all cores')
      .example('$0 sweep configs/sweeps/ablation.yaml --dry-run', 'list its runs')
      .example('$0 sweep configs/sweeps/ablation.yaml --emit slurm', 'write a Slurm array script') as never,
  handler: async (args) => {
    const sweep = loadSweep(args.file);
    const sweepDir = path.join(args.out, sweep.name);
    const trainArgs = args.backend ? ['--backend', args.backend] : [];
    const only = args.only !== undefined ? selectOnly(sweep, args.only) : undefined;
    validateRuns(sweep, only ? only.map((i) => sweep.runs[i]) : sweep.runs);

    if (args['dry-run']) {
      // One write: the listing fits the pipe buffer, so `| head` does not end in EPIPE.
      const lines = [
        `sweep '${sweep.name}': ${sweep.runs.length} runs (${sweep.runs.length / sweep.seeds.length} cells × ${sweep.seeds.length} seeds) into ${sweepDir}`,
        `base config: ${path.relative(process.cwd(), sweep.base)}`,
        ...sweep.runs.filter((run) => !only || only.includes(run.index)).map((run) => describeRun(sweepDir, run)),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
      return;
    }

    if (args.emit) {
      const state = prepareState(sweep, sweepDir);
      writeJsonAtomic(path.join(sweepDir, SWEEP_STATE_FILE), state);
      // Slurm does not create the directory of --output files.
      fs.mkdirSync(path.join(sweepDir, LOG_DIR), { recursive: true });
      const options = {
        sweepFile: args.file,
        out: args.out,
        name: sweep.name,
        runs: sweep.runs.length,
        parallel: Math.max(1, Math.min(args.workers, sweep.runs.length)),
        extraArgs: [...trainArgs, '--no-report'],
        workdir: process.cwd(),
        image: args.image,
        pvc: args.pvc,
      };
      const file = path.join(sweepDir, args.emit === 'slurm' ? 'sweep.slurm.sh' : 'sweep.k8s.yaml');
      writeFileAtomic(file, args.emit === 'slurm' ? slurmScript(options) : k8sManifest(options));
      const submit = args.emit === 'slurm' ? `sbatch ${file}` : `kubectl apply -f ${file}`;
      process.stdout.write(`wrote ${file} (${sweep.runs.length} tasks); submit with: ${submit}\nthen: entrolab report ${sweepDir}\n`);
      return;
    }

    const controller = new AbortController();
    let interrupts = 0;
    const onSignal = (sig: NodeJS.Signals) => {
      interrupts += 1;
      if (interrupts > 1) process.exit(130);
      process.stderr.write(`\n${sig}: stopping the running trainers; run the same command again to resume\n`);
      controller.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    if (!Number.isInteger(args.workers) || args.workers < 1) throw new UserError(`must be a whole number >= 1, got ${args.workers}`, '--workers');
    const workers = args.workers;
    const started = Date.now();
    if (!only) process.stderr.write(`sweep '${sweep.name}': ${sweep.runs.length} runs, ${workers} workers, into ${sweepDir}\n`);
    const summary = await runSweep(sweep, { sweepDir, workers, only, trainArgs, inheritStdio: only !== undefined, signal: controller.signal, heartbeatMs: only ? 0 : 30_000 });
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    const minutes = ((Date.now() - started) / 60000).toFixed(1);
    process.stderr.write(
      `sweep '${sweep.name}': ${summary.finished.length} finished, ${summary.skipped.length} already done, ` +
        `${summary.failed.length} failed, ${summary.interrupted.length} interrupted in ${minutes} min\n`,
    );
    if (controller.signal.aborted) process.exit(130);
    if (args.report && !only) {
      const out = writeReport(loadReportData(sweepDir));
      process.stdout.write(tableToMarkdown(out.table));
      process.stderr.write(`report: ${out.html}\n`);
    }
    if (summary.failed.length > 0 || summary.interrupted.length > 0) {
      const bad = [...summary.failed, ...summary.interrupted];
      throw new UserError(`${bad.length} run(s) did not finish (${bad.slice(0, 3).join(', ')}${bad.length > 3 ? ', …' : ''}); see ${path.join(sweepDir, 'logs')}/ and re-run to retry`);
    }
  },
};
