// RLOO, "Back to Basics: Revisiting REINFORCE Style Optimization" (arXiv 2402.14740): each row's
// baseline is the mean reward of the other rows of its group, A_i = (n·r_i − Σ_g r)/(n − 1), no std.
// verl registers two versions that differ on singleton groups only (docs/advantages.md "RLOO"):
// compute_rloo_outcome_advantage keeps a singleton's raw reward, the vectorized one gives it 0.
import type { AdvantageEstimator, AdvantageInputs } from './estimator.ts';
import { broadcastRows, groupMembers } from './groups.ts';

/** Leave-one-out advantages per row; `singleton` is what a group of one gets (its reward, or 0). */
export function leaveOneOutAdvantages(
  scores: ArrayLike<number>,
  groupIds: ArrayLike<number>,
  singleton: 'reward' | 'zero',
): Float64Array {
  const out = new Float64Array(scores.length);
  for (const rows of groupMembers(groupIds)) {
    const n = rows.length;
    if (n === 1) {
      out[rows[0]] = singleton === 'reward' ? scores[rows[0]] : 0;
      continue;
    }
    const total = rows.reduce((s, i) => s + scores[i], 0);
    for (const i of rows) out[i] = (n * scores[i] - total) / (n - 1);
  }
  return out;
}

const perToken = (singleton: 'reward' | 'zero') => (inputs: AdvantageInputs) =>
  broadcastRows(leaveOneOutAdvantages(inputs.reward, inputs.groupId, singleton), inputs.mask, inputs.width);

export const rlooEstimator = {
  name: 'rloo',
  summary: 'leave-one-out baseline r_i − mean of the others (no std); a singleton keeps its raw reward',
  keys: [],
  compute: perToken('reward'),
} as const satisfies AdvantageEstimator<'rloo'>;

export const rlooVectorizedEstimator = {
  name: 'rloo_vectorized',
  summary: 'rloo, except that a singleton group gets advantage 0 (verl compute_rloo_vectorized_outcome_advantage)',
  keys: [],
  compute: perToken('zero'),
} as const satisfies AdvantageEstimator<'rloo_vectorized'>;
