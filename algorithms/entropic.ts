// EntroPIC — proportional-integral control of entropy ("EntroPIC: Towards Stable Long-Term Training
// of LLMs via Entropy Stabilization with Proportional-Integral Control", arXiv 2511.15248; code
// yk7333/EntroPIC `dp_actor.py::EntroPICDataParallelPPOActor.update_policy` (the controller) and
// `core_algos.py::compute_policy_loss_entropic` (the term)). Per mini-batch:
//   H = the mini-batch's current entropy (the run's aggregation, detached), e = H − H*
//   α = clip(K_i·E + K_p·e, −α_max, α_max), E the integral *before* this mini-batch; then E ← E + e
//   loss += α · agg_C(−ρ·|A|), C = the confident tokens (π(a) > 0.95), aggregated over C only
// α > 0 (entropy too high) raises the probability of already-confident tokens, α < 0 lowers it.
// The controller advances inside the loss hook, which the trainer calls exactly once per mini-batch
// (algorithms/regularizer.ts); E is saved in checkpoints. Formulas and differences: docs/entropic.md.
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { aggregateLoss, aggregateValues } from './aggregate.ts';
import {
  defineRegularizer,
  type LossHookResult,
  parseState,
  type Regularizer,
  type Reported,
  type TapedTokens,
  type TokenContext,
} from './regularizer.ts';

export const entropicSchema = z
  .object({
    /** H*, the target entropy in nats at the training temperature; a negative value turns control off (α = 0). */
    target: z.number(),
    /** K_p, the proportional gain. */
    kp: z.number().min(0).default(1),
    /** K_i, the integral gain (the code's 0.01 is for thousands of updates; entrolab runs have a few hundred). */
    ki: z.number().min(0).default(0.01),
    /** A token is confident when its current π(a) exceeds this (the code's hard-wired 0.95). */
    prob_threshold: z.number().gt(0).lt(1).default(0.95),
    /** |α| is clipped to this. */
    alpha_clip: z.number().gt(0).default(1),
  })
  .strict();
export type EntropicConfig = z.infer<typeof entropicSchema>;

const stateSchema = z.object({ integral: z.number() }).strict();
export type EntropicState = z.infer<typeof stateSchema>;

/** α from the integral before this mini-batch and this mini-batch's error. */
export function controllerAlpha(c: Pick<EntropicConfig, 'kp' | 'ki' | 'alpha_clip'>, integral: number, error: number) {
  return Math.min(c.alpha_clip, Math.max(-c.alpha_clip, c.ki * integral + c.kp * error));
}

/** 1 on valid tokens whose current π(a) > threshold (log-probs compared in float32, as the code). */
export function confidentMask(logProbs: Float32Array, mask: Float32Array, threshold: number): Float32Array {
  const logThreshold = Math.fround(Math.log(threshold));
  return Float32Array.from(mask, (m, i) => (m && logProbs[i] > logThreshold ? m : 0));
}

/** α·agg_C(−ρ·|A|), ρ = exp(clamp(lp − lp_old, ±20)); α enters the graph as a constant. */
export function confidentTerm(
  logProbs: tf.Tensor1D,
  oldLogProbs: Float32Array,
  advantages: Float32Array,
  confident: Float32Array,
  rows: number,
  width: number,
  aggMode: TokenContext['aggMode'],
  alpha: number,
): tf.Scalar {
  return tf.tidy(() => {
    const ratio = tf.exp(tf.clipByValue(tf.sub(logProbs, tf.tensor1d(oldLogProbs)), -20, 20));
    const perToken = tf.neg(tf.mul(ratio, tf.abs(tf.tensor1d(advantages)))) as tf.Tensor1D;
    return tf.mul(aggregateLoss(perToken, confident, rows, width, aggMode), alpha) as tf.Scalar;
  });
}

export class Entropic implements Regularizer {
  private integral = 0;

  constructor(private readonly config: EntropicConfig) {}

  lossTerm(ctx: TokenContext, taped: TapedTokens): LossHookResult<tf.Scalar> {
    const { batch } = ctx;
    const c = this.config;
    const valid = batch.mask.some((m) => m > 0);
    const H = aggregateValues(ctx.entropy, batch.mask, batch.rows, batch.width, ctx.aggMode);
    const error = H - c.target;
    const on = c.target >= 0 && valid;
    const alpha = on ? controllerAlpha(c, this.integral, error) : 0;
    // a mini-batch without valid tokens measures nothing: the integral does not move
    if (on) this.integral += error;
    const confident = confidentMask(ctx.logProbs, batch.mask, c.prob_threshold);
    const value = confidentTerm(
      taped.logProbs,
      batch.oldLogProbs,
      batch.advantages,
      confident,
      batch.rows,
      batch.width,
      ctx.aggMode,
      alpha,
    );
    const nConfident = confident.reduce((s, m) => s + (m > 0 ? 1 : 0), 0);
    const nValid = batch.mask.reduce((s, m) => s + (m > 0 ? 1 : 0), 0);
    const tokens: number[] = [];
    confident.forEach((m, i) => m > 0 && tokens.push(i));
    return {
      value,
      metrics: {
        alpha,
        alpha_min: alpha,
        alpha_max: alpha,
        H,
        error,
        frac_confident: nConfident / Math.max(1, nValid),
        term: value.dataSync()[0],
      },
      reduce: { alpha_min: 'min', alpha_max: 'max' },
      selection: { label: `confident (π > ${c.prob_threshold}): α·(−ρ·|A|) with α = ${alpha}`, tokens },
    };
  }

  /** The integral at the end of the step. */
  afterStep(): Reported {
    return { metrics: { integral: this.integral } };
  }

  getState(): EntropicState {
    return { integral: this.integral };
  }

  setState(state: unknown): void {
    this.integral = parseState(stateSchema, state).integral;
  }
}

export const entropicDefinition = defineRegularizer({
  name: 'entropic',
  summary:
    'EntroPIC: PI controller on the mini-batch entropy; α·mean_C(−ρ·|A|) on confident tokens (π > 0.95) pushes entropy to the target',
  schema: entropicSchema,
  create: (config) => new Entropic(config),
});
