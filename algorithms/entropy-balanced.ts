// Entropy-balanced policy optimization, loss part ("Agentic Entropy-Balanced Policy Optimization",
// arXiv 2510.14545, which names the method AEPO — a different method from entrolab's `aepo`; code:
// RUC-NLPIR/ARPO `core_algos.compute_policy_loss_entropy_balanced_clipping`). Two changes to PPO-clip:
// 1. above the upper bound a positive-advantage token keeps a gradient of fixed size (1 + ε_h)·A
//    (a stop-gradient-rescaled clip value) instead of none;
// 2. the advantage is scaled by 1 + κ·z(H), z the z-score of the token's current entropy within the
//    mini-batch, so high-entropy tokens get larger steps.
// It replaces the PG loss (policyLoss). Formulas in words: docs/entropy-clip-canon-balanced.md.
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { type ClipOptions, type ClipStats, ppoClipStats, ppoClipTokenLoss } from './grpo.ts';
import {
  defineRegularizer,
  type Metrics,
  type PolicyLossResult,
  type Reductions,
  type Regularizer,
  type TapedTokens,
  type TokenContext,
} from './regularizer.ts';

export const entropyBalancedSchema = z
  .object({
    /** stopgrad: above 1 + ε_h an A > 0 token keeps gradient (1 + ε_h)·A (code); vanilla: PPO-clip's hard clip. */
    clip_mode: z.enum(['stopgrad', 'vanilla']).default('stopgrad'),
    /** zscore: A·(1 + κ·z(H)); off: A unchanged (what the released runs effectively did). */
    advantage_mode: z.enum(['zscore', 'off']).default('zscore'),
    /** κ in 1 + κ·z (hard-coded 0.2 in the code). */
    advantage_scale: z.number().min(0).default(0.2),
    /** Clamp the factor 1 + κ·z at 0, so a very low-entropy token never flips its advantage's sign. */
    clamp_factor: z.boolean().default(true),
  })
  .strict();
export type EntropyBalancedConfig = z.infer<typeof entropyBalancedSchema>;

// ---------------------------------------------------------------------------------------------
// The entropy-aware advantage factor (detached values)

export interface AdvantageFactors {
  /** 1 + κ·z per slot ([rows*width]); 1 on padded slots. */
  factors: Float32Array;
  /** Valid tokens whose factor was clamped at 0. */
  clamped: number;
  /** Mean |z| over the valid tokens (0 when the factors are all 1). */
  zAbsMean: number;
}

/**
 * z = (H − mean H)/std H over the valid tokens, std unbiased; with fewer than two valid tokens or a
 * constant H every factor is 1 (the code turns a single token into NaN; we do not).
 */
export function entropyAdvantageFactors(
  entropy: ArrayLike<number>,
  mask: ArrayLike<number>,
  scale: number,
  clampAtZero: boolean,
): AdvantageFactors {
  const factors = new Float32Array(mask.length).fill(1);
  // deviations from the first valid value, so that a constant H gives a std of exactly 0
  let first = Number.NaN;
  let n = 0;
  let sum = 0;
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    if (n === 0) first = entropy[i];
    n += 1;
    sum += entropy[i] - first;
  }
  if (n < 2) return { factors, clamped: 0, zAbsMean: 0 };
  const mean = first + sum / n;
  let sq = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) sq += (entropy[i] - first - sum / n) ** 2;
  const std = Math.sqrt(sq / (n - 1));
  if (std === 0) return { factors, clamped: 0, zAbsMean: 0 };
  let clamped = 0;
  let zAbs = 0;
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    const zi = (entropy[i] - mean) / std;
    zAbs += Math.abs(zi);
    let f = 1 + scale * zi;
    if (clampAtZero && f < 0) {
      f = 0;
      clamped += 1;
    }
    factors[i] = f;
  }
  return { factors, clamped, zAbsMean: zAbs / n };
}

// ---------------------------------------------------------------------------------------------
// The clipped loss (taped)

/**
 * ℓ = max(−A·ρ, −A·ρ̃), capped at −A·c where A < 0, ρ = exp(lp − lp_old) (no clamp), and
 * ρ̃ = 1 − ε_l below the band, ρ inside, and above it U = (1 + ε_h)·exp(lp − sg(lp)): the value
 * 1 + ε_h with the gradient (1 + ε_h)·∇lp. `detachedLogProbs` holds lp's numbers as data (tfjs has no
 * stop-gradient: a tensor rebuilt from data carries none). `stopGradientUpper` false gives PPO-clip.
 * The PPO-clip surrogate of grpo.ts with this variant.
 */
