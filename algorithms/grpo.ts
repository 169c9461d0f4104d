// GRPO core as pure functions — docs/grpo.md: group advantages, loss aggregation, PPO-clip with
// clip-higher and dual clip, KL estimators, log-probs and entropy.
// This is the library API (`src/index.ts`) that the `loss` command, the trainer and tests call.
import * as tf from '@tensorflow/tfjs';

// Loss aggregation (verl agg_loss) lives in its own file; re-exported here as part of the GRPO library API
export { AGG_MODES, type AggMode, aggregateLoss, aggregateValues, maskedMean } from './aggregate.ts';

export const KL_TYPES = [
  'kl',
  'k1',
  'abs',
  'mse',
  'k2',
  'low_var_kl',
  'k3',
  'kl+',
  'k1+',
  'abs+',
  'mse+',
  'k2+',
  'low_var_kl+',
  'k3+',
] as const;
export type KlType = (typeof KL_TYPES)[number];

// ---------------------------------------------------------------------------------------------
// Group-relative advantages (computed in JS doubles, no gradient; verl compute_grpo_outcome_advantage)

export interface AdvantageOptions {
  /** Divide by the group's unbiased std (GRPO); false = mean-only (Dr.GRPO). */
  normByStd: boolean;
  /** Added to the std, not the variance (default 1e-6). */
  epsilon: number;
}

/**
 * Per-row advantage a_i = (s_i − μ_g)/(σ_g + ε) (or s_i − μ_g), σ unbiased; a singleton group has
 * μ = 0, σ = 1, so its advantage is its raw score over 1 + ε (docs/grpo.md "Group advantages").
 */
export function groupAdvantages(
  scores: ArrayLike<number>,
  groupIds: ArrayLike<number>,
  opts: AdvantageOptions,
): Float64Array {
  const members = new Map<number, number[]>();
  for (let i = 0; i < scores.length; i++) {
    const list = members.get(groupIds[i]);
    if (list) list.push(i);
    else members.set(groupIds[i], [i]);
  }
  const out = new Float64Array(scores.length);
  for (const rows of members.values()) {
    let mean = 0;
    let std = 1;
    if (rows.length > 1) {
      mean = rows.reduce((s, i) => s + scores[i], 0) / rows.length;
      const sq = rows.reduce((s, i) => s + (scores[i] - mean) ** 2, 0);
      std = Math.sqrt(sq / (rows.length - 1));
    }
    for (const i of rows) out[i] = opts.normByStd ? (scores[i] - mean) / (std + opts.epsilon) : scores[i] - mean;
  }
  return out;
}

/** Broadcast per-row advantages to tokens: A[i,t] = a_i · m[i,t] (docs/grpo.md "Group advantages"). */
export function broadcastToTokens(rowValues: ArrayLike<number>, mask: Float32Array, width: number): Float32Array {
  const out = new Float32Array(mask.length);
  for (let i = 0; i < mask.length; i++) out[i] = rowValues[Math.floor(i / width)] * mask[i];
  return out;
}

// ---------------------------------------------------------------------------------------------
// PPO-clip with clip-higher and dual clip (verl compute_policy_loss_vanilla), and the variants the
// loss-replacing regularizers use (Clip-Cov, entropy-balanced): one surrogate, written once

export interface ClipOptions {
  clipRatioLow: number;
  clipRatioHigh: number;
  /** Dual-clip constant c > 1. */
  clipRatioC: number;
}

/** How a variant departs from verl's vanilla PPO-clip; the defaults are vanilla. */
export interface SurrogateVariant {
  /** Clamp lp − lp_old to [−20, 20] before exp (vanilla: true; verl's Clip-Cov and entropy-balanced code: false). */
  clampLogRatio?: boolean;
  /** Cap the loss of A < 0 tokens at −A·c (vanilla: true; Clip-Cov: false). */
  dualClip?: boolean;
  /**
   * lp's numbers as data (no gradient): above 1 + ε_h the clipped branch becomes (1 + ε_h)·exp(lp −
   * sg(lp)), value 1 + ε_h with gradient (1 + ε_h)·∇lp, instead of a constant (entropy-balanced's
   * stop-gradient upper clip). tfjs has no stop-gradient: a tensor rebuilt from data carries none.
   */
  stopGradientUpper?: tf.Tensor1D;
  /** 0/1 per token (data): the loss is multiplied by it, value and gradient (Clip-Cov's selection). */
  keep?: tf.Tensor1D;
}

