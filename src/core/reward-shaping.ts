// Step 3a of a training step: the regularizers' shapeRewards hooks, after the old (and reference)
// pass and before the group advantages (ARES, PEAR; algorithms/regularizer.ts "Order of
// application"), in config order, each seeing the previous one's rewards.
import type { Metrics } from '../../algorithms/regularizer.ts';
import type { Batch } from '../base/batch.ts';
import type { ActiveRegularizer } from './regularizer-set.ts';
import { prefixMetrics } from './regularizer-set.ts';
import type { StepPosition } from './update.ts';

export interface ShapedRewards {
  /** The batch with `reward` replaced by the last shaper's (the same batch when none is active). */
  batch: Batch;
  /** The environment's rewards, when a shaper replaced them. */
  raw?: Float64Array;
  /** `reward/raw` and `reward/shaped` (means over the main rows) and each shaper's own, prefixed. */
  metrics: Metrics;
}

function mainMean(values: ArrayLike<number>, isExtra: Uint8Array): number {
  let sum = 0;
  let n = 0;
  for (let r = 0; r < values.length; r++) {
    if (isExtra[r]) continue;
    sum += values[r];
    n += 1;
  }
  return n > 0 ? sum / n : 0;
}

export function shapeRewards(
  batch: Batch,
  regularizers: readonly ActiveRegularizer[],
  step: StepPosition,
): ShapedRewards {
  const shapers = regularizers.filter((r) => r.hooks.shapeRewards);
  if (shapers.length === 0) return { batch, metrics: {} };
  const raw = Float64Array.from(batch.reward);
  const own: Metrics = {};
  for (const reg of shapers) {
    const out = reg.hooks.shapeRewards!(batch, { ...step, rng: reg.rng });
    if (out.value.length !== batch.rows)
      throw new Error(`regularizer '${reg.name}' shaped ${out.value.length} rewards for ${batch.rows} rows`);
    batch = { ...batch, reward: out.value };
    Object.assign(own, prefixMetrics(reg.name, out.metrics));
  }
  const metrics = {
    'reward/raw': mainMean(raw, batch.isExtra),
    'reward/shaped': mainMean(batch.reward, batch.isExtra),
    ...own,
  };
  return { batch, raw, metrics };
}
