// KL-Cov — Cui et al. 2025, arXiv 2505.22617 (verl `compute_policy_loss_kl_cov`, loss_mode kl_cov;
// docs/bonus-clipcov-klcov-loss.md).
// Replaces the PG loss: plain importance-weighted PG −A·ρ (no clip, no clamp), plus β·|lp − lp_old|
// on the top max(1, ⌊k·N⌋) valid tokens by covariance (A − Ā)(lp − L̄P).
//
// Choices entrolab makes where verl and the paper leave room:
// - k is a FRACTION of the mini-batch's valid tokens (verl `kl_cov_ratio`). The authors' fork takes a
//   percent (`k_percent` 0.2 = fraction 0.002).
// - Top-k ties are broken by the lower flat (row-major) index; torch.topk leaves them unspecified.
// - Noise: |δ| ≤ `delta_tol` counts as δ = 0 — the penalty has neither value nor
//   gradient there. The trainer's lp_old comes from a separate forward pass over the whole batch,
//   which is not guaranteed bit-identical to the taped forward over a mini-batch on every backend.
// - Scope is one mini-batch (`grpo.mini_batches` plays verl's micro-batch role).
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { absSignGrad } from './grpo.ts';
import {
  defineRegularizer,
  type PolicyLossResult,
  type Regularizer,
  type RunShape,
  type TapedTokens,
  type TokenContext,
} from './regularizer.ts';
import { centredCovariance } from './token-covariance.ts';

export const klCovSchema = z
  .object({
    /**
     * k: fraction of the mini-batch's valid tokens penalised, n = max(1, ⌊k·N⌋) (verl kl_cov_ratio; fork
     * k_percent/100).
     */
    ratio: z.number().min(0).max(1).default(2e-4),
    /** β: weight of |lp − lp_old| on the selected tokens (paper and recipes: 1; verl's config default: 0.1). */
    coef: z.number().min(0).default(1),
    /** |lp − lp_old| at or below this (nats) is treated as 0: float noise gets no ±β gradient. */
    delta_tol: z.number().min(0).default(1e-5),
  })
  .strict();

export type KlCovConfig = z.infer<typeof klCovSchema>;

export interface KlCovSelection {
  /** Flat indices of the top-k tokens by covariance, descending cov (ties: lower index first). */
  selected: number[];
  /** 1 where the penalty is applied: selected and |δ| > delta_tol ([rows*width]). */
  penalised: Float32Array;
  valid: number;
  covMean: number;
  /** Mean over valid tokens of |lp − lp_old| (verl's ppo_kl under KL-Cov). */
  meanAbsDelta: number;
}

/** The top-k covariance selection from detached values. */
export function selectKlCov(
  logProbs: ArrayLike<number>,
  oldLogProbs: ArrayLike<number>,
  advantages: ArrayLike<number>,
  mask: ArrayLike<number>,
  cfg: KlCovConfig,
): KlCovSelection {
  const { cov, valid, mean } = centredCovariance(advantages, logProbs, mask);
  const order: number[] = [];
  let absDelta = 0;
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    order.push(i);
    absDelta += Math.abs(logProbs[i] - oldLogProbs[i]);
  }
  order.sort((a, b) => cov[b] - cov[a] || a - b);
  // floor of the double product, as verl's int(N · k)
  const n = valid > 0 ? Math.max(1, Math.floor(valid * cfg.ratio)) : 0;
  const selected = order.slice(0, n);
  const penalised = new Float32Array(mask.length);
  for (const i of selected) if (Math.abs(logProbs[i] - oldLogProbs[i]) > cfg.delta_tol) penalised[i] = 1;
  return { selected, penalised, valid, covMean: mean, meanAbsDelta: valid > 0 ? absDelta / valid : 0 };
}

/** ℓ = −A·ρ + β·|δ|·penalised, δ = lp − lp_old, ρ = exp(δ) unclamped; d|δ|/dlp = sign(δ), 0 at 0. */
export function klCovTokenLoss(
  logProbs: tf.Tensor1D,
  oldLogProbs: tf.Tensor1D,
  advantages: tf.Tensor1D,
  penalised: tf.Tensor1D,
  coef: number,
): tf.Tensor1D {
  return tf.tidy(() => {
    const delta = tf.sub(logProbs, oldLogProbs);
    const base = tf.mul(tf.neg(advantages), tf.exp(delta));
    return tf.add(base, tf.mul(absSignGrad(delta), tf.mul(penalised, coef))) as tf.Tensor1D;
  });
}

export class KlCov implements Regularizer {
  constructor(readonly config: KlCovConfig) {}

  policyLoss(ctx: TokenContext, taped: TapedTokens): PolicyLossResult {
    const { batch } = ctx;
    const sel = selectKlCov(ctx.logProbs, batch.oldLogProbs, batch.advantages, batch.mask, this.config);
    let penalty = 0;
    let penalisedCount = 0;
    for (const i of sel.selected) {
      if (!sel.penalised[i]) continue;
      penalisedCount += 1;
      penalty += this.config.coef * Math.abs(ctx.logProbs[i] - batch.oldLogProbs[i]);
    }
    const n = sel.valid || 1;
    const value = tf.tidy(() =>
      klCovTokenLoss(
        taped.logProbs,
        tf.tensor1d(batch.oldLogProbs),
        tf.tensor1d(batch.advantages),
        tf.tensor1d(sel.penalised),
        this.config.coef,
      ),
    );
    return {
      value,
      // as in verl: no clipping at all; ppo_kl is the mean |δ| here (not mean lp_old − lp)
      actor: { pgClipfrac: 0, pgClipfracLower: 0, ppoKl: sel.meanAbsDelta },
      metrics: {
        selected_frac: sel.selected.length / n,
        penalised_frac: penalisedCount / n,
        penalty_mean: penalty / n,
        cov_mean: sel.covMean,
      },
      selection: {
        label:
          `top-k by covariance: loss + ${this.config.coef}·|lp − lp_old| ` +
          `(nothing where |lp − lp_old| <= ${this.config.delta_tol})`,
        tokens: sel.selected.slice().sort((a, b) => a - b),
      },
    };
  }

  warnings(run: RunShape): string[] {
    if (run.epochs === 1 && run.miniBatches === 1) {
      return [
        'with grpo.epochs = 1 and grpo.mini_batches = 1 every update is on-policy (lp = lp_old), ' +
          'so the KL-Cov penalty is ' +
          'always 0 and the loss is plain unclipped PG; raise grpo.mini_batches or grpo.epochs for it to act',
      ];
    }
    return [];
  }
}

export const klCovDefinition = defineRegularizer({
  name: 'kl_cov',
  summary:
    'KL-Cov (Cui et al. 2025): unclipped PG plus coef·|lp − lp_old| on the top-ratio tokens by adv/log-prob covariance',
  schema: klCovSchema,
  create: (config) => new KlCov(config),
});
