// REINFORCE++, "REINFORCE++: Stabilizing Critic-Free Policy Optimization" (arXiv 2501.03262), as verl
// compute_reinforce_plus_plus_outcome_advantage computes it: the discounted reward-to-go of each
// token (grpo.gamma), whitened over every valid token of the batch — no groups at all.
import type { AdvantageEstimator, AdvantageInputs, AdvantageSettings } from './estimator.ts';
import { discountedReturns } from './returns.ts';
import { whitenTokens } from './whiten.ts';

function compute(inputs: AdvantageInputs, settings: AdvantageSettings): Float32Array {
  const returns = discountedReturns(inputs.reward, inputs.mask, inputs.rows, inputs.width, settings.gamma);
  return whitenTokens(returns, inputs.mask, 'reinforce_plus_plus');
}

export const reinforcePlusPlusEstimator = {
  name: 'reinforce_plus_plus',
  summary: 'discounted reward-to-go per token, whitened over all valid tokens of the batch (no groups)',
  keys: ['gamma'],
  compute,
} as const satisfies AdvantageEstimator<'reinforce_plus_plus'>;
