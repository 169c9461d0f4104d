// The run's policy loss (grpo.policy_loss, docs/policy-losses.md) as composeLoss and the trainer call
// it: the loss's inputs from a mini-batch, its settings block, and its start-up warnings.
import type { PolicyLossInputs } from '../../algorithms/policy-losses/policy-loss.ts';
import { POLICY_LOSSES } from '../../algorithms/policy-losses/registry.ts';
import type { Batch } from '../base/batch.ts';
import type { GrpoConfig } from '../config/schema.ts';

/** The `grpo.<policy_loss>` block (sapo, dro, gppo, bapo), undefined for a loss without one. */
export function policyLossSettings(grpo: GrpoConfig): unknown {
  return POLICY_LOSSES[grpo.policy_loss].schema
    ? (grpo as unknown as Record<string, unknown>)[grpo.policy_loss]
    : undefined;
}

export function clipOptions(grpo: GrpoConfig) {
  return { clipRatioLow: grpo.clip_ratio_low, clipRatioHigh: grpo.clip_ratio_high, clipRatioC: grpo.clip_ratio_c };
}

/** A mini-batch and the current log-probs (tensor and its numbers) as the policy loss reads them. */
export function policyLossInputs(
  batch: Batch,
  logProbs: PolicyLossInputs['logProbs'],
  logProbValues: Float32Array,
  grpo: GrpoConfig,
): PolicyLossInputs {
  return {
    logProbs,
    logProbValues,
    oldLogProbs: batch.oldLogProbs,
    advantages: batch.advantages,
    mask: batch.mask,
    rows: batch.rows,
    width: batch.width,
    success: batch.success,
    clip: clipOptions(grpo),
    aggMode: grpo.loss_agg_mode,
  };
}

/** Start-up warnings of the configured loss, one line each, prefixed with `grpo.policy_loss`. */
export function policyLossWarnings(grpo: GrpoConfig): string[] {
  const loss = POLICY_LOSSES[grpo.policy_loss];
  return (loss.warnings?.(clipOptions(grpo), policyLossSettings(grpo)) ?? []).map(
    (w) => `grpo.policy_loss ${loss.name}: ${w}`,
  );
}
