// Archer — dual-token constraints ("Stabilizing Knowledge, Promoting Reasoning: Dual-Token
// Constraints for RLVR", arXiv 2507.15778; code wizard-III/ArcherCodeR `dp_actor.py::update_policy`
// (the entropy split and the two KL terms) and `core_algos.py::compute_policy_loss` with
// `use_token_entropy_separate`). Per response, from the current entropy:
//   q_i = the row's 0.8-quantile; low set L = {H ≤ q_i} (knowledge), high set = {H > q_i} (strict)
//   PPO-clip with per-token bounds: tight for L, loose for the high set (dual clip as usual)
//   loss += kl_coef·agg_L(kl) + kl_high_coef·agg_high(kl), each over its own set's tokens
// The policy gradient is aggregated over every valid token; the KL anchors only the low-entropy
// tokens to the reference (the released run has kl_high_coef = 0). Formulas: docs/archer.md.
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { aggregateLoss } from './aggregate.ts';
import { KL_TYPES, klPenalty } from './grpo.ts';
import {
  defineRegularizer,
  type LossHookResult,
  type PolicyLossResult,
  type Regularizer,
  type TapedTokens,
  type TokenContext,
} from './regularizer.ts';
import { type KeptTokens, selectTokens } from './token-selection.ts';

const bounds = z.tuple([z.number().min(0).max(1), z.number().min(0)]);

export const archerSchema = z
  .object({
    /** The row quantile of the entropy split: tokens strictly above it are high-entropy. */
    quantile: z.number().min(0).max(1).default(0.8),
    /** [ε_low, ε_high] of the low-entropy tokens' clip (1 − ε_low ≤ ρ̂ ≤ 1 + ε_high). */
    low_clip: bounds.default([0.2, 0.2]),
    /** [ε_low, ε_high] of the high-entropy tokens' clip. */
    high_clip: bounds.default([0.5, 0.5]),
    /** KL-to-reference weight on the low-entropy tokens (the code's kl_loss_coef). */
    kl_coef: z.number().min(0).default(0.001),
    /** KL weight on the high-entropy tokens: an absolute weight, not a multiple of kl_coef (code 0). */
    kl_high_coef: z.number().min(0).default(0),
    /** The KL estimator (verl kl_penalty; low_var_kl = k3). */
    kl_type: z.enum(KL_TYPES).default('low_var_kl'),
  })
  .strict();
export type ArcherConfig = z.infer<typeof archerSchema>;

/** The high-entropy set of each row: H strictly above the row's quantile (ties and one-token rows: none). */
export function entropySplit(ctx: TokenContext, quantile: number): KeptTokens {
  const { batch } = ctx;
  return selectTokens(ctx.entropy, batch.mask, batch.rows, batch.width, 'row', {
    rule: 'quantile',
    level: quantile,
    strict: true,
  });
}

/** Per-token clip bounds [rows*width]: the high set's on high tokens, the low set's elsewhere. */
export function tokenBounds(high: Uint8Array, c: Pick<ArcherConfig, 'low_clip' | 'high_clip'>) {
  const lower = new Float32Array(high.length);
  const upper = new Float32Array(high.length);
  for (let i = 0; i < high.length; i++) {
    const [lo, hi] = high[i] ? c.high_clip : c.low_clip;
    lower[i] = 1 - lo;
    upper[i] = 1 + hi;
  }
  return { lower, upper };
}

/** PPO-clip per token with per-token bounds: max(−Aρ, −A·clamp(ρ, lower, upper)), then the dual clip. */
export function dualBoundTokenLoss(
  logProbs: tf.Tensor1D,
  oldLogProbs: Float32Array,
  advantages: Float32Array,
  lower: Float32Array,
  upper: Float32Array,
  clipRatioC: number,
): tf.Tensor1D {
  return tf.tidy(() => {
    const a = tf.tensor1d(advantages);
    const negA = tf.neg(a);
    const ratio = tf.exp(tf.clipByValue(tf.sub(logProbs, tf.tensor1d(oldLogProbs)), -20, 20));
    const bounded = tf.minimum(tf.maximum(ratio, tf.tensor1d(lower)), tf.tensor1d(upper));
    const loss = tf.maximum(tf.mul(negA, ratio), tf.mul(negA, bounded));
    return tf.where(tf.less(a, 0), tf.minimum(loss, tf.mul(negA, clipRatioC)), loss) as tf.Tensor1D;
  });
}

