// `entrolab loss --prepare`: run the step's batch rewrites on the given mini-batch before its loss,
// as the trainer runs them, so their effect can be checked token by token: the shapeRewards hooks
// (ARES, PEAR, RENT), then — when one ran — grpo.adv_estimator's advantages from the shaped rewards, then the
// prepareBatch hooks of the ones that rewrite a batch in place (Clip_B/V zero mask entries, CANON
// rewrites advantages), then the replayBatch hook (SPEAR: the rows its buffer — given in the batch
// file's state — would replay this step, with their advantages and loss scale). A hook that changes
// the rows (AEPO's row mixing) cannot be shown on the given rows and is refused.
import type { Metrics, ReplayBatch, TokenSelection } from '../../algorithms/regularizer.ts';
import type { Batch } from '../base/batch.ts';
import { UserError } from '../base/errors.ts';
import type { GrpoConfig } from '../config/schema.ts';
import { estimateAdvantages } from '../core/advantages.ts';
import { type ActiveRegularizer, prefixMetrics } from '../core/regularizer-set.ts';
import { collectReplay } from '../core/replay.ts';
import { shapeRewards } from '../core/reward-shaping.ts';
import type { StepPosition } from '../core/update.ts';
import { requireEstimatorFields } from './loss-advantages.ts';

export interface PreparedBatch {
  batch: Batch;
  /** The shaped rewards, when a shapeRewards hook ran (the advantages were then recomputed from them). */
  rewards?: Float64Array;
  /** The rows a replayBatch hook returned (trained after the main mini-batches, their loss × lossScale). */
  replay?: ReplayBatch;
  /** The hooks' metrics, prefixed with each regularizer's name. */
  metrics: Metrics;
  /** Per regularizer that zeroed mask entries: the tokens it took out of the loss. */
  selections: Record<string, TokenSelection>;
}

export function prepareLossBatch(
  input: Batch,
  regularizers: readonly ActiveRegularizer[],
  step: StepPosition,
  grpo: GrpoConfig,
  greedyReward?: Float64Array,
): PreparedBatch {
  const shaped = shapeRewards(input, regularizers, step);
  let batch = shaped.batch;
  if (shaped.raw) {
    requireEstimatorFields(batch, greedyReward, grpo);
    batch = { ...batch, advantages: estimateAdvantages({ ...batch, greedyReward }, grpo) };
  }
  const metrics: Metrics = { ...shaped.metrics };
  const selections: Record<string, TokenSelection> = {};
  for (const reg of regularizers) {
    if (!reg.hooks.prepareBatch) continue;
    const out = reg.hooks.prepareBatch(batch, { ...step, rng: reg.rng });
    if (out.value.rows !== batch.rows || out.value.width !== batch.width) {
      throw new UserError(
        `regularizer '${reg.name}' changes the batch's rows in prepareBatch (${batch.rows} → ${out.value.rows}), ` +
          'so its loss cannot be shown on the given rows; run without --prepare',
        'regularizers',
      );
    }
    const zeroed: number[] = [];
    for (let i = 0; i < batch.mask.length; i++) if (batch.mask[i] && !out.value.mask[i]) zeroed.push(i);
    if (zeroed.length > 0)
      selections[reg.name] = { label: 'prepareBatch: mask zeroed (out of the loss)', tokens: zeroed };
    Object.assign(metrics, prefixMetrics(reg.name, out.metrics));
    batch = out.value;
  }
  const { replay, metrics: replayMetrics } = collectReplay(regularizers, batch, step);
  Object.assign(metrics, replayMetrics);
  return { batch, metrics, selections, ...(shaped.raw && { rewards: shaped.batch.reward }), ...(replay && { replay }) };
}
