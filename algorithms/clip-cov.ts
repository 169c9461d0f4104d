// Clip-Cov — Cui et al. 2025, arXiv 2505.22617 (verl `compute_policy_loss_clip_cov`, loss_mode clip_cov;
// docs/bonus-clipcov-klcov-loss.md).
// Replaces the PG loss: PPO-clip without dual clip and without the ±20 log-ratio clamp, and a random
// handful of tokens whose advantage/log-prob covariance lies strictly inside (ω_lo, ω_hi) get their
// loss zeroed (no gradient; they still count in the token-mean denominator).
//
// Scope: every statistic (Ā, L̄P, N, k) is taken over the valid tokens of ONE mini-batch. entrolab
// has no separate micro-batches, so `grpo.mini_batches` plays verl's micro-batch role here: more
// mini-batches = fewer tokens per covariance scope (docs/bonus-clipcov-klcov-loss.md "Scope of the covariance
// statistics").
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { Rng } from '../src/base/rng.ts';
import { maskedMean } from './aggregate.ts';
import { ppoClipStats, ppoClipTokenLoss } from './grpo.ts';
import {
  defineRegularizer,
  type PolicyLossResult,
  type Regularizer,
  type TapedTokens,
  type TokenContext,
} from './regularizer.ts';
import { centredCovariance } from './token-covariance.ts';

export const clipCovSchema = z
  .object({
    /** r: fraction of the mini-batch's valid tokens to cov-clip, k = max(⌊r·N⌋, 1) (verl clip_cov_ratio). */
    ratio: z.number().min(0).max(1).default(2e-4),
    /** ω_lo: a token is eligible only if its covariance is > this (strict; verl clip_cov_lb). */
    lower_bound: z.number().default(1),
    /** ω_hi: ... and < this (strict; excludes outliers; verl clip_cov_ub). */
    upper_bound: z.number().default(5),
  })
  .strict()
  .refine((c) => c.lower_bound < c.upper_bound, { message: 'lower_bound must be < upper_bound' });

export type ClipCovConfig = z.infer<typeof clipCovSchema>;

// ---------------------------------------------------------------------------------------------
// Selection (detached values only)

export interface ClipCovSelection {
  /** Flat indices of the eligible tokens, ascending. */
  eligible: number[];
  /** Flat indices of the cov-clipped tokens, ascending. */
  chosen: number[];
  /** 0 on chosen tokens, 1 elsewhere ([rows*width]). */
  keep: Float32Array;
  valid: number;
  covMean: number;
  /** Valid tokens the PPO clip already clipped (v > u), computed without the log-ratio clamp. */
  ppoClipped: number;
}

export interface ClipCovInputs {
  logProbs: ArrayLike<number>;
  oldLogProbs: ArrayLike<number>;
  advantages: ArrayLike<number>;
  mask: ArrayLike<number>;
  clipRatioLow: number;
  clipRatioHigh: number;
}

/**
 * eligible = valid, not PPO-clipped, ω_lo < cov < ω_hi; chosen = a uniform random subset of size
 * min(max(⌊r·N⌋, 1), |eligible|). The subset is a partial Fisher–Yates shuffle of the eligible list
 * (ascending flat index) driven by `rng`, so it depends only on the stream's state and the batch's
 * valid tokens; when k ≥ |eligible| every eligible token is chosen and no draw is made.
 */