export function entropyBalancedTokenLoss(
  logProbs: tf.Tensor1D,
  detachedLogProbs: tf.Tensor1D,
  oldLogProbs: tf.Tensor1D,
  advantages: tf.Tensor1D,
  opts: ClipOptions,
  stopGradientUpper: boolean,
): tf.Tensor1D {
  return ppoClipTokenLoss(logProbs, oldLogProbs, advantages, opts, {
    clampLogRatio: false,
    stopGradientUpper: stopGradientUpper ? detachedLogProbs : undefined,
  });
}

export type EntropyBalancedStats = ClipStats;

/** The loss's clip metrics from detached values, as fractions of the valid tokens (ρ unclamped). */
export function entropyBalancedStats(
  logProbs: ArrayLike<number>,
  oldLogProbs: ArrayLike<number>,
  advantages: ArrayLike<number>,
  mask: ArrayLike<number>,
  opts: ClipOptions,
): EntropyBalancedStats {
  return ppoClipStats(logProbs, oldLogProbs, advantages, mask, opts, { clampLogRatio: false });
}

// ---------------------------------------------------------------------------------------------
// The regularizer

export interface EntropyBalancedLoss {
  tokenLoss: tf.Tensor1D;
  /** The advantage factors and the A > 0 tokens above the band (flat indices). */
  factors: AdvantageFactors;
  upperPositive: number[];
  stats: EntropyBalancedStats;
}

/** The per-token loss of one mini-batch and what it measured. */
export function entropyBalancedLoss(
  ctx: TokenContext,
  taped: TapedTokens,
  c: EntropyBalancedConfig,
): EntropyBalancedLoss {
  const b = ctx.batch;
  const factors =
    c.advantage_mode === 'zscore'
      ? entropyAdvantageFactors(ctx.entropy, b.mask, c.advantage_scale, c.clamp_factor)
      : { factors: new Float32Array(b.mask.length).fill(1), clamped: 0, zAbsMean: 0 };
  const advantages = b.advantages.map((a, i) => a * factors.factors[i]);
  const clip = { clipRatioLow: ctx.clipRatioLow, clipRatioHigh: ctx.clipRatioHigh, clipRatioC: ctx.clipRatioC };
  const stats = entropyBalancedStats(ctx.logProbs, b.oldLogProbs, advantages, b.mask, clip);
  const upperPositive: number[] = [];
  for (let i = 0; i < b.mask.length; i++) {
    if (b.mask[i] && advantages[i] > 0 && Math.exp(ctx.logProbs[i] - b.oldLogProbs[i]) > 1 + ctx.clipRatioHigh)
      upperPositive.push(i);
  }
  const tokenLoss = tf.tidy(() =>
    entropyBalancedTokenLoss(
      taped.logProbs,
      tf.tensor1d(ctx.logProbs),
      tf.tensor1d(b.oldLogProbs),
      tf.tensor1d(advantages),
      clip,
      c.clip_mode === 'stopgrad',
    ),
  );
  return { tokenLoss, factors, upperPositive, stats };
}

/** The factors' summary over the valid tokens of the mini-batch. */
export function factorMetrics(factors: AdvantageFactors, mask: ArrayLike<number>): Metrics {
  let n = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    const f = factors.factors[i];
    n += 1;
    sum += f;
    min = Math.min(min, f);
    max = Math.max(max, f);
  }
  if (n === 0) return {};
  return {
    adv_factor_mean: sum / n,
    adv_factor_min: min,
    adv_factor_max: max,
    adv_factor_clamped_frac: factors.clamped / n,
    H_z_abs_mean: factors.zAbsMean,
  };
}

/** The factor's extremes stay extremes over a step's mini-batches; the rest are averaged. */
export const FACTOR_REDUCE: Reductions = { adv_factor_min: 'min', adv_factor_max: 'max' };

export class EntropyBalanced implements Regularizer {
  constructor(private readonly config: EntropyBalancedConfig) {}

  policyLoss(ctx: TokenContext, taped: TapedTokens): PolicyLossResult {
    const out = entropyBalancedLoss(ctx, taped, this.config);
    const { pgClipfrac, pgClipfracLower, ppoKl, upperClippedPos } = out.stats;
    return {
      value: out.tokenLoss,
      actor: { pgClipfrac, pgClipfracLower, ppoKl },
      metrics: { frac_upper_clipped_pos: upperClippedPos, ...factorMetrics(out.factors, ctx.batch.mask) },
      reduce: FACTOR_REDUCE,
      selection: {
        label: 'A > 0 above 1 + clip_ratio_high: gradient (1 + ε_h)·A kept; weights = advantage factor 1 + κ·z(H)',
        tokens: out.upperPositive,
        weights: out.factors.factors,
      },
    };
  }
}

export const entropyBalancedDefinition = defineRegularizer({
  name: 'entropy_balanced',
  summary: 'Entropy-balanced PO: stop-gradient upper clip ((1+ε_h)·A kept above the band), advantage A·(1 + κ·z(H))',
  schema: entropyBalancedSchema,
  create: (config) => new EntropyBalanced(config),
});
