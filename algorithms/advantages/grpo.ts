// `grpo` (the default): group-relative advantages (docs/grpo.md "Group advantages"), and with
// `grpo.quantile_k` QAE, "Quantile Advantage Estimation for Entropy-Safe Reasoning" (arXiv 2509.22611),
// which replaces the group mean by the group's K-quantile (docs/advantages.md "QAE").
import { broadcastToTokens, groupAdvantages } from '../grpo.ts';
import type { AdvantageEstimator, AdvantageInputs, AdvantageSettings } from './estimator.ts';
import { groupMembers } from './groups.ts';

/** QAE is on for 0 < K < 1; any other K is plain GRPO (the QAE README's rule). */
export function quantileActive(k: number): boolean {
  return k > 0 && k < 1;
}

/**
 * The K-quantile of `values` by linear interpolation at position (n − 1)·K of the ascending sort
 * (torch.quantile's default, which QAE calls): x[⌊p⌋] + (p − ⌊p⌋)·(x[⌈p⌉] − x[⌊p⌋]).
 */
export function interpolatedQuantile(values: readonly number[], k: number): number {
  const x = [...values].sort((a, b) => a - b);
  const pos = (x.length - 1) * k;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return x[lo] + (pos - lo) * (x[hi] - x[lo]);
}

/**
 * QAE's per-row advantages: (r_i − q_K)/(σ_g + ε) (or r_i − q_K), σ the unbiased group std; a
 * singleton keeps GRPO's rule (baseline 0, σ = 1).
 */
export function quantileAdvantages(
  scores: ArrayLike<number>,
  groupIds: ArrayLike<number>,
  k: number,
  opts: { normByStd: boolean; epsilon: number },
): Float64Array {
  const out = new Float64Array(scores.length);
  for (const rows of groupMembers(groupIds)) {
    let baseline = 0;
    let std = 1;
    if (rows.length > 1) {
      const values = rows.map((i) => scores[i]);
      const mean = values.reduce((s, v) => s + v, 0) / values.length;
      std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1));
      baseline = interpolatedQuantile(values, k);
    }
    for (const i of rows)
      out[i] = opts.normByStd ? (scores[i] - baseline) / (std + opts.epsilon) : scores[i] - baseline;
  }
  return out;
}

function compute(inputs: AdvantageInputs, settings: AdvantageSettings): Float32Array {
  const opts = { normByStd: settings.normAdvByStd, epsilon: settings.epsilon };
  const rowAdvantages = quantileActive(settings.quantileK)
    ? quantileAdvantages(inputs.reward, inputs.groupId, settings.quantileK, opts)
    : groupAdvantages(inputs.reward, inputs.groupId, opts);
  return broadcastToTokens(rowAdvantages, inputs.mask, inputs.width);
}

export const grpoEstimator = {
  name: 'grpo',
  summary: 'group-normalised (r − mean)/(std + ε) per prompt (Dr.GRPO without std); QAE with grpo.quantile_k',
  keys: ['norm_adv_by_std', 'epsilon', 'quantile_k'],
  compute,
} as const satisfies AdvantageEstimator<'grpo'>;
