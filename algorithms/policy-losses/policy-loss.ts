// The policy-loss contract (docs/policy-losses.md): `grpo.policy_loss` names the per-token PG loss
// that composeLoss aggregates in place of PPO-clip, as verl's `register_policy_loss` registry does
// (verl core_algos.get_policy_loss_fn). Each loss is one file in this folder; registry.ts lists them.
// A loss is pure math over one mini-batch: the taped log-probs carry the gradient, everything else is
// data (tfjs has no stop-gradient, so sg(x) is a tensor rebuilt from numbers).
import type * as tf from '@tensorflow/tfjs';
import type { z } from 'zod';
import type { AggMode } from '../aggregate.ts';
import type { ClipOptions } from '../grpo.ts';
import type { PolicyLossStats } from '../regularizer.ts';

/** One mini-batch as a policy loss sees it; per-token arrays are [rows*width], row-major. */
export interface PolicyLossInputs {
  /** log π(a) of the taken actions under the current policy: the one tensor with a gradient. */
  logProbs: tf.Tensor1D;
  /** The same numbers as data (sg(lp)). */
  logProbValues: Float32Array;
  oldLogProbs: Float32Array;
  advantages: Float32Array;
  mask: Float32Array;
  rows: number;
  width: number;
  /** Per row, 1 where the answer was correct (GPPO's positive NLL term). */
  success: ArrayLike<number>;
  /** grpo.clip_ratio_low/high/c, which each loss reinterprets (docs/policy-losses.md "Shared keys"). */
  clip: ClipOptions;
  /** grpo.loss_agg_mode of the run. */
  aggMode: AggMode;
}

export interface PolicyLossOutput {
  /** The per-token loss before regularizer weights and masking. */
  tokenLoss: tf.Tensor1D;
  /** Logged as actor/pg_clipfrac, actor/pg_clipfrac_lower, actor/ppo_kl, with this loss's meaning. */
  actor: PolicyLossStats;
  /** Metrics of this loss under its own prefix (`bapo/clip_low`). */
  metrics?: Record<string, number>;
  /** A scalar added to the loss after aggregation (GPPO's positive NLL term), unscaled by lossScale. */
  extraLoss?: tf.Scalar;
}

/** One `grpo.policy_loss` value; `S` is its settings block `grpo.<name>` (undefined without one). */
export interface PolicyLoss<N extends string = string, S = unknown> {
  readonly name: N;
  /** One line for `entrolab list`. */
  readonly summary: string;
  /** The `grpo.*` keys it reads (shown by `entrolab list`). */
  readonly keys: readonly string[];
  /** Its settings block `grpo.<name>`, if it has one (the config schema names it). */
  readonly schema?: z.ZodType<S>;
  /**
   * The aggregation the loss fixes (GSPO, SAPO: seq-mean-token-mean; GMPO: its own row mean, closest
   * to seq-mean-token-mean). The run's loss_agg_mode defaults to it; a different one is refused.
   */
  readonly fixedAggMode?: AggMode;
  /** Its own reduction of the per-token loss to the PG loss (GMPO); absent: the run's (fixed) mode. */
  aggregate?(tokenLoss: tf.Tensor1D, mask: Float32Array, rows: number, width: number): tf.Scalar;
  /** False when per-token weights cannot apply (GMPO's loss is per row): tokenWeights regularizers are refused. */
  readonly acceptsTokenWeights?: boolean;
  compute(inputs: PolicyLossInputs, settings: S): PolicyLossOutput;
  /** Start-up warnings, one line each (DPPO with a small clip_ratio_c). */
  warnings?(clip: ClipOptions, settings: S): string[];
}

/** Masked mean over valid tokens of an indicator or value, dividing by Σm (0 when no token is valid). */
export function validMean(mask: ArrayLike<number>, value: (k: number) => number): number {
  let n = 0;
  let sum = 0;
  for (let k = 0; k < mask.length; k++) {
    if (!mask[k]) continue;
    n += 1;
    sum += value(k);
  }
  return n > 0 ? sum / n : 0;
}

/** lp − lp_old per token (the log-ratio δ), as doubles from the data. */
export function logRatios(inputs: Pick<PolicyLossInputs, 'logProbValues' | 'oldLogProbs'>): Float64Array {
  const out = new Float64Array(inputs.oldLogProbs.length);
  for (let k = 0; k < out.length; k++) out[k] = inputs.logProbValues[k] - inputs.oldLogProbs[k];
  return out;
}

/** δ clamped to [−20, 20] (verl's vanilla, CISPO, SAPO, DPPO and BAPO clamp before exp). */
export const clampLogRatio = (delta: number): number => Math.max(-20, Math.min(20, delta));
