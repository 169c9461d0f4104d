// Where the entropy lives in one rollout: quantiles over the valid tokens, the mean by position in
// an answer and by turn, the share of tokens above a threshold, and the KL to the reference per nat
// of entropy. The papers' arguments are about which tokens carry the entropy (the "forking" tokens
// of Wang et al. 2025, arXiv 2506.01939); one mean per step hides them.
import { maskedMean } from '../base/numerics.ts';

export interface ProfileInput {
  width: number;
  mask: Float32Array;
  /** Entropy of π_old at each slot (nats). */
  entropy: Float32Array;
  /** Turn of each slot (0-based). */
  turnIndex: Int32Array;
  oldLogProbs?: Float32Array;
  /** log π_ref of the taken token, when the run keeps a reference. */
  refLogProbs?: Float32Array;
}

export interface ProfileOptions {
  /** Positions and turns reported: 1 … this many. */
  positions: number;
  /** `entropy/frac_high` counts tokens with entropy above this (nats). */
  highNats: number;
}

/** The q-quantile (0 ≤ q ≤ 1) of sorted values, interpolated linearly between order statistics (NumPy's default). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const at = q * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

/** The step's entropy profile as metrics (entropy/p10 …); empty when no token is valid. */
export function entropyProfile(batch: ProfileInput, opts: ProfileOptions): Record<string, number> {
  const { width, mask, entropy, turnIndex } = batch;
  const valid: number[] = [];
  const byPosition = Array.from({ length: opts.positions }, () => [0, 0]);
  const byTurn = Array.from({ length: opts.positions }, () => [0, 0]);
  let longest = 0; // the most tokens any answer (turn) has
  let turns = 0;
  let high = 0;
  for (let start = 0; start < mask.length; start += width) {
    let turn = -1;
    let position = 0;
    for (let i = start; i < start + width; i++) {
      if (!mask[i]) continue;
      const h = entropy[i];
      valid.push(h);
      if (h > opts.highNats) high += 1;
      if (turnIndex[i] !== turn) [turn, position] = [turnIndex[i], 0];
      position += 1;
      longest = Math.max(longest, position);
      turns = Math.max(turns, turn + 1);
      if (position <= opts.positions) (byPosition[position - 1][0] += h), (byPosition[position - 1][1] += 1);
      if (turn < opts.positions) (byTurn[turn][0] += h), (byTurn[turn][1] += 1);
    }
  }
  if (valid.length === 0) return {};
  const sorted = Float64Array.from(valid).sort();
  const out: Record<string, number> = {
    'entropy/p10': quantileSorted(sorted, 0.1),
    'entropy/p50': quantileSorted(sorted, 0.5),
    'entropy/p90': quantileSorted(sorted, 0.9),
    'entropy/frac_high': high / valid.length,
  };
  // by position only where an answer has several tokens, by turn only where an episode has several turns
  if (longest > 1)
    byPosition.forEach(([sum, n], k) => {
      if (n > 0) out[`entropy/by_position/${k + 1}`] = sum / n;
    });
  if (turns > 1)
    byTurn.forEach(([sum, n], k) => {
      if (n > 0) out[`entropy/by_turn/${k + 1}`] = sum / n;
    });
  if (batch.refLogProbs && batch.oldLogProbs) {
    // k3 (low_var_kl) estimate of KL(π_old ‖ π_ref): exp(r) − r − 1 with r = log π_ref − log π_old, ≥ 0
    const k3 = new Float32Array(mask.length);
    for (let i = 0; i < mask.length; i++) {
      const r = batch.refLogProbs[i] - batch.oldLogProbs[i];
      k3[i] = Math.exp(r) - r - 1;
    }
    const kl = maskedMean(k3, mask);
    const mean = maskedMean(entropy, mask);
    out['entropy/kl_ref'] = kl;
    if (mean > 0) out['entropy/kl_ref_per_nat'] = kl / mean;
  }
  return out;
}
