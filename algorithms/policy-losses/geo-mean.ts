// GMPO, "Geometric-Mean Policy Optimization" (arXiv 2507.20673; verl compute_policy_loss_geo_mean):
// the row's ratio is the geometric mean of its token ratios after sign-aware clipping of each log-ratio
// (A > 0: min(δ, ε_h); A < 0: max(δ, −ε_l); A = 0: 0; no clamp first), r_i = exp(Σ δ' m / (n_i + 1e-8)),
// and the loss is (1/B)·Σ_i −Â_i·r_i with Â_i the row's mean advantage — a mean over all B rows, fully
// masked ones included. The loss is per row: per-token weights cannot apply (docs/policy-losses.md "GMPO").
import * as tf from '@tensorflow/tfjs';
import { maskCounts } from '../aggregate.ts';
import { logRatios, type PolicyLoss, type PolicyLossInputs, type PolicyLossOutput, validMean } from './policy-loss.ts';

/** Per row, Σ_t v_t m_t / (Σ_t m_t + 1e-8) as data (verl's denominator). */
function rowMeans(values: ArrayLike<number>, mask: ArrayLike<number>, rows: number, width: number): Float32Array {
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    let n = 0;
    for (let t = 0; t < width; t++) {
      sum += values[r * width + t] * mask[r * width + t];
      n += mask[r * width + t];
    }
    out[r] = sum / (n + 1e-8);
  }
  return out;
}

function compute(x: PolicyLossInputs): PolicyLossOutput {
  const { rows, width, mask, advantages } = x;
  const { clipRatioLow: lo, clipRatioHigh: hi } = x.clip;
  const delta = logRatios(x);
  const counts = maskCounts(mask, rows, width);
  const tokenLoss = tf.tidy(() => {
    const logRatio = tf.sub(x.logProbs, tf.tensor1d(x.oldLogProbs));
    const a = tf.tensor1d(advantages);
    // the sign of A is data, so `where` keeps the gradient of the branch it picks
    const clippedLogRatio = tf.where(
      tf.greater(a, 0),
      tf.minimum(logRatio, hi),
      tf.where(tf.less(a, 0), tf.maximum(logRatio, -lo), tf.zerosLike(logRatio)),
    );
    const maskT = tf.tensor2d(mask, [rows, width]);
    const denominator = tf.tensor2d(
      Float32Array.from(counts.rowCounts, (n) => n + 1e-8),
      [rows, 1],
    );
    const rowLogRatio = tf.div(tf.sum(tf.mul(tf.reshape(clippedLogRatio, [rows, width]), maskT), 1, true), denominator);
    const rowAdvantage = tf.tensor2d(rowMeans(advantages, mask, rows, width), [rows, 1]);
    const rowLoss = tf.neg(tf.mul(rowAdvantage, tf.exp(rowLogRatio))); // [rows, 1]
    // every valid token of row i shows its row's loss (what `entrolab loss` prints per token)
    return tf.reshape(tf.mul(rowLoss, maskT), [rows * width]) as tf.Tensor1D;
  });
  const outside = (k: number) => delta[k] > hi || delta[k] < -lo;
  return {
    tokenLoss,
    actor: {
      // verl counts a token outside the box on either side, clipped by the sign-aware min or not
      pgClipfrac: validMean(mask, (k) => (outside(k) && advantages[k] > 0 ? 1 : 0)),
      pgClipfracLower: validMean(mask, (k) => (outside(k) && advantages[k] < 0 ? 1 : 0)),
      ppoKl: validMean(mask, (k) => -delta[k]),
    },
  };
}

/** (1/B)·Σ_i (Σ_t ℓ_t m_t / n_i) over all B rows: with ℓ_t = the row's loss on its tokens, (1/B)·Σ_i ℓ_i. */
function aggregate(tokenLoss: tf.Tensor1D, mask: Float32Array, rows: number, width: number): tf.Scalar {
  return tf.tidy(() => {
    const counts = maskCounts(mask, rows, width);
    const perRow = tf.div(
      tf.sum(tf.reshape(tf.mul(tokenLoss, tf.tensor1d(mask)), [rows, width]), 1),
      tf.tensor1d(Float32Array.from(counts.rowCounts, (n) => Math.max(n, 1))),
    );
    return tf.div(tf.sum(perRow), Math.max(rows, 1)) as tf.Scalar;
  });
}

export const geoMeanLoss = {
  name: 'geo_mean',
  summary: 'GMPO: geometric-mean ratio per row (sign-aware log-ratio clip ±ε), mean over all rows; no token weights',
  keys: ['clip_ratio_low', 'clip_ratio_high'],
  fixedAggMode: 'seq-mean-token-mean',
  acceptsTokenWeights: false,
  aggregate,
  compute,
} as const satisfies PolicyLoss<'geo_mean'>;