export function selectClipCov(x: ClipCovInputs, cfg: ClipCovConfig, rng: Rng): ClipCovSelection {
  const { cov, valid, mean } = centredCovariance(x.advantages, x.logProbs, x.mask);
  // as in verl: ρ = exp(lp − lp_old) with no clamp; clipped_by_ppo = v > u (strict)
  const clip = { clipRatioLow: x.clipRatioLow, clipRatioHigh: x.clipRatioHigh, clipRatioC: Infinity };
  const { clipped } = ppoClipStats(x.logProbs, x.oldLogProbs, x.advantages, x.mask, clip, { clampLogRatio: false });
  const eligible: number[] = [];
  let ppoClipped = 0;
  for (let i = 0; i < x.mask.length; i++) {
    if (!x.mask[i]) continue;
    if (clipped[i]) {
      ppoClipped += 1;
      continue;
    }
    if (cov[i] > cfg.lower_bound && cov[i] < cfg.upper_bound) eligible.push(i);
  }
  // floor of the double product, as verl's int(r · N) (so 0.29·100 → 28)
  const k = valid > 0 ? Math.max(Math.floor(cfg.ratio * valid), 1) : 0;
  const take = Math.min(k, eligible.length);
  let chosen: number[];
  if (take === eligible.length) {
    chosen = eligible.slice();
  } else {
    const pool = eligible.slice();
    for (let j = 0; j < take; j++) {
      const pick = j + rng.int(pool.length - j);
      [pool[j], pool[pick]] = [pool[pick], pool[j]];
    }
    chosen = pool.slice(0, take).sort((a, b) => a - b);
  }
  const keep = new Float32Array(x.mask.length).fill(1);
  for (const i of chosen) keep[i] = 0;
  return { eligible, chosen, keep, valid, covMean: mean, ppoClipped };
}

// ---------------------------------------------------------------------------------------------
// Loss (taped)

/**
 * ℓ = max(−A·ρ, −A·clip(ρ, 1−ε_low, 1+ε_high)) · keep, ρ = exp(lp − lp_old) unclamped, no dual clip:
 * the PPO-clip surrogate of grpo.ts with this variant.
 */
export function clipCovTokenLoss(
  logProbs: tf.Tensor1D,
  oldLogProbs: tf.Tensor1D,
  advantages: tf.Tensor1D,
  keep: tf.Tensor1D,
  clipRatioLow: number,
  clipRatioHigh: number,
): tf.Tensor1D {
  const clip = { clipRatioLow, clipRatioHigh, clipRatioC: Infinity };
  return ppoClipTokenLoss(logProbs, oldLogProbs, advantages, clip, { clampLogRatio: false, dualClip: false, keep });
}

// ---------------------------------------------------------------------------------------------
// Regularizer

export class ClipCov implements Regularizer {
  constructor(readonly config: ClipCovConfig) {}

  policyLoss(ctx: TokenContext, taped: TapedTokens): PolicyLossResult {
    const { batch } = ctx;
    const sel = selectClipCov(
      {
        logProbs: ctx.logProbs,
        oldLogProbs: batch.oldLogProbs,
        advantages: batch.advantages,
        mask: batch.mask,
        clipRatioLow: ctx.clipRatioLow,
        clipRatioHigh: ctx.clipRatioHigh,
      },
      this.config,
      ctx.step.rng,
    );
    const n = sel.valid || 1;
    const value = tf.tidy(() =>
      clipCovTokenLoss(
        taped.logProbs,
        tf.tensor1d(batch.oldLogProbs),
        tf.tensor1d(batch.advantages),
        tf.tensor1d(sel.keep),
        ctx.clipRatioLow,
        ctx.clipRatioHigh,
      ),
    );
    return {
      value,
      // as in verl: pg_clipfrac is the cov-clipped fraction, not the PPO clip fraction
      actor: {
        pgClipfrac: sel.chosen.length / n,
        pgClipfracLower: 0,
        ppoKl: maskedMean(
          Float64Array.from(batch.oldLogProbs, (old, i) => old - ctx.logProbs[i]),
          batch.mask,
        ),
      },
      metrics: {
        frac: sel.chosen.length / n,
        eligible_frac: sel.eligible.length / n,
        ppo_clipfrac: sel.ppoClipped / n,
        cov_mean: sel.covMean,
      },
      selection: {
        label: 'cov-clipped: loss and gradient zeroed (candidates = eligible tokens)',
        tokens: sel.chosen,
        candidates: sel.eligible,
      },
    };
  }
}

export const clipCovDefinition = defineRegularizer({
  name: 'clip_cov',
  summary:
    'Clip-Cov (Cui et al. 2025): zero the loss of a few random tokens ' +
    'whose adv/log-prob covariance is in (lower_bound, upper_bound)',
  schema: clipCovSchema,
  create: (config) => new ClipCov(config),
});
