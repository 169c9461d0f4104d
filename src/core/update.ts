// Step 5 of a training step: epochs × mini-batches of the GRPO loss plus regularizer hooks,
// one Adam step per mini-batch (docs/grpo.md "Mini-batches and optimizer steps"; verl
// dp_actor.update_policy).
import * as tf from '@tensorflow/tfjs';
import { aggregateLoss, aggregateValues, maskedMean } from '../../algorithms/aggregate.ts';
import { klPenalty, ppoClipStats, tokenStats } from '../../algorithms/grpo.ts';
import { aggregatePolicyLoss, computePolicyLoss } from '../../algorithms/policy-losses/registry.ts';
import type {
  LossHookResult,
  PolicyLossStats,
  Reductions,
  ReplayBatch,
  StepInfo,
  TapedTokens,
  TokenContext,
  TokenSelection,
} from '../../algorithms/regularizer.ts';
import { type Batch, selectRows } from '../base/batch.ts';
import { UserError } from '../base/errors.ts';
import type { Rng } from '../base/rng.ts';
import type { GrpoConfig } from '../config/schema.ts';
import type { Policy } from '../policies/policy.ts';
import type { Adam } from './adam.ts';
import { clipFractionsByEntropy } from './clip-by-entropy.ts';
import { optimizerStep } from './optimizer-step.ts';
import { policyLossInputs, policyLossSettings } from './policy-loss.ts';
import { type ActiveRegularizer, prefixMetrics, prefixReductions } from './regularizer-set.ts';

export interface UpdateSettings {
  grpo: GrpoConfig;
  gradClip: number;
  temperature: number;
  /** Splits the PPO clip fraction into tokens above / at or below this entropy (diagnostics.high_entropy_nats). */
  highEntropyNats?: number;
}

/** The step as every hook sees it, less the random stream (each regularizer has its own). */
export type StepPosition = Omit<StepInfo, 'rng'>;

/** Scalars of one mini-batch update. */
export type UpdateMetrics = Record<string, number>;

/** One mini-batch's metrics and how each combines over the step's mini-batches (default: the mean). */
export interface MiniBatchReport {
  metrics: UpdateMetrics;
  reduce: Reductions;
}

/** Split row indices into `parts` nearly equal chunks after a seeded shuffle. */
export function miniBatchRows(rows: number, parts: number, rng: Rng): number[][] {
  const order = parts > 1 ? rng.permutation(rows) : Array.from({ length: rows }, (_, i) => i);
  const n = Math.min(parts, rows);
  const out: number[][] = [];
  for (let p = 0; p < n; p++) out.push(order.slice(Math.floor((p * rows) / n), Math.floor(((p + 1) * rows) / n)));
  return out;
}

export interface LossPosition {
  epoch: number;
  miniBatch: number;
}

/** Everything the loss of one mini-batch depends on. */
export interface LossInputs {
  /** Taped log-probs and entropies of the taken actions, [rows*width]. */
  logProbs: tf.Tensor1D;
  entropy: tf.Tensor1D;
  /** Taped log π over all actions, [rows*width, numActions]; needed when a definition sets needsLogPolicy. */
  logPolicy?: tf.Tensor2D;
  batch: Batch;
  regularizers: readonly ActiveRegularizer[];
  grpo: GrpoConfig;
  /** The step; each regularizer's hooks see it with their own stream. */
  step: StepPosition;
  position: LossPosition;
  /** When set, actor/pg_clipfrac_high_entropy and _low_entropy split the PPO clip fraction at it. */
  highEntropyNats?: number;
  /** Sees the per-token loss after regularizer weights, before aggregation (`entrolab loss`). */
  inspect?: (tokenLoss: tf.Tensor1D) => void;
}

export interface ComposedLoss extends MiniBatchReport {
  loss: tf.Scalar;
  /** Per regularizer whose hooks reported a selection. */
  selections: Record<string, TokenSelection>;
}

/**
 * The full per-mini-batch loss: PG token loss (grpo.policy_loss, or the one regularizer that
 * replaces it) × regularizer token weights → aggregate (the loss's own, or the run's mode), + the
 * loss's extra term (GPPO's positive NLL), − entropy_coeff·H, + KL to reference, + regularizer terms.
 * Shared by the trainer and the `loss` command.
 */