/**
 * Per-token loss ℓ = max(−A·ρ, −A·clip(ρ, 1−ε_low, 1+ε_high)), capped at −A·c where A < 0,
 * with ρ = exp(clamp(lp − lp_old, −20, 20)); `variant` switches the clamp, the dual clip, the
 * stop-gradient upper clip and a keep mask (SurrogateVariant). `logProbs` carries the gradient;
 * the others are data.
 */
export function ppoClipTokenLoss(
  logProbs: tf.Tensor1D,
  oldLogProbs: tf.Tensor1D,
  advantages: tf.Tensor1D,
  opts: ClipOptions,
  variant: SurrogateVariant = {},
): tf.Tensor1D {
  const { clampLogRatio = true, dualClip = true, stopGradientUpper: detached, keep } = variant;
  return tf.tidy(() => {
    const negA = tf.neg(advantages);
    const logRatio = tf.sub(logProbs, oldLogProbs);
    const ratio = tf.exp(clampLogRatio ? tf.clipByValue(logRatio, -20, 20) : logRatio);
    const unclipped = tf.mul(negA, ratio);
    let bounded = tf.clipByValue(ratio, 1 - opts.clipRatioLow, 1 + opts.clipRatioHigh);
    if (detached) {
      // the branch test reads data: comparison ops have no gradient to pass through
      const above = tf.greater(tf.exp(tf.sub(detached, oldLogProbs)), 1 + opts.clipRatioHigh);
      const upper = tf.mul(tf.exp(tf.sub(logProbs, detached)), 1 + opts.clipRatioHigh);
      bounded = tf.where(above, upper, bounded);
    }
    let loss = tf.maximum(unclipped, tf.mul(negA, bounded));
    // the dual-clip condition depends on A only (data), so `where` keeps its gradient
    if (dualClip) loss = tf.where(tf.less(advantages, 0), tf.minimum(loss, tf.mul(negA, opts.clipRatioC)), loss);
    // keep is data: multiplying by 0 removes both the value and the gradient (verl zeroes the value too)
    if (keep) loss = tf.mul(loss, keep);
    return loss as tf.Tensor1D;
  });
}

export interface ClipStats {
  /** 1 where the clipped branch was chosen (v > u, strict). */
  clipped: Uint8Array;
  pgClipfrac: number;
  pgClipfracLower: number;
  /** mean over valid of lp_old − lp. */
  ppoKl: number;
  /** Valid A > 0 tokens above 1 + ε_h (those the stop-gradient upper clip keeps a gradient for). */
  upperClippedPos: number;
}

/**
 * The PPO-clip metrics from detached values, as fractions of the valid tokens (Σm, no ε; float32
 * mask); `clampLogRatio` as in the surrogate (SurrogateVariant).
 */
export function ppoClipStats(
  logProbs: ArrayLike<number>,
  oldLogProbs: ArrayLike<number>,
  advantages: ArrayLike<number>,
  mask: ArrayLike<number>,
  opts: ClipOptions,
  { clampLogRatio = true }: Pick<SurrogateVariant, 'clampLogRatio'> = {},
): ClipStats {
  const clipped = new Uint8Array(mask.length);
  let n = 0;
  let clip = 0;
  let lower = 0;
  let kl = 0;
  let upperPos = 0;
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    const logRatio = logProbs[i] - oldLogProbs[i];
    const delta = clampLogRatio ? Math.max(-20, Math.min(20, logRatio)) : logRatio;
    const ratio = Math.exp(delta);
    const a = advantages[i];
    const u = -a * ratio;
    const v = -a * Math.min(Math.max(ratio, 1 - opts.clipRatioLow), 1 + opts.clipRatioHigh);
    const w = Math.max(u, v);
    n += 1;
    if (v > u) {
      clipped[i] = 1;
      clip += 1;
    }
    if (a < 0 && w > -a * opts.clipRatioC) lower += 1;
    if (a > 0 && ratio > 1 + opts.clipRatioHigh) upperPos += 1;
    kl += -delta;
  }
  const d = n || 1;
  return { clipped, pgClipfrac: clip / d, pgClipfracLower: lower / d, ppoKl: kl / d, upperClippedPos: upperPos / d };
}

