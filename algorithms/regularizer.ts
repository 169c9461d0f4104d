// The contract every entropy regularizer implements: a handful of optional hooks that the trainer
// calls at fixed points of a step (plan → rollout → advantage → prepare → update → observe → after),
// and `defineRegularizer`, which names and registers one. The trainer never names a regularizer; it
// only calls hooks, prefixes the metrics they return with the regularizer's name, and hands each
// regularizer its own random stream.
//
// Order of application, when several regularizers are active (documented in the README):
//   1. planRollout    in config order; the last temperature wins, extra rollouts are all made
//      planBranches   at most one regularizer may return a Brancher: the main rollout then forks
//                     episodes at turn boundaries (src/rollout/branching-rollout.ts)
//   2. shapeRewards   after the old (and reference) pass, before the group advantages: in config
//                     order, each sees the previous one's per-row rewards
//   3. prepareBatch   in config order, each sees the previous one's batch
//      replayBatch    once per step, after prepareBatch; at most one regularizer may return rows,
//                     trained as extra mini-batches after the main ones in every epoch
//   4. policyLoss     at most one active regularizer may replace the per-token PG loss
//   5. tokenWeights   multiplied together (in config order) onto the per-token PG loss
//   6. lossTerm       added to the aggregated loss
//                     4–6 run exactly once per mini-batch of a step (replay mini-batches included)
//                     and once per `entrolab loss` call, on freshly created regularizers
//   7. afterStep      in config order
// A definition asks for data the step does not always make: `needsReference` (the frozen reference
// policy's log-probs, batch.refLogProbs), `needsLogPolicy` (the current log-distribution on the
// tape, TapedTokens.logPolicy and TokenContext.logPolicy) and `needsActionLogits` (the raw logit of
// each sampled token, batch.oldActionLogits); runs without them pay nothing.
import type * as tf from '@tensorflow/tfjs';
import type { z } from 'zod';
import type { Batch } from '../src/base/batch.ts';
import { addDefinition, type DefinitionTable, definitionTable, METRIC_PREFIX } from '../src/base/definitions.ts';
import type { PolicyInputs } from '../src/base/policy-inputs.ts';
import type { Rng } from '../src/base/rng.ts';
import type { AggMode } from './aggregate.ts';
import type { Brancher, RolloutPlan } from './rollout-plan.ts';

export type { Brancher, BranchPoint, ExtraRollout, ProbeSummary, RolloutPlan } from './rollout-plan.ts';

export interface StepInfo {
  /** 0-based index of the current training step and the configured number of steps. */
  step: number;
  totalSteps: number;
  /** This regularizer's own seeded stream (saved in checkpoints); other regularizers never draw from it. */
  rng: Rng;
  /** Prompts drawn this step. */
  promptsPerStep: number;
  groupSize: number;
  /**
   * Each action's name, by id (the environment's `actionName`: a text task's characters and
   * `<eos>`), for hooks configured with action names; `entrolab loss` has them only when the batch
   * file gives `action_names`.
   */
  actionNames?: readonly string[];
  /**
   * The policy's decoder of saved inputs (PolicyInputs.toJSON → PolicyInputs), for rows a hook keeps
   * across steps and a checkpoint restores (SPEAR's buffer); absent for a policy without one.
   */
  decodeInputs?: (json: unknown) => PolicyInputs;
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
  /**
   * Mini-batch index within the step and epoch index (KL-Cov is a no-op on the first pass). Replay
   * mini-batches come after the main ones: their index continues the count.
   */
  epoch: number;
  miniBatch: number;
  /**
   * The current log-distribution per slot, [rows*width*numActions] row-major, no gradient: the
   * numbers of TapedTokens.logPolicy. Only when an active definition sets `needsLogPolicy`.
   */
  logPolicy?: Float32Array;
}

