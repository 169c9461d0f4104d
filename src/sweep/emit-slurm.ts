// A Slurm job array for a sweep. The script names everything by absolute path (node, the
// entrolab launcher, the sweep file, the output) so it works when submitted from any directory
// with any PATH, and checks at the top that the recorded node exists and is new enough. The
// batch shell `exec`s node, so the `--signal=B:TERM@60` warning reaches the sweep, which stops
// its trainer after the step in flight with a checkpoint, before the time limit kills it.
import { UserError } from '../base/errors.ts';
import { type EmitOptions, resourceNote, shellQuote, slurmTime, taskArgs } from './emit.ts';

export const MIN_NODE_MAJOR = 20;

export interface SlurmOptions extends EmitOptions {
  /** Absolute path of node on the compute nodes, or a bare name that `setup` puts on PATH. */
  node: string;
  /** Absolute path of bin/entrolab.js (on a filesystem the nodes share). */
  cli: string;
  /** Absolute paths. */
  sweepFile: string;
  out: string;
  sweepDir: string;
  /** Shell lines run before the checks, e.g. `module load nodejs/20`. */
  setup: string[];
  /** Let Slurm requeue a task whose node failed or that was preempted. */
  requeue: boolean;
}

/** A value for an `#SBATCH` line: sbatch understands double quotes there, not single ones. */
function sbatchValue(text: string): string {
  return /^[A-Za-z0-9_./:=,+-]+$/.test(text) ? text : `"${text}"`;
}

export function checkSlurmPaths(o: Pick<SlurmOptions, 'sweepDir' | 'node'>): void {
  // '%' is a filename pattern in --output, and '"' or '\' would end sbatch's quoting
  if (/[%"\\\n]/.test(o.sweepDir)) {
    throw new UserError(
      `Slurm cannot take this path in #SBATCH lines (it holds %, ", \\ or a newline); choose another --out`,
      o.sweepDir,
    );
  }
  if (o.node.includes('/') && !o.node.startsWith('/')) {
    throw new UserError(
      `must be an absolute path or a bare command name that --setup puts on PATH, got '${o.node}'`,
      '--node',
    );
  }
}

export function slurmScript(o: SlurmOptions): string {
  checkSlurmPaths(o);
  const args = taskArgs(o, o.sweepFile, o.out, '__INDEX__').map((a) =>
    a === '__INDEX__' ? '"$SLURM_ARRAY_TASK_ID"' : shellQuote(a),
  );
  const fail = (message: string) => `{ echo "entrolab: error: ${message}" >&2; exit 2; }`;
  return [
    '#!/bin/bash',
    `# entrolab sweep '${o.name}': ${o.runs} runs as a Slurm job array (task i runs sweep index i).`,
    `# Submit from any directory: sbatch ${shellQuote(`${o.sweepDir}/sweep.slurm.sh`)}`,
    '# Re-submitting skips finished runs and resumes the others from their checkpoints.',
    `# Emitted for the run list with hash ${o.runsHash}: if the sweep file or its base config changes,`,
    '# every task refuses with one line; emit the script again and submit that.',
    `# Resources: ${resourceNote(o)}.`,
    `#SBATCH --job-name=${sbatchValue(`entrolab-${o.name}`)}`,
    `#SBATCH --array=0-${o.runs - 1}%${o.parallel}`,
    '#SBATCH --ntasks=1',
    `#SBATCH --cpus-per-task=${o.cpus}`,
    `#SBATCH --mem=${o.memMb}M`,
    `#SBATCH --time=${slurmTime(o.timeSeconds)}`,
    '#SBATCH --signal=B:TERM@60',
    ...(o.requeue ? ['#SBATCH --requeue'] : []),
    '#SBATCH --open-mode=append',
    `#SBATCH --chdir=${sbatchValue(o.sweepDir)}`,
    `#SBATCH --output=${sbatchValue(`${o.sweepDir}/logs/slurm-%A_%a.log`)}`,
    'set -euo pipefail',
    ...o.setup,
    `NODE=${shellQuote(o.node)}`,
    `CLI=${shellQuote(o.cli)}`,
    ': "${SLURM_ARRAY_TASK_ID:?submit this script with sbatch (or set SLURM_ARRAY_TASK_ID to a run index)}"',
    `command -v "$NODE" >/dev/null 2>&1 || ` +
      fail('node not found at $NODE on $HOSTNAME; emit again with --node PATH or --setup'),
    `"$NODE" -e 'process.exit(Number(process.versions.node.split(".")[0]) >= ${MIN_NODE_MAJOR} ? 0 : 1)' || ` +
      fail(`$NODE on $HOSTNAME is Node $("$NODE" --version); entrolab needs ${MIN_NODE_MAJOR} or newer`),
    `[ -f "$CLI" ] || ${fail('$CLI not found on $HOSTNAME; the repository must be on a filesystem all nodes share')}`,
    `exec "$NODE" "$CLI" ${args.join(' ')}`,
    '',
  ].join('\n');
}