export function composeLoss(x: LossInputs): ComposedLoss {
  const { logProbs, entropy, batch: mb, grpo } = x;
  const metrics: UpdateMetrics = {};
  const reduce: Record<string, Reductions[string]> = {};
  const selections: Record<string, TokenSelection> = {};
  const clip = {
    clipRatioLow: grpo.clip_ratio_low,
    clipRatioHigh: grpo.clip_ratio_high,
    clipRatioC: grpo.clip_ratio_c,
  };
  // detached copies: tfjs has no stopGradient, tensors rebuilt from data carry none
  const lpValues = logProbs.dataSync() as Float32Array;
  const entValues = entropy.dataSync() as Float32Array;
  const clipStats = ppoClipStats(lpValues, mb.oldLogProbs, mb.advantages, mb.mask, clip);
  const wantsLogPolicy = x.regularizers.find((r) => r.definition.needsLogPolicy);
  if (wantsLogPolicy && !x.logPolicy)
    throw new Error(`regularizer '${wantsLogPolicy.name}' needs the log-distribution, which composeLoss was not given`);
  const logPolicy = wantsLogPolicy ? x.logPolicy : undefined;
  const shared: Omit<TokenContext, 'step'> = {
    batch: mb,
    logProbs: lpValues,
    entropy: entValues,
    ppoClipped: clipStats.clipped,
    ...clip,
    aggMode: grpo.loss_agg_mode,
    epoch: x.position.epoch,
    miniBatch: x.position.miniBatch,
    ...(logPolicy && { logPolicy: logPolicy.dataSync() as Float32Array }),
  };
  const ctxOf = (reg: ActiveRegularizer): TokenContext => ({ ...shared, step: { ...x.step, rng: reg.rng } });
  const aggregate = (t: tf.Tensor1D) => aggregateLoss(t, mb.mask, mb.rows, mb.width, grpo.loss_agg_mode);
  const taped: TapedTokens = {
    logProbs,
    entropy,
    mask: tf.tensor1d(mb.mask),
    aggregate,
    ...(logPolicy && { logPolicy }),
  };
  const report = <T>(reg: ActiveRegularizer, result: LossHookResult<T>): T => {
    Object.assign(metrics, prefixMetrics(reg.name, result.metrics));
    Object.assign(reduce, prefixReductions(reg.name, result.reduce));
    if (result.selection) selections[reg.name] = result.selection;
    return result.value as T;
  };

  // the config validator lets at most one regularizer have the hook
  const owner = x.regularizers.find((r) => r.hooks.policyLoss);
  let tokenLoss: tf.Tensor1D;
  let actor: PolicyLossStats;
  let extraLoss: tf.Scalar | undefined;
  if (owner) {
    const result = owner.hooks.policyLoss!(ctxOf(owner), taped);
    actor = result.actor;
    tokenLoss = report<tf.Tensor1D>(owner, result);
  } else {
    const inputs = policyLossInputs(mb, logProbs, lpValues, grpo);
    const out = computePolicyLoss(grpo.policy_loss, inputs, policyLossSettings(grpo));
    ({ tokenLoss, actor, extraLoss } = out);
    Object.assign(metrics, out.metrics);
  }
  for (const reg of x.regularizers) {
    if (reg.hooks.tokenWeights)
      tokenLoss = tf.mul(tokenLoss, tf.tensor1d(report(reg, reg.hooks.tokenWeights(ctxOf(reg)))));
  }
  x.inspect?.(tokenLoss);
  const pgLoss = owner
    ? aggregate(tokenLoss)
    : aggregatePolicyLoss(grpo.policy_loss, tokenLoss, mb.mask, mb.rows, mb.width, grpo.loss_agg_mode);
  let loss: tf.Scalar = extraLoss ? tf.add(pgLoss, extraLoss) : pgLoss;
  if (grpo.entropy_coeff > 0) loss = tf.sub(loss, tf.mul(aggregate(entropy), grpo.entropy_coeff));
  if (grpo.use_kl_loss && mb.refLogProbs) {
    const klLoss = aggregate(klPenalty(logProbs, tf.tensor1d(mb.refLogProbs), grpo.kl_loss_type));
    metrics['actor/kl_loss'] = klLoss.dataSync()[0];
    loss = tf.add(loss, tf.mul(klLoss, grpo.kl_loss_coef));
  }
  for (const reg of x.regularizers) {
    if (reg.hooks.lossTerm) loss = tf.add(loss, report(reg, reg.hooks.lossTerm(ctxOf(reg), taped)));
  }

  metrics['actor/pg_loss'] = pgLoss.dataSync()[0];
  // a loss-replacing regularizer reports its own clip fraction (e.g. Clip-Cov's cov-clipped share)
  metrics['actor/pg_clipfrac'] = actor.pgClipfrac;
  metrics['actor/pg_clipfrac_lower'] = actor.pgClipfracLower;
  metrics['actor/ppo_kl'] = actor.ppoKl;
  if (x.highEntropyNats !== undefined)
    Object.assign(metrics, clipFractionsByEntropy(clipStats.clipped, entValues, mb.mask, x.highEntropyNats));
  metrics['actor/entropy'] = aggregateValues(entValues, mb.mask, mb.rows, mb.width, grpo.loss_agg_mode);
  metrics['actor/nll'] = -maskedMean(lpValues, mb.mask);
  metrics['actor/loss'] = loss.dataSync()[0];
  return { loss, metrics, reduce, selections };
}

