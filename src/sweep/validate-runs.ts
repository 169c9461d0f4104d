// Every run's config checked before anything is launched, so a typo in a sweep fails in one second
// instead of once per worker.
import { UserError } from '../base/errors.ts';
import { loadConfig } from '../config/load.ts';
import { overridesToSets, type Sweep, type SweepRun } from './spec.ts';

export function validateRuns(sweep: Sweep, runs: readonly SweepRun[]): void {
  for (const run of runs) {
    try {
      loadConfig(sweep.base, [...overridesToSets(run.overrides), `seed=${run.seed}`, `name=${JSON.stringify(run.id)}`]);
    } catch (e) {
      if (e instanceof UserError) throw new UserError(`run ${run.id}: ${e.message}`, sweep.file);
      throw e;
    }
  }
}
