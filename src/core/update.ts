// Step 5 of a training step: epochs × mini-batches of the GRPO loss plus regularizer hooks,
// one Adam step per mini-batch (spec grpo §2 "How a step's gradient is formed").
import * as tf from '@tensorflow/tfjs';
import {
  aggregateLoss,
  aggregateValues,
  klPenalty,
  ppoClipStats,
  ppoClipTokenLoss,
  tokenStats,
} from '../../algorithms/grpo.ts';
import type { Regularizer, StepInfo, TapedTokens, TokenContext } from '../../algorithms/regularizer.ts';
import type { Adam } from './adam.ts';
import { selectRows, type Batch } from './batch.ts';
import type { GrpoConfig } from '../config/schema.ts';
import { UserError } from '../errors.ts';
import type { Policy } from '../policies/policy.ts';
import type { Rng } from './rng.ts';

export interface UpdateSettings {
  grpo: GrpoConfig;
  gradClip: number;
  temperature: number;
}

/** Scalars of one mini-batch update; the step logs their mean over mini-batches. */
export type UpdateMetrics = Record<string, number>;

/** Split row indices into `parts` nearly equal chunks after a seeded shuffle. */
export function miniBatchRows(rows: number, parts: number, rng: Rng): number[][] {
  const order = parts > 1 ? rng.permutation(rows) : Array.from({ length: rows }, (_, i) => i);
  const n = Math.min(parts, rows);
  const out: number[][] = [];
  for (let p = 0; p < n; p++) out.push(order.slice(Math.floor((p * rows) / n), Math.floor(((p + 1) * rows) / n)));
  return out;
}

function globalNorm(grads: tf.Tensor[]): number {
  const sq = tf.tidy(() => tf.addN(grads.map((g) => tf.sum(tf.square(g)))));
  const value = Math.sqrt(sq.dataSync()[0]);
  sq.dispose();
  return value;
}

export interface LossPosition {
  epoch: number;
  miniBatch: number;
}

/**
 * The full per-mini-batch loss from the taped log-probs and entropies of the taken actions
 * ([rows*width]): PG token loss (vanilla PPO-clip, or the one regularizer that replaces it) ×
 * regularizer token weights → aggregate, − entropy_coeff·H, + KL to reference, + regularizer terms.
 * Writes scalars into `metrics`. Shared by the trainer and the `loss` command.
 */
export function composeLoss(
  logProbs: tf.Tensor1D,
  entropy: tf.Tensor1D,
  mb: Batch,
  regularizers: readonly Regularizer[],
  grpo: GrpoConfig,
  info: StepInfo,
  position: LossPosition,
  metrics: UpdateMetrics,
  inspect?: (ctx: TokenContext, tokenLoss: tf.Tensor1D) => void,
): tf.Scalar {
  const clip = { clipRatioLow: grpo.clip_ratio_low, clipRatioHigh: grpo.clip_ratio_high, clipRatioC: grpo.clip_ratio_c };
  const lossOwner = regularizers.find((r) => r.policyLoss);
  // detached copies: tfjs has no stopGradient, tensors rebuilt from data carry none
  const lpValues = logProbs.dataSync() as Float32Array;
  const entValues = entropy.dataSync() as Float32Array;
  const clipStats = ppoClipStats(lpValues, mb.oldLogProbs, mb.advantages, mb.mask, clip);
  const ctx: TokenContext = {
    batch: mb,
    step: info,
    logProbs: lpValues,
    entropy: entValues,
    ppoClipped: clipStats.clipped,
    ...clip,
    aggMode: grpo.loss_agg_mode,
    epoch: position.epoch,
    miniBatch: position.miniBatch,
  };
  const aggregate = (t: tf.Tensor1D) => aggregateLoss(t, mb.mask, mb.rows, mb.width, grpo.loss_agg_mode);
  const taped: TapedTokens = { logProbs, entropy, mask: tf.tensor1d(mb.mask), aggregate };

  let tokenLoss = lossOwner
    ? lossOwner.policyLoss!(ctx, taped)
    : ppoClipTokenLoss(logProbs, tf.tensor1d(mb.oldLogProbs), tf.tensor1d(mb.advantages), clip);
  for (const reg of regularizers) {
    if (reg.tokenWeights) tokenLoss = tf.mul(tokenLoss, tf.tensor1d(reg.tokenWeights(ctx)));
  }
  inspect?.(ctx, tokenLoss);
  const pgLoss = aggregate(tokenLoss);
  let loss: tf.Scalar = pgLoss;
  if (grpo.entropy_coeff > 0) loss = tf.sub(loss, tf.mul(aggregate(entropy), grpo.entropy_coeff));
  if (grpo.use_kl_loss && mb.refLogProbs) {
    const klLoss = aggregate(klPenalty(logProbs, tf.tensor1d(mb.refLogProbs), grpo.kl_loss_type));
    metrics['actor/kl_loss'] = klLoss.dataSync()[0];
    loss = tf.add(loss, tf.mul(klLoss, grpo.kl_loss_coef));
  }
  for (const reg of regularizers) if (reg.lossTerm) loss = tf.add(loss, reg.lossTerm(ctx, taped));

  metrics['actor/pg_loss'] = pgLoss.dataSync()[0];
  if (!lossOwner) {
    // a loss-replacing regularizer reports its own clip fraction (e.g. Clip-Cov's cov-clipped share)
    metrics['actor/pg_clipfrac'] = clipStats.pgClipfrac;
    metrics['actor/pg_clipfrac_lower'] = clipStats.pgClipfracLower;
    metrics['actor/ppo_kl'] = clipStats.ppoKl;
  }
  metrics['actor/entropy'] = aggregateValues(entValues, mb.mask, mb.rows, mb.width, grpo.loss_agg_mode);
  metrics['actor/nll'] = aggregateValues(lpValues.map((x) => -x), mb.mask, mb.rows, mb.width, 'token-mean');
  metrics['actor/loss'] = loss.dataSync()[0];
  return loss;
}

