// The interface every entropy regularizer implements: a handful of optional hooks that the
// trainer calls at fixed points of a step (see ../shared DESIGN: plan → rollout → advantage →
// prepare → update → observe → after). The trainer never names a regularizer; it only calls hooks.
//
// Order of application, when several regularizers are active (documented in the README):
//   1. planRollout    in config order; the last temperature wins, extra rollouts are all made
//   2. prepareBatch   in config order, each sees the previous one's batch
//   3. policyLoss     at most one active regularizer may replace the per-token PG loss
//   4. tokenWeights   multiplied together (in config order) onto the per-token PG loss
//   5. lossTerms      added to the aggregated loss
//   6. afterStep      in config order
import type * as tf from '@tensorflow/tfjs';
import type { z } from 'zod';
import type { Batch } from '../src/core/batch.ts';
import type { Rng } from '../src/core/rng.ts';
import type { AggMode } from './grpo.ts';

/** Extra episodes sampled next to the main rollout, flagged `isExtra` in the batch. */
export interface ExtraRollout {
  /** Indices into this step's prompts. */
  promptIndices: number[];
  groupSize: number;
  temperature: number;
}

export interface RolloutPlan {
  /** Sampling temperature for the main rollout (default: the config's rollout.temperature). */
  temperature?: number;
  extra?: ExtraRollout;
}

export interface StepInfo {
  /** 0-based index of the current training step and the configured number of steps. */
  step: number;
  totalSteps: number;
  /** The regularizer's own seeded stream (saved in checkpoints). */
  rng: Rng;
  /** Prompts drawn this step. */
  promptsPerStep: number;
  groupSize: number;
}

/** Detached per-token values of one mini-batch, as JS arrays ([rows*width], row-major). */
export interface TokenContext {
  batch: Batch;
  step: StepInfo;
  /** Current log-probs of the taken actions (no gradient), training temperature. */
  logProbs: Float32Array;
  /** Current full-distribution entropy per slot (no gradient). */
  entropy: Float32Array;
  /** 1 where the vanilla PPO surrogate chose the clipped branch (v > u). */
  ppoClipped: Uint8Array;
  /** Loss settings of the GRPO core. */
  clipRatioLow: number;
  clipRatioHigh: number;
  clipRatioC: number;
  aggMode: AggMode;
  /** Mini-batch index within the step and epoch index (KL-Cov is a no-op on the first pass). */
  epoch: number;
  miniBatch: number;
}

/** The differentiable tensors of one mini-batch's forward pass ([rows*width]). */
export interface TapedTokens {
  logProbs: tf.Tensor1D;
  entropy: tf.Tensor1D;
  /** The mask as a tensor, for convenience. */
  mask: tf.Tensor1D;
  /** Aggregate a per-token tensor with the run's loss_agg_mode (spec grpo §2). */
  aggregate(tokenValues: tf.Tensor1D): tf.Scalar;
}

/** Summary of a finished step, for controllers (AEPO previous entropy, EPO history). */
export interface StepSummary {
  step: number;
  /** Exact token-mean entropy of the main rollout under π_old (training temperature). */
  rolloutEntropy: number;
  /** Token-mean of −log π(a) over the update batch, measured during the update (AEPO "nll"). */
  updateNll: number;
  /** Token-mean entropy of the update batch measured during the update. */
  updateEntropy: number;
  batch: Batch;
}

export interface Regularizer {
  readonly name: string;
  planRollout?(info: StepInfo): RolloutPlan | undefined;
  /** May drop rows or rewrite advantages (spec aepo §1.3); returns the batch to train on. */
  prepareBatch?(batch: Batch, info: StepInfo): Batch;
  /** Replaces the per-token PG loss. Returns the [rows*width] loss before weights and masking. */
  policyLoss?(ctx: TokenContext, taped: TapedTokens): tf.Tensor1D;
  /** Per-token multiplicative weights from detached values ([rows*width]). */
  tokenWeights?(ctx: TokenContext): Float32Array;
  /** A scalar added to the loss (already weighted by the regularizer's own coefficients). */
  lossTerm?(ctx: TokenContext, taped: TapedTokens): tf.Scalar;
  afterStep?(summary: StepSummary): void;
  /** Metrics of the last step, merged into metrics.jsonl (names like `clip_cov/frac`). */
  metrics?(): Record<string, number>;
  /** Controller state, JSON-serialisable; restored exactly on resume. */
  getState?(): unknown;
  setState?(state: unknown): void;
  /** A warning to print once at start (e.g. KL-Cov is a no-op with one epoch, one mini-batch). */
  warnings?(run: RunShape): string[];
  /**
   * Which tokens the last mini-batch's hooks selected or reweighted (Clip-Cov's cov-clipped
   * tokens, KL-Cov's top-k, STEER's weights), for `entrolab loss` and debugging. Optional.
   */
  lastSelection?(): TokenSelection | undefined;
}

/** What a regularizer selected or reweighted; indices are flat, row-major into [rows*width]. */
export interface TokenSelection {
  /** One line saying what a selected token gets (e.g. 'cov-clipped: loss zeroed'). */
  label: string;
  /** Selected tokens, ascending. */
  tokens?: number[];
  /** The set the selection was drawn from, when that is informative (Clip-Cov's eligible set). */
  candidates?: number[];
  /** Per-token multiplicative weights [rows*width], for regularizers that reweight. */
  weights?: ArrayLike<number>;
}

export interface RunShape {
  epochs: number;
  miniBatches: number;
  totalSteps: number;
}

/** What a registry entry provides: a zod schema for its config block and a constructor. */
export interface RegularizerDefinition<S extends z.ZodType = z.ZodType> {
  name: string;
  /** One line for `--help` and the README. */
  summary: string;
  schema: S;
  create(config: z.infer<S>): Regularizer;
}
