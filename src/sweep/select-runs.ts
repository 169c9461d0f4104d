// Which of a sweep's runs one invocation runs: all of them, or the one `--only` names (by index or
// id), and — for a task of an emitted job — only while the sweep still expands to the run list the
// job was emitted for, since an index would otherwise name another run.
import { UserError } from '../base/errors.ts';
import { sweepRunsHash } from './manifest.ts';
import type { Sweep } from './spec.ts';

/** The index of the run `only` names: a run id, or an index into the run list. */
export function selectOnly(sweep: Sweep, only: string): number[] {
  const byId = sweep.runs.find((r) => r.id === only);
  if (byId) return [byId.index];
  const index = Number(only);
  if (!Number.isInteger(index) || index < 0 || index >= sweep.runs.length) {
    throw new UserError(
      `--only ${only}: expected a run index 0..${sweep.runs.length - 1} or a run id (see --dry-run)`,
      sweep.file,
    );
  }
  return [index];
}

/** Throws unless the sweep's runs still hash to `expected` (what an emitted job passes). */
export function assertRunsHash(sweep: Sweep, expected: string): void {
  const hash = sweepRunsHash(sweep);
  if (hash === expected) return;
  throw new UserError(
    `the sweep changed since this job was emitted (its runs now hash to ${hash}, ` +
      `the job expects ${expected}), ` +
      'so indices would name other runs; emit the job again and submit that',
    sweep.file,
  );
}
