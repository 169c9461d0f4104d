// The replay rows of a step (SPEAR's self-imitation): each regularizer's replayBatch hook is asked
// once, after prepareBatch; at most one may return rows, which the update trains on after the main
// mini-batches in every epoch (src/core/update.ts updatePolicy).
import type { Metrics, ReplayBatch } from '../../algorithms/regularizer.ts';
import type { Batch } from '../base/batch.ts';
import { UserError } from '../base/errors.ts';
import { type ActiveRegularizer, prefixMetrics } from './regularizer-set.ts';
import type { StepPosition } from './update.ts';

export interface StepReplay {
  /** The rows to replay, every one flagged `isReplay`; undefined when no regularizer returned any. */
  replay?: ReplayBatch;
  /** The hook's own metrics, prefixed with its regularizer's name. */
  metrics: Metrics;
}

export function collectReplay(regularizers: readonly ActiveRegularizer[], main: Batch, step: StepPosition): StepReplay {
  const metrics: Metrics = {};
  const returned: { name: string; replay: ReplayBatch }[] = [];
  for (const reg of regularizers) {
    const out = reg.hooks.replayBatch?.({ ...step, rng: reg.rng });
    if (!out) continue;
    Object.assign(metrics, prefixMetrics(reg.name, out.metrics));
    if (out.value.batch.rows > 0) returned.push({ name: reg.name, replay: out.value });
  }
  if (returned.length === 0) return { metrics };
  if (returned.length > 1) {
    throw new UserError(
      `only one regularizer may return replay rows in a step; ${returned.map((r) => r.name).join(' and ')} did`,
      'regularizers',
    );
  }
  const [{ name, replay }] = returned;
  if (replay.batch.numActions !== main.numActions || !(replay.lossScale >= 0 && Number.isFinite(replay.lossScale))) {
    throw new Error(
      `regularizer '${name}' returned replay rows over ${replay.batch.numActions} actions (the batch has ` +
        `${main.numActions}) or a loss scale of ${replay.lossScale} (a finite number >= 0)`,
    );
  }
  const batch = { ...replay.batch, isReplay: new Uint8Array(replay.batch.rows).fill(1) };
  return { replay: { batch, lossScale: replay.lossScale }, metrics };
}
