// `entrolab loss` with `rewards` in place of `advantages` (docs/advantages.md "Checking an
// estimator by hand"): grpo.adv_estimator on the given rows, so every estimator can be checked token
// by token. The fields an estimator needs beyond rewards and groups are asked for in one line. With
// --prepare, shapeRewards hooks (RENT) then run and the advantages are recomputed from their rewards
// (src/loss/loss-prepare.ts), as the trainer's step does.
import { ADV_ESTIMATORS } from '../../algorithms/advantages/registry.ts';
import type { Metrics } from '../../algorithms/regularizer.ts';
import type { Batch } from '../base/batch.ts';
import { UserError } from '../base/errors.ts';
import type { GrpoConfig } from '../config/schema.ts';
import { estimateAdvantages, estimatorMetrics } from '../core/advantages.ts';

/** One line naming the batch field `grpo.adv_estimator` needs and the batch lacks. */
export function requireEstimatorFields(input: Batch, greedyReward: Float64Array | undefined, grpo: GrpoConfig): void {
  const name = grpo.adv_estimator;
  const needs = ADV_ESTIMATORS[name].needs ?? [];
  if (needs.includes('greedyReward') && !greedyReward) {
    throw new UserError(
      `grpo.adv_estimator ${name} needs field 'greedy_rewards': a [B] array, the reward of a greedy response to each row's prompt`,
      'batch',
    );
  }
  if (needs.includes('oldLogPolicy') && !input.oldLogPolicy) {
    throw new UserError(
      `grpo.adv_estimator ${name} needs field 'old_log_policy': a [B][L][A] array, π_old's log-distribution per slot (for Σπ²)`,
      'batch',
    );
  }
}

/** The batch with the estimator's advantages, and the adv/* (qae/*) metrics the trainer logs. */
export function advantagesFromRewards(
  input: Batch,
  greedyReward: Float64Array | undefined,
  grpo: GrpoConfig,
): { batch: Batch; metrics: Metrics } {
  requireEstimatorFields(input, greedyReward, grpo);
  const advantages = estimateAdvantages({ ...input, greedyReward }, grpo);
  const metrics = estimatorMetrics(advantages, input.mask, input.rows, input.width, grpo);
  return { batch: { ...input, advantages }, metrics };
}
