// ReMax, "ReMax: A Simple, Effective, and Efficient Reinforcement Learning Method for Aligning LLMs"
// (arXiv 2310.10505; verl compute_remax_outcome_advantage): A_t = G_t − b_i, G the reward-to-go and
// b_i the reward of a greedy response to the row's prompt. The trainer runs that greedy episode per
// prompt (not trained on); `entrolab loss` takes it as `greedy_rewards`.
import type { AdvantageEstimator, AdvantageInputs } from './estimator.ts';
import { rewardToGo } from './returns.ts';

function compute(inputs: AdvantageInputs): Float32Array {
  const baseline = inputs.greedyReward;
  if (!baseline) throw new Error('remax needs the greedy rewards of the batch rows');
  const returns = rewardToGo(inputs.reward, inputs.mask, inputs.rows, inputs.width);
  const out = new Float32Array(inputs.rows * inputs.width);
  for (let k = 0; k < out.length; k++) {
    // verl leaves G on masked slots (they never count); entrolab's advantages are 0 there
    if (inputs.mask[k]) out[k] = returns[k] - baseline[Math.floor(k / inputs.width)];
  }
  return out;
}

export const remaxEstimator = {
  name: 'remax',
  summary: 'reward-to-go minus the reward of a greedy episode from the same prompt (one extra rollout per prompt)',
  keys: [],
  needs: ['greedyReward'],
  compute,
} as const satisfies AdvantageEstimator<'remax'>;