// ---------------------------------------------------------------------------------------------
// KL estimators (verl kl_penalty)

/** |x| whose gradient is sign(x), exactly 0 at x = 0 (tf.abs's gradient at 0 is −1). */
export const absSignGrad = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  save([x]);
  return { value: tf.abs(x), gradFunc: (dy, [saved]) => tf.mul(dy, tf.sign(saved)) };
}) as (x: tf.Tensor) => tf.Tensor;

function klValue(d: tf.Tensor, type: string): tf.Tensor {
  switch (type) {
    case 'kl':
    case 'k1':
      return d;
    case 'abs':
      return absSignGrad(d);
    case 'mse':
    case 'k2':
      return tf.mul(tf.square(d), 0.5);
    case 'low_var_kl':
    case 'k3': {
      const x = tf.clipByValue(tf.neg(d), -20, 20);
      return tf.clipByValue(tf.sub(tf.sub(tf.exp(x), x), 1), -10, 10);
    }
    default:
      throw new Error(`unknown KL estimator ${type}`);
  }
}

/** Value of the named estimator, gradient of k2 (the "+" straight-through forms). */
const straightThrough = (base: string) =>
  tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [d, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([d]);
    // clone: for k1 klValue returns d itself, and a customGrad value that is its own input
    // would add the identity's gradient to k2's
    return { value: tf.clone(klValue(d, base)), gradFunc: (dy, [saved]) => tf.mul(dy, saved) };
  }) as (d: tf.Tensor) => tf.Tensor;

/** Per-token KL penalty between the current and the reference log-probs, d = lp − lp_ref. */
export function klPenalty(logProbs: tf.Tensor1D, refLogProbs: tf.Tensor1D, type: KlType): tf.Tensor1D {
  return tf.tidy(() => {
    const d = tf.sub(logProbs, refLogProbs);
    if (type.endsWith('+')) return straightThrough(type.slice(0, -1))(d) as tf.Tensor1D;
    return klValue(d, type) as tf.Tensor1D;
  });
}

// ---------------------------------------------------------------------------------------------
// Log-probs and entropy from the same temperature-scaled logits (verl entropy_from_logits)

export interface TokenStats {
  /** log π(a) of the taken action per slot [N]. */
  logProbs: tf.Tensor1D;
  /** Full-distribution entropy per slot [N]. */
  entropy: tf.Tensor1D;
  /** log π over all actions [N, A]. */
  logPolicy: tf.Tensor2D;
}

/**
 * From logits [N, A] at temperature 1: divide by the temperature, then log-softmax; the action's
 * log-prob is a one-hot product (tf.gather has no gradient on wasm: docs/tfjs-notes.md "Gradients that
 * TensorFlow.js lacks").
 */
export function tokenStats(logits: tf.Tensor2D, actions: Int32Array, temperature: number): TokenStats {
  return tf.tidy(() => {
    const scaled = temperature === 1 ? logits : tf.div(logits, temperature);
    const logPolicy = tf.logSoftmax(scaled) as tf.Tensor2D;
    const oneHot = tf.oneHot(tf.tensor1d(actions, 'int32'), logits.shape[1]);
    const logProbs = tf.sum(tf.mul(logPolicy, oneHot), 1) as tf.Tensor1D;
    const entropy = tf.neg(tf.sum(tf.mul(tf.exp(logPolicy), logPolicy), 1)) as tf.Tensor1D;
    return { logProbs, entropy, logPolicy };
  });
}
