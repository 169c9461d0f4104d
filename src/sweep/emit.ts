// Cluster emitters (anchors §4.5): a Slurm array script or a Kubernetes Indexed Job whose task
// i runs `entrolab sweep <file> --out <dir> --only i` — the same run ids as a local sweep,
// the same idempotent skip/resume, no scheduler of our own. Paths are relative to the
// directory the command was run from, which the cluster job must reproduce (a checkout of the
// repository on a shared filesystem, or the same layout inside the image).

export interface EmitOptions {
  /** Sweep file path as the task should pass it (relative to the working directory). */
  sweepFile: string;
  /** `--out` as the task should pass it. */
  out: string;
  /** The sweep's name (job name). */
  name: string;
  /** Number of runs (array size / completions). */
  runs: number;
  /** At most this many tasks at once. */
  parallel: number;
  /** Extra arguments for each task's `entrolab sweep` (e.g. `--backend wasm`). */
  extraArgs: string[];
  /** Absolute working directory for Slurm tasks. */
  workdir: string;
  /** Container image holding the repository with dependencies installed (Kubernetes). */
  image: string;
  /** PersistentVolumeClaim mounted at the `--out` directory (Kubernetes). */
  pvc: string;
}

function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./=:,+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function taskArgs(o: EmitOptions, index: string): string[] {
  return ['sweep', o.sweepFile, '--out', o.out, '--only', index, ...o.extraArgs];
}

export function slurmScript(o: EmitOptions): string {
  const args = taskArgs(o, '"$SLURM_ARRAY_TASK_ID"').map((a) => (a.startsWith('"') ? a : shellQuote(a)));
  return [
    '#!/bin/bash',
    `# entrolab sweep '${o.name}': ${o.runs} runs as a Slurm job array (task i runs sweep index i).`,
    '# Submit with: sbatch <this file>.  Re-submitting skips finished runs and resumes the rest.',
    '# Edit the resources below for your cluster; each run is one single-process trainer.',
    `#SBATCH --job-name=entrolab-${o.name}`,
    `#SBATCH --array=0-${o.runs - 1}%${o.parallel}`,
    '#SBATCH --ntasks=1',
    '#SBATCH --cpus-per-task=1',
    '#SBATCH --mem=4G',
    '#SBATCH --time=02:00:00',
    `#SBATCH --chdir=${shellQuote(o.workdir)}`,
    `#SBATCH --output=${shellQuote(o.out)}/${o.name}/logs/slurm-%A_%a.log`,
    'set -euo pipefail',
    `node bin/entrolab.js ${args.join(' ')}`,
    '',
  ].join('\n');
}

export function k8sManifest(o: EmitOptions): string {
  const jobName = `entrolab-${o.name.toLowerCase().replace(/[^a-z0-9-]/g, '-')}`.slice(0, 63).replace(/-+$/, '');
  // Kubernetes expands $(VAR) in args from the container's environment.
  const args = ['bin/entrolab.js', ...taskArgs(o, '$(JOB_COMPLETION_INDEX)')];
  return [
    `# entrolab sweep '${o.name}': ${o.runs} runs as a Kubernetes Indexed Job (pod i runs sweep index i).`,
    '# Apply with: kubectl apply -f <this file>.  The image must hold the repository (with node_modules)',
    `# at /app; the claim '${o.pvc}' holds the sweep directory so runs survive pods and can be resumed.`,
    'apiVersion: batch/v1',
    'kind: Job',
    'metadata:',
    `  name: ${jobName}`,
    'spec:',
    '  completionMode: Indexed',
    `  completions: ${o.runs}`,
    `  parallelism: ${o.parallel}`,
    '  backoffLimitPerIndex: 2',
    `  maxFailedIndexes: ${o.runs}`,
    '  template:',
    '    spec:',
    '      restartPolicy: Never',
    '      containers:',
    '        - name: train',
    `          image: ${JSON.stringify(o.image)}`,
    '          workingDir: /app',
    '          command: ["node"]',
    `          args: [${args.map((a) => JSON.stringify(a)).join(', ')}]`,
    '          resources:',
    '            requests: {cpu: "1", memory: 2Gi}',
    '            limits: {memory: 4Gi}',
    '          volumeMounts:',
    `            - {name: runs, mountPath: ${JSON.stringify(o.out.startsWith('/') ? o.out : `/app/${o.out.replace(/^\.\//, '')}`)}}`,
    '      volumes:',
    `        - {name: runs, persistentVolumeClaim: {claimName: ${JSON.stringify(o.pvc)}}}`,
    '',
  ].join('\n');
}
