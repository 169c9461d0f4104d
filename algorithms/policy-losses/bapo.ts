// BAPO, "BAPO: Stabilizing Off-Policy RL via Balanced Policy Optimization with Adaptive Clipping"
// (arXiv 2510.18927; WooooDyy/BAPO recipe/bapo/policy_loss.py::compute_policy_loss_bapo): PPO-clip with
// explicit ratio bounds [a, b] searched per mini-batch. With ρ = exp(clamp(δ, ±20)), the clipped
// contribution e_t = A·min(ρ, b) (A ≥ 0) or A·max(ρ, a) (A < 0); P = Σ max(e, 0), Q = Σ max(−e, 0),
// R = P/(Q + eps) (+∞ when Q ≤ 0). While R < adv_ratio_target, a steps up to its max, then b; the loss
// is then PPO-clip on [a, b] with the dual clip c (docs/policy-losses.md "BAPO").
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { ppoClipStats, ppoClipTokenLoss } from '../grpo.ts';
import {
  clampLogRatio,
  logRatios,
  type PolicyLoss,
  type PolicyLossInputs,
  type PolicyLossOutput,
} from './policy-loss.ts';

const bound = (value: number) => z.number().gt(0).nullable().default(value);

export const bapoSchema = z
  .object({
    /** Start of the lower ratio bound a (null: 1 − clip_ratio_low). */
    ratio_lower_start: bound(0.6),
    /** Largest a the search may reach (null: the start, no search). */
    ratio_lower_max: bound(0.8),
    /** Step of a (0: no search). */
    ratio_lower_step: z.number().min(0).default(0.05),
    /** Start of the upper ratio bound b (null: 1 + clip_ratio_high). */
    ratio_upper_start: bound(1.2),
    /** Largest b the search may reach (null: the start, no search). */
    ratio_upper_max: bound(2.0),
    /** Step of b (0: no search). */
    ratio_upper_step: z.number().min(0).default(0.05),
    /** The P/Q the search tries to reach (1.0 ≡ positives half of the clipped contribution). */
    adv_ratio_target: z.number().min(0).default(1.0),
    /** ε in R = P/(Q + ε). */
    eps: z.number().min(0).default(1e-8),
  })
  .strict();
export type BapoSettings = z.infer<typeof bapoSchema>;

export interface BapoBounds {
  low: number;
  high: number;
  /** P/Q at the final bounds. */
  ratio: number;
  /** How many times R was recomputed after the first. */
  steps: number;
}

/** P/(Q + eps) of the clipped contributions at bounds (a, b); +∞ when Q ≤ 0. */
export function positiveNegativeRatio(
  ratio: ArrayLike<number>,
  advantages: ArrayLike<number>,
  mask: ArrayLike<number>,
  a: number,
  b: number,
  eps: number,
): number {
  let pos = 0;
  let neg = 0;
  for (let k = 0; k < mask.length; k++) {
    const adv = advantages[k];
    const e = (adv >= 0 ? adv * Math.min(ratio[k], b) : adv * Math.max(ratio[k], a)) * mask[k];
    if (e > 0) pos += e;
    else neg -= e;
  }
  return neg <= 0 ? Infinity : pos / (neg + eps);
}

/** The bound search (1.20 of the code): a first, then b, by repeated addition, stopping once R ≥ target. */
export function searchBounds(
  ratio: ArrayLike<number>,
  advantages: ArrayLike<number>,
  mask: ArrayLike<number>,
  s: BapoSettings,
  clip: { clipRatioLow: number; clipRatioHigh: number },
): BapoBounds {
  let low = s.ratio_lower_start ?? 1 - clip.clipRatioLow;
  let high = s.ratio_upper_start ?? 1 + clip.clipRatioHigh;
  const lowMax = s.ratio_lower_max ?? low;
  const highMax = s.ratio_upper_max ?? high;
  const target = s.adv_ratio_target;
  let r = positiveNegativeRatio(ratio, advantages, mask, low, high, s.eps);
  let steps = 0;
  while (r < target && low < lowMax && s.ratio_lower_step > 0) {
    low = Math.min(low + s.ratio_lower_step, lowMax);
    r = positiveNegativeRatio(ratio, advantages, mask, low, high, s.eps);
    steps += 1;
  }
  while (r < target && high < highMax && s.ratio_upper_step > 0) {
    high = Math.min(high + s.ratio_upper_step, highMax);
    r = positiveNegativeRatio(ratio, advantages, mask, low, high, s.eps);
    steps += 1;
  }
  return { low, high, ratio: r, steps };
}

function compute(x: PolicyLossInputs, s: BapoSettings): PolicyLossOutput {
  const ratio = Float64Array.from(logRatios(x), (d) => Math.exp(clampLogRatio(d)));
  const found = searchBounds(ratio, x.advantages, x.mask, s, x.clip);
  // PPO-clip written once (algorithms/grpo.ts), its box given as ε's around 1
  const clip = { clipRatioLow: 1 - found.low, clipRatioHigh: found.high - 1, clipRatioC: x.clip.clipRatioC };
  const stats = ppoClipStats(x.logProbValues, x.oldLogProbs, x.advantages, x.mask, clip);
  const tokenLoss = tf.tidy(() =>
    ppoClipTokenLoss(x.logProbs, tf.tensor1d(x.oldLogProbs), tf.tensor1d(x.advantages), clip),
  );
  return {
    tokenLoss,
    actor: { pgClipfrac: stats.pgClipfrac, pgClipfracLower: stats.pgClipfracLower, ppoKl: stats.ppoKl },
    metrics: {
      'bapo/clip_low': found.low,
      'bapo/clip_high': found.high,
      // R is +∞ without a negative contribution: left out of that mini-batch's metrics (a log holds numbers)
      ...(Number.isFinite(found.ratio) && { 'bapo/pos_neg_ratio': found.ratio }),
      'bapo/search_steps': found.steps,
    },
  };
}

export const bapoLoss = {
  name: 'bapo',
  summary: 'BAPO: PPO-clip with ratio bounds [a, b] raised per mini-batch until positives reach adv_ratio_target',
  keys: [
    'clip_ratio_low',
    'clip_ratio_high',
    'clip_ratio_c',
    'bapo.ratio_lower_start',
    'bapo.ratio_lower_max',
    'bapo.ratio_lower_step',
    'bapo.ratio_upper_start',
    'bapo.ratio_upper_max',
    'bapo.ratio_upper_step',
    'bapo.adv_ratio_target',
    'bapo.eps',
  ],
  schema: bapoSchema,
  compute,
} as const satisfies PolicyLoss<'bapo', BapoSettings>;
