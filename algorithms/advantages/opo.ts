// OPO, "On-Policy RL with Optimal Reward Baseline" (arXiv 2505.23585; verl compute_opo_outcome_advantage):
// the baseline is the length-weighted group mean b_g = Σ len_i r_i / Σ len_i (len = valid tokens),
// 0 for a singleton; A_i = r_i − b_g, no std.
import type { AdvantageEstimator, AdvantageInputs } from './estimator.ts';
import { broadcastRows, groupMembers, rowLengths } from './groups.ts';

/** Per-row OPO advantages from rewards, groups and lengths. */
export function opoAdvantages(
  scores: ArrayLike<number>,
  groupIds: ArrayLike<number>,
  lengths: ArrayLike<number>,
): Float64Array {
  const out = new Float64Array(scores.length);
  for (const rows of groupMembers(groupIds)) {
    let baseline = 0;
    if (rows.length > 1) {
      const weight = rows.reduce((s, i) => s + lengths[i], 0);
      // a group whose rows hold no valid token has no tokens to train either
      baseline = weight > 0 ? rows.reduce((s, i) => s + lengths[i] * scores[i], 0) / weight : 0;
    }
    for (const i of rows) out[i] = scores[i] - baseline;
  }
  return out;
}

function compute(inputs: AdvantageInputs): Float32Array {
  const lengths = rowLengths(inputs.mask, inputs.rows, inputs.width);
  return broadcastRows(opoAdvantages(inputs.reward, inputs.groupId, lengths), inputs.mask, inputs.width);
}

export const opoEstimator = {
  name: 'opo',
  summary: 'r − length-weighted group mean Σ len·r / Σ len (no std)',
  keys: [],
  compute,
} as const satisfies AdvantageEstimator<'opo'>;
