// GSPO, "Group Sequence Policy Optimization" (arXiv 2507.18071; verl compute_policy_loss_gspo):
// one importance ratio per row, the exponentiated mean log-ratio s_i = exp(Σ_t δ_t m_t / n_i), carried
// to every token as exp(lp_t − sg(lp_t) + sg(log s_i)) so each token keeps its own gradient s_i·∇lp_t;
// the log is capped at 10 (no lower bound), the box clips the sequence ratio, there is no dual clip,
// and the loss is always seq-mean-token-mean (docs/policy-losses.md "GSPO").
import * as tf from '@tensorflow/tfjs';
import { logRatios, type PolicyLoss, type PolicyLossInputs, type PolicyLossOutput, validMean } from './policy-loss.ts';

/** Per token, its row's mean log-ratio s̄_i = Σ_t δ_t m_t / max(n_i, 1) (unclamped δ; a row without tokens: 0). */
export function sequenceLogRatios(delta: ArrayLike<number>, mask: ArrayLike<number>, rows: number, width: number) {
  const out = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    let n = 0;
    for (let t = 0; t < width; t++) {
      sum += delta[r * width + t] * mask[r * width + t];
      n += mask[r * width + t];
    }
    out.fill(sum / Math.max(n, 1), r * width, (r + 1) * width);
  }
  return out;
}

function compute(x: PolicyLossInputs): PolicyLossOutput {
  const delta = logRatios(x);
  const seq = sequenceLogRatios(delta, x.mask, x.rows, x.width);
  const { clipRatioLow: lo, clipRatioHigh: hi } = x.clip;
  const tokenLoss = tf.tidy(() => {
    const negA = tf.neg(tf.tensor1d(x.advantages));
    // value s̄_i, gradient ∇lp_t: lp − sg(lp) is 0 in value
    const tokenLogRatio = tf.add(tf.sub(x.logProbs, tf.tensor1d(x.logProbValues)), tf.tensor1d(seq));
    const ratio = tf.exp(tf.minimum(tokenLogRatio, 10));
    const unclipped = tf.mul(negA, ratio);
    const clipped = tf.mul(negA, tf.clipByValue(ratio, 1 - lo, 1 + hi));
    return tf.maximum(unclipped, clipped) as tf.Tensor1D;
  });
  const clippedShare = validMean(x.mask, (k) => {
    const s = Math.exp(Math.min(seq[k], 10));
    const a = x.advantages[k];
    return -a * Math.min(Math.max(s, 1 - lo), 1 + hi) > -a * s ? 1 : 0;
  });
  return {
    tokenLoss,
    actor: { pgClipfrac: clippedShare, pgClipfracLower: 0, ppoKl: validMean(x.mask, (k) => -delta[k]) },
  };
}

export const gspoLoss = {
  name: 'gspo',
  summary: 'sequence ratio exp(mean δ) per row, PPO box on it, no dual clip; seq-mean-token-mean (fixed)',
  keys: ['clip_ratio_low', 'clip_ratio_high'],
  fixedAggMode: 'seq-mean-token-mean',
  compute,
} as const satisfies PolicyLoss<'gspo'>;