/** Which branch won per valid token, from detached values, for the clip fractions. */
function clipCounts(ctx: TokenContext, high: Uint8Array, lower: Float32Array, upper: Float32Array) {
  const { batch } = ctx;
  const n = { valid: 0, clipped: 0, lowerDual: 0, kl: 0, high: 0, highClipped: 0, low: 0, lowClipped: 0 };
  for (let i = 0; i < batch.mask.length; i++) {
    if (!batch.mask[i]) continue;
    const delta = Math.max(-20, Math.min(20, ctx.logProbs[i] - batch.oldLogProbs[i]));
    const ratio = Math.exp(delta);
    const a = batch.advantages[i];
    const u = -a * ratio;
    const v = -a * Math.min(Math.max(ratio, lower[i]), upper[i]);
    const clipped = v > u ? 1 : 0;
    n.valid += 1;
    n.clipped += clipped;
    if (a < 0 && Math.max(u, v) > -a * ctx.clipRatioC) n.lowerDual += 1;
    n.kl += -delta;
    if (high[i]) {
      n.high += 1;
      n.highClipped += clipped;
    } else {
      n.low += 1;
      n.lowClipped += clipped;
    }
  }
  return n;
}

export class Archer implements Regularizer {
  constructor(private readonly config: ArcherConfig) {}

  policyLoss(ctx: TokenContext, taped: TapedTokens): PolicyLossResult {
    const { batch } = ctx;
    const split = entropySplit(ctx, this.config.quantile);
    const { lower, upper } = tokenBounds(split.keep, this.config);
    const value = dualBoundTokenLoss(taped.logProbs, batch.oldLogProbs, batch.advantages, lower, upper, ctx.clipRatioC);
    const n = clipCounts(ctx, split.keep, lower, upper);
    const d = Math.max(1, n.valid);
    let highH = 0;
    let lowH = 0;
    for (let i = 0; i < batch.mask.length; i++) {
      if (!batch.mask[i]) continue;
      if (split.keep[i]) highH += ctx.entropy[i];
      else lowH += ctx.entropy[i];
    }
    const tokens: number[] = [];
    split.keep.forEach((k, i) => k && tokens.push(i));
    return {
      value,
      actor: { pgClipfrac: n.clipped / d, pgClipfracLower: n.lowerDual / d, ppoKl: n.kl / d },
      metrics: {
        frac_high: n.high / d,
        clipfrac_low: n.low ? n.lowClipped / n.low : 0,
        clipfrac_high: n.high ? n.highClipped / n.high : 0,
        rows_without_high: split.rowsWithoutKept,
        high_entropy_mean: n.high ? highH / n.high : 0,
        low_entropy_mean: n.low ? lowH / n.low : 0,
      },
      selection: {
        label: `high entropy (> the row's ${this.config.quantile}-quantile): clip ${this.config.high_clip.join('/')}, no low-set KL`,
        tokens,
      },
    };
  }

  /** kl_coef·agg_L(kl) + kl_high_coef·agg_high(kl), each aggregated over its own set (an empty set gives 0). */
  lossTerm(ctx: TokenContext, taped: TapedTokens): LossHookResult<tf.Scalar> {
    const { batch } = ctx;
    const split = entropySplit(ctx, this.config.quantile);
    const lowMask = Float32Array.from(batch.mask, (m, i) => (split.keep[i] ? 0 : m));
    const highMask = Float32Array.from(batch.mask, (m, i) => (split.keep[i] ? m : 0));
    const parts = tf.tidy(() => {
      const kl = klPenalty(taped.logProbs, tf.tensor1d(batch.refLogProbs!), this.config.kl_type);
      const low = aggregateLoss(kl, lowMask, batch.rows, batch.width, ctx.aggMode);
      const high = aggregateLoss(kl, highMask, batch.rows, batch.width, ctx.aggMode);
      return [low, high, tf.add(tf.mul(low, this.config.kl_coef), tf.mul(high, this.config.kl_high_coef))];
    });
    const [low, high, value] = parts;
    const metrics = { kl_low: low.dataSync()[0], kl_high: high.dataSync()[0] };
    low.dispose();
    high.dispose();
    return { value: value as tf.Scalar, metrics };
  }
}

export const archerDefinition = defineRegularizer({
  name: 'archer',
  summary:
    'Archer: per response, tokens above its 0.8-quantile entropy get loose clipping (0.5) and no KL; the rest tight clipping (0.2) and a KL anchor to the reference',
  schema: archerSchema,
  needsReference: true,
  create: (config) => new Archer(config),
});