/**
 * One optimizer step on one mini-batch, its loss multiplied by `lossScale` (replay rows). Throws a
 * UserError if the loss or gradient is not finite.
 */
export function updateMiniBatch(
  policy: Policy,
  optimizer: Adam,
  mb: Batch,
  regularizers: readonly ActiveRegularizer[],
  settings: UpdateSettings,
  step: StepPosition,
  position: LossPosition,
  lossScale = 1,
): MiniBatchReport {
  let report: MiniBatchReport = { metrics: {}, reduce: {} };
  const lossFn = (): tf.Scalar => {
    const { logProbs, entropy, logPolicy } = tokenStats(policy.logits(mb.inputs), mb.actions, settings.temperature);
    const out = composeLoss({
      logProbs,
      entropy,
      logPolicy,
      batch: mb,
      regularizers,
      grpo: settings.grpo,
      step,
      position,
      highEntropyNats: settings.highEntropyNats,
    });
    report = out;
    return lossScale === 1 ? out.loss : tf.mul(out.loss, lossScale);
  };
  const notFinite = (loss: number, norm: number) =>
    new UserError(
      `loss or gradient is not finite (loss ${loss}, grad norm ${norm}) at step ${step.step + 1}; ` +
        'lower optim.lr, raise optim.grad_clip protection (e.g. 1.0), or check the regularizer coefficients',
      'training',
    );
  const { gradNorm } = optimizerStep(optimizer, policy.variables, lossFn, settings.gradClip, notFinite);
  report.metrics['actor/grad_norm'] = gradNorm;
  return { metrics: report.metrics, reduce: report.reduce };
}

/**
 * All epochs and mini-batches of one step; returns their metrics combined (combineMiniBatchMetrics).
 * With `replay`, every epoch continues with the replay rows as `grpo.mini_batches` more mini-batches
 * (their loss × lossScale), whose metrics are combined on their own and logged with a `_replay` suffix.
 */
export function updatePolicy(
  policy: Policy,
  optimizer: Adam,
  batch: Batch,
  regularizers: readonly ActiveRegularizer[],
  settings: UpdateSettings,
  step: StepPosition,
  shuffle: Rng,
  replay?: ReplayBatch,
): UpdateMetrics {
  const main: MiniBatchReport[] = [];
  const replayed: MiniBatchReport[] = [];
  const pass = (rowsOf: Batch, out: MiniBatchReport[], epoch: number, first: number, lossScale: number) => {
    const parts = miniBatchRows(rowsOf.rows, settings.grpo.mini_batches, shuffle);
    parts.forEach((rows, i) => {
      const mb = parts.length === 1 ? rowsOf : selectRows(rowsOf, rows);
      const position = { epoch, miniBatch: first + i };
      out.push(updateMiniBatch(policy, optimizer, mb, regularizers, settings, step, position, lossScale));
    });
    return parts.length;
  };
  for (let epoch = 0; epoch < settings.grpo.epochs; epoch++) {
    const parts = pass(batch, main, epoch, 0, 1);
    if (replay) pass(replay.batch, replayed, epoch, parts, replay.lossScale);
  }
  const out = combineMiniBatchMetrics(main);
  if (replay) for (const [k, v] of Object.entries(combineMiniBatchMetrics(replayed))) out[`${k}_replay`] = v;
  return out;
}

/**
 * A step's metrics from its mini-batches': each key reduced as some mini-batch's `reduce` says
 * (min, max, sum), else the mean over the mini-batches that reported it. Keys keep the order in
 * which they first appeared.
 */
export function combineMiniBatchMetrics(perMiniBatch: readonly MiniBatchReport[]): UpdateMetrics {
  const values: Record<string, number[]> = {};
  const reduce: Record<string, Reductions[string]> = {};
  for (const m of perMiniBatch) {
    for (const [k, v] of Object.entries(m.metrics)) (values[k] ??= []).push(v);
    Object.assign(reduce, m.reduce);
  }
  const out: UpdateMetrics = {};
  for (const [k, vs] of Object.entries(values)) {
    const how = reduce[k] ?? 'mean';
    if (how === 'min') out[k] = Math.min(...vs);
    else if (how === 'max') out[k] = Math.max(...vs);
    else {
      const sum = vs.reduce((total, v) => total + v, 0);
      out[k] = how === 'sum' ? sum : sum / vs.length;
    }
  }
  return out;
}
