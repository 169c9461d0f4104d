// Whether this process runs as a cluster task, for hints: under a scheduler "run the same
// command again" means "submit the job again", which re-runs every task idempotently.
export type Scheduler = 'slurm' | 'kubernetes';

export function detectScheduler(env: NodeJS.ProcessEnv = process.env): Scheduler | undefined {
  if (env.SLURM_JOB_ID !== undefined) return 'slurm';
  if (env.JOB_COMPLETION_INDEX !== undefined || env.KUBERNETES_SERVICE_HOST !== undefined) return 'kubernetes';
  return undefined;
}

/** How to continue after a stop: `local` as written, or re-submitting the job on a cluster. */
export function resumeHint(local: string, env: NodeJS.ProcessEnv = process.env): string {
  const scheduler = detectScheduler(env);
  if (scheduler === 'slurm') return 're-submit the job (sbatch the same script) to resume';
  if (scheduler === 'kubernetes') return 're-apply the job (delete it, then kubectl apply the same file) to resume';
  return local;
}