/** One optimizer step on one mini-batch. Throws a UserError if the loss or gradient is not finite. */
export function updateMiniBatch(
  policy: Policy,
  optimizer: Adam,
  mb: Batch,
  regularizers: readonly Regularizer[],
  settings: UpdateSettings,
  info: StepInfo,
  position: LossPosition,
): UpdateMetrics {
  const metrics: UpdateMetrics = {};
  const lossFn = (): tf.Scalar => {
    const { logProbs, entropy } = tokenStats(policy.logits(mb.inputs), mb.actions, settings.temperature);
    return composeLoss(logProbs, entropy, mb, regularizers, settings.grpo, info, position, metrics);
  };

  const { value, grads } = tf.variableGrads(lossFn, policy.variables);
  const ordered = policy.variables.map((v) => grads[v.name]);
  try {
    const norm = globalNorm(ordered);
    metrics['actor/grad_norm'] = norm;
    if (!Number.isFinite(value.dataSync()[0]) || !Number.isFinite(norm)) {
      throw new UserError(
        `loss or gradient is not finite (loss ${value.dataSync()[0]}, grad norm ${norm}) at step ${info.step + 1}; ` +
          'lower optim.lr, raise optim.grad_clip protection (e.g. 1.0), or check the regularizer coefficients',
        'training',
      );
    }
    const scale = settings.gradClip > 0 && norm > settings.gradClip ? settings.gradClip / norm : 1;
    if (scale !== 1) {
      const clipped = tf.tidy(() => ordered.map((g) => tf.mul(g, scale)));
      optimizer.apply(clipped);
      clipped.forEach((g) => g.dispose());
    } else {
      optimizer.apply(ordered);
    }
  } finally {
    value.dispose();
    Object.values(grads).forEach((g) => g.dispose());
  }
  return metrics;
}

/** All epochs and mini-batches of one step; returns the mean of each metric over mini-batches. */
export function updatePolicy(
  policy: Policy,
  optimizer: Adam,
  batch: Batch,
  regularizers: readonly Regularizer[],
  settings: UpdateSettings,
  info: StepInfo,
  shuffle: Rng,
): UpdateMetrics {
  const sums: Record<string, number> = {};
  let count = 0;
  for (let epoch = 0; epoch < settings.grpo.epochs; epoch++) {
    const parts = miniBatchRows(batch.rows, settings.grpo.mini_batches, shuffle);
    parts.forEach((rows, miniBatch) => {
      const mb = parts.length === 1 ? batch : selectRows(batch, rows);
      const m = updateMiniBatch(policy, optimizer, mb, regularizers, settings, info, { epoch, miniBatch });
      for (const [k, v] of Object.entries(m)) sums[k] = (sums[k] ?? 0) + v;
      count += 1;
    });
  }
  const out: UpdateMetrics = {};
  for (const [k, v] of Object.entries(sums)) out[k] = v / count;
  return out;
}
