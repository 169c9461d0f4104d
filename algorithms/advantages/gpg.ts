// GPG, "GPG: A Simple and Strong Reinforcement Learning Baseline for Model Reasoning" (arXiv
// 2504.02546; verl compute_gpg_outcome_advantage): A_i = α·(r_i − mean_g r) with
// α = B / max(#rows with r ≠ 0, 1) over the whole batch (negative rewards count as non-zero), no std.
import type { AdvantageEstimator, AdvantageInputs } from './estimator.ts';
import { broadcastRows, groupMean, groupMembers } from './groups.ts';

/** Per-row GPG advantages; α counts the rows of the whole batch. */
export function gpgAdvantages(scores: ArrayLike<number>, groupIds: ArrayLike<number>): Float64Array {
  let nonZero = 0;
  for (let i = 0; i < scores.length; i++) if (scores[i] !== 0) nonZero += 1;
  const alpha = scores.length / Math.max(nonZero, 1);
  const out = new Float64Array(scores.length);
  for (const rows of groupMembers(groupIds)) {
    const mean = groupMean(scores, rows);
    for (const i of rows) out[i] = alpha * (scores[i] - mean);
  }
  return out;
}

function compute(inputs: AdvantageInputs): Float32Array {
  return broadcastRows(gpgAdvantages(inputs.reward, inputs.groupId), inputs.mask, inputs.width);
}

export const gpgEstimator = {
  name: 'gpg',
  summary: 'α·(r − group mean), α = rows / rows with a non-zero reward (whole batch), no std',
  keys: [],
  compute,
} as const satisfies AdvantageEstimator<'gpg'>;
