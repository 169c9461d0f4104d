// Every run checked before anything is launched, so a mistake in a sweep fails in seconds, in one
// line naming the run, instead of once per worker (and a refusal is never launched to be retried):
// its config loads, and it passes the trainer's own start checks (preflight.ts: the env builds,
// the policy fits it and the step fits in memory, the warm start exists, the regularizers accept
// the env). Runs that differ only in their seed are checked once.
import { UserError } from '../base/errors.ts';
import { loadConfig } from '../config/load.ts';
import { assertTrainCanStart } from '../train/preflight.ts';
import { overridesToSets, type Sweep, type SweepRun } from './spec.ts';

/** `backend`: the backend name the runs will train on here (undefined: another machine's, no memory check). */
export function validateRuns(sweep: Sweep, runs: readonly SweepRun[], backend?: string): void {
  const checked = new Set<string>();
  for (const run of runs) {
    try {
      const config = loadConfig(sweep.base, [
        ...overridesToSets(run.overrides),
        `seed=${run.seed}`,
        `name=${JSON.stringify(run.id)}`,
      ]);
      const cell = JSON.stringify({ ...config, seed: 0, name: '' });
      if (checked.has(cell)) continue;
      checked.add(cell);
      assertTrainCanStart(config, backend);
    } catch (e) {
      if (e instanceof UserError) throw new UserError(`run ${run.id}: ${e.message}`, sweep.file);
      throw e;
    }
  }
}