/** The differentiable tensors of one mini-batch's forward pass ([rows*width]). */
export interface TapedTokens {
  logProbs: tf.Tensor1D;
  entropy: tf.Tensor1D;
  /** The mask as a tensor, for convenience. */
  mask: tf.Tensor1D;
  /** Aggregate a per-token tensor with the run's loss_agg_mode (docs/grpo.md "Loss aggregation"). */
  aggregate(tokenValues: tf.Tensor1D): tf.Scalar;
  /**
   * log π over all actions, [rows*width, numActions], with gradient: the same temperature-scaled
   * logits as `logProbs` (whose entry at the taken action it holds). Only when an active definition
   * sets `needsLogPolicy`.
   */
  logPolicy?: tf.Tensor2D;
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

/** Scalars a hook measured. Keys are relative to the regularizer: `frac` is logged as `clip_cov/frac`. */
export type Metrics = Record<string, number>;

/** How a metric of a loss hook is combined over the mini-batches of a step. */
export type Reduction = 'mean' | 'min' | 'max' | 'sum';

/** Metric key (as in `metrics`) → its reduction; a key it does not name is averaged. */
export type Reductions = Readonly<Record<string, Reduction>>;

/** The part of every hook result that reports: metrics and how they combine. */
export interface Measured {
  /** A key containing '/' is an error (a regularizer cannot write another's or the core's metrics by accident). */
  metrics?: Metrics;
  /**
   * Loss hooks run once per mini-batch, and the step logs each of their metrics reduced over its
   * mini-batches: the mean, or what `reduce` names for that key (e.g. `{ w_min: 'min' }`). Hooks that
   * run once per step (prepareBatch, afterStep) log their metrics as they are.
   */
  reduce?: Reductions;
}

/**
 * What every reporting hook returns: its value (afterStep has none) and the metrics it measured
 * computing it.
 */
export type Reported<T = undefined> = Measured & ([T] extends [undefined] ? { value?: undefined } : { value: T });

/** A loss hook's result; `selection` says which tokens it selected or reweighted (`entrolab loss`). */
export type LossHookResult<T> = Reported<T> & { selection?: TokenSelection };

/**
 * The statistics of the loss that replaced PPO-clip, logged as `actor/pg_clipfrac`,
 * `actor/pg_clipfrac_lower` and `actor/ppo_kl` in place of the core's PPO-clip ones. This is the
 * one documented way a regularizer writes a metric outside its own namespace.
 */
export interface PolicyLossStats {
  pgClipfrac: number;
  pgClipfracLower: number;
  ppoKl: number;
}

export interface PolicyLossResult extends LossHookResult<tf.Tensor1D> {
  actor: PolicyLossStats;
}

/** Rows trained after the main mini-batches (SPEAR's self-imitation replay). */
export interface ReplayBatch {
  /**
   * Complete rows: inputs, actions, mask, their own stored `oldLogProbs` and `advantages` (the
   * trainer sets `isReplay` to 1 on every row). Any width; `concatBatches` (src/base/batch.ts) joins
   * rows kept from several steps.
   */
  batch: Batch;
  /** Each replay mini-batch's loss is multiplied by this. */
  lossScale: number;
}

/** The hooks of one configured regularizer; every hook is optional. */
export interface Regularizer {
  planRollout?(info: StepInfo): RolloutPlan | undefined;
  /** Makes the main rollout a branching one (ARPO); draws must come from `info.rng`. */
  planBranches?(info: StepInfo): Brancher | undefined;
  /**
   * New per-row rewards ([rows], in batch row order) from the rollout's (ARES, PEAR reward shaping):
   * `batch.reward` holds the previous shaper's, or the environment's. Return a new array; the step
   * computes the group advantages from the last one and logs `reward/raw` and `reward/shaped` (the
   * main rows' means; `critic/score/*` stay the environment's).
   */
  shapeRewards?(batch: Batch, info: StepInfo): Reported<Float64Array>;
  /** May drop rows or rewrite advantages (AEPO); returns the batch to train on. */
  prepareBatch?(batch: Batch, info: StepInfo): Reported<Batch>;
  /**
   * Rows to train on after this step's main mini-batches, in every epoch, or undefined for none.
   * They are split into `grpo.mini_batches` mini-batches like the main batch, each its own optimizer
   * step; their metrics are logged with a `_replay` suffix (`actor/pg_loss_replay`); `metrics`
   * here are logged as they are.
   */
  replayBatch?(info: StepInfo): Reported<ReplayBatch> | undefined;
  /**
   * Replaces the per-token PG loss: the [rows*width] loss before weights and masking. A regularizer
   * with this hook owns the policy loss; at most one per run (the config validator checks).
   */
  policyLoss?(ctx: TokenContext, taped: TapedTokens): PolicyLossResult;
  /** Per-token multiplicative weights from detached values ([rows*width]). */
  tokenWeights?(ctx: TokenContext): LossHookResult<Float32Array>;
  /** A scalar added to the loss (already weighted by the regularizer's own coefficients). */
  lossTerm?(ctx: TokenContext, taped: TapedTokens): LossHookResult<tf.Scalar>;
  /** After the update: advance controller state; reports the step's metrics from it. */
  afterStep?(summary: StepSummary): Reported | undefined;
  /** Controller state, JSON-serialisable; restored exactly on resume. */
  getState?(): unknown;
  /** Restores getState's value; throws (naming what is wrong) when `state` does not have its shape. */
  setState?(state: unknown): void;
  /** A warning to print once at start (e.g. KL-Cov is a no-op with one epoch, one mini-batch). */
  warnings?(run: RunShape): string[];
  /**
   * Settings that cannot work in this run (e.g. an entropy target above ln |A|, which needs the
   * env's action count): the trainer refuses the first one, in one line, before the first step.
   */
  errors?(run: RunShape): string[];
  /**
   * True when the hooks read `batch.actions`, the sampled token of each slot (e.g. to pick its entry
   * in π_old's distribution). Training batches always have them; `entrolab loss` then requires the
   * batch file's `actions` instead of reading zeros.
   */
  readonly readsActions?: boolean;
  /**
   * True when shapeRewards reads `batch.success` (whether each row's answer was correct);
   * `entrolab loss --prepare` then requires the batch file's `success`.
   */
  readonly readsSuccess?: boolean;
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
  /** |A|, the env's action count (absent where no env is known, e.g. `entrolab loss`). */
  numActions?: number;
}

/** A regularizer's definition: its name (written only here), config schema and constructor. */
export interface RegularizerDefinition<S extends z.ZodType = z.ZodType> {
  /** The config name (`regularizers: [{name: ...}]`) and the prefix of its metrics. */
  name: string;
  /** One line for `--help` and the README. */
  summary: string;
  schema: S;
  /**
   * The trainer builds the frozen reference policy and fills `batch.refLogProbs` even with
   * `grpo.use_kl_loss: false`; `entrolab loss` then requires `ref_log_probs`.
   */
  needsReference?: boolean;
  /** The loss hooks read the current log-distribution: TapedTokens.logPolicy, TokenContext.logPolicy. */
  needsLogPolicy?: boolean;
  /**
   * The hooks read `batch.oldActionLogits`, π_old's raw (pre-temperature) logit of each sampled token:
   * the trainer then runs one more no-grad pass per step to fill it (UCAS); `entrolab loss` requires
   * `old_action_logits`.
   */
  needsActionLogits?: boolean;
  /**
   * The hooks for a validated config block. Keep it free of side effects (no tensors, files or
   * draws): the config validator also calls it, to see which hooks a regularizer has (at most one
   * regularizer per run may have `policyLoss`), and discards the result.
   */
  create(config: z.infer<S>): Regularizer;
}

const DEFINITIONS = definitionTable<RegularizerDefinition>();

/** Every registered definition by name (built-ins register when algorithms/registry.ts is imported). */
export const REGULARIZERS: DefinitionTable<RegularizerDefinition> = DEFINITIONS;

/** Adds a definition to REGULARIZERS; a name that is taken or not snake_case is refused. */
export function registerRegularizer(def: RegularizerDefinition): void {
  addDefinition(DEFINITIONS, 'regularizer', def.name, def, METRIC_PREFIX);
}

/**
 * Whether a run needs the frozen reference policy: for the KL-to-reference loss, or because an
 * active definition sets `needsReference`.
 */
export function needsReference(useKlLoss: boolean, regularizers: readonly { name: string }[]): boolean {
  return useKlLoss || regularizers.some((r) => REGULARIZERS[r.name]?.needsReference === true);
}

/** Registers `def` and returns it (the one place a regularizer's name is written). */
export function defineRegularizer<S extends z.ZodType>(def: RegularizerDefinition<S>): RegularizerDefinition<S> {
  registerRegularizer(def);
  return def;
}

/**
 * `state` checked against `schema` for setState, or an Error saying in one line what does not match
 * (the trainer adds the regularizer's name and the checkpoint file).
 */
export function parseState<S extends z.ZodType>(schema: S, state: unknown): z.infer<S> {
  const parsed = schema.safeParse(state);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const at = issue.path.length > 0 ? ` at '${issue.path.join('.')}'` : '';
  throw new Error(`saved state ${JSON.stringify(state)?.slice(0, 80)} does not match${at}: ${issue.message}`);
}
