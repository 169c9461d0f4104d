// REINFORCE++-baseline (arXiv 2501.03262; verl compute_reinforce_plus_plus_baseline_outcome_advantage):
// r_i − mean_g(r) (a singleton's mean is 0), broadcast over the row's valid tokens, then whitened
// over every valid token of the batch (longer rows weigh more in the batch mean and variance).
import type { AdvantageEstimator, AdvantageInputs } from './estimator.ts';
import { broadcastRows, groupMean, groupMembers } from './groups.ts';
import { whitenTokens } from './whiten.ts';

function compute(inputs: AdvantageInputs): Float32Array {
  const centred = new Float64Array(inputs.rows);
  for (const rows of groupMembers(inputs.groupId)) {
    const mean = groupMean(inputs.reward, rows);
    for (const i of rows) centred[i] = inputs.reward[i] - mean;
  }
  const perToken = Float64Array.from(broadcastRows(centred, inputs.mask, inputs.width));
  return whitenTokens(perToken, inputs.mask, 'reinforce_plus_plus_baseline');
}

export const reinforcePlusPlusBaselineEstimator = {
  name: 'reinforce_plus_plus_baseline',
  summary: 'r − group mean per row, then whitened over all valid tokens of the batch',
  keys: [],
  compute,
} as const satisfies AdvantageEstimator<'reinforce_plus_plus_baseline'>;
