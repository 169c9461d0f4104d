// entrolab's library API: the GRPO math, the regularizer interface and registry, the trainer and
// its building blocks, for users who compute losses on their own tensors or add a regularizer.
// importing the registry first registers the built-ins in their documented order
import '../algorithms/registry.ts';
import '../envs/registry.ts';
import './policies/registry.ts';

// zod itself, so a plugin's schemas are built with the same zod the config loader reads them with
export { z } from 'zod';
// advantage estimators (grpo.adv_estimator, docs/advantages.md)
export type { AdvantageEstimator, AdvantageInputs, AdvantageSettings } from '../algorithms/advantages/estimator.ts';
export {
  ADV_ESTIMATOR_NAMES,
  ADV_ESTIMATORS,
  type AdvEstimatorName,
  advantageMetrics,
  computeAdvantages,
  ESTIMATOR_LIST,
} from '../algorithms/advantages/registry.ts';
export { chooseTemperature, mixBatch, reinforceCount, selectReinforceRows } from '../algorithms/aepo.ts';
// the types the functions and interfaces above mention, so a plugin can name every one of them
export { AGG_MODES } from '../algorithms/aggregate.ts';
export type { ClipCovInputs, ClipCovSelection } from '../algorithms/clip-cov.ts';
// each regularizer's math on plain arrays/tensors (papers and reference functions cited in each file)
export { clipCovTokenLoss, selectClipCov } from '../algorithms/clip-cov.ts';
export { averagingWeights, codeEpochWeight, hingePenalty, indicatorPenalty, paperBeta } from '../algorithms/epo.ts';
export {
  type AdvantageOptions,
  type AggMode,
  absSignGrad,
  aggregateLoss,
  aggregateValues,
  broadcastToTokens,
  type ClipOptions,
  type ClipStats,
  groupAdvantages,
  KL_TYPES,
  type KlType,
  klPenalty,
  maskedMean,
  ppoClipStats,
  ppoClipTokenLoss,
  type SurrogateVariant,
  type TokenStats,
  tokenStats,
} from '../algorithms/grpo.ts';
export type { KlCovSelection } from '../algorithms/kl-cov.ts';
export { klCovTokenLoss, selectKlCov } from '../algorithms/kl-cov.ts';
// policy losses (grpo.policy_loss, docs/policy-losses.md)
export type { PolicyLoss, PolicyLossInputs, PolicyLossOutput } from '../algorithms/policy-losses/policy-loss.ts';
export {
  aggregatePolicyLoss,
  computePolicyLoss,
  POLICY_LOSS_LIST,
  POLICY_LOSS_NAMES,
  POLICY_LOSSES,
  type PolicyLossName,
} from '../algorithms/policy-losses/registry.ts';
export { defineRegularizer, REGULARIZERS, registerRegularizer } from '../algorithms/registry.ts';
export type {
  Brancher,
  BranchPoint,
  ExtraRollout,
  Measured,
  PolicyLossStats,
  ProbeSummary,
  Reduction,
  Reductions,
  ReplayBatch,
  RolloutPlan,
  RunShape,
  StepSummary,
} from '../algorithms/regularizer.ts';
export {
  type LossHookResult,
  type Metrics,
  type PolicyLossResult,
  parseState,
  type Regularizer,
  type RegularizerDefinition,
  type Reported,
  type StepInfo,
  type TapedTokens,
  type TokenContext,
  type TokenSelection,
} from '../algorithms/regularizer.ts';
export { omegaCode, omegaFirstOrder, type SteerConfig, steerSchema, steerWeights } from '../algorithms/steer.ts';
export { centredCovariance } from '../algorithms/token-covariance.ts';
export type {
  Env,
  EnvCost,
  EnvDefinition,
  EnvFactory,
  ObservationSpec,
  Prompt,
  Split,
  StepResult,
} from '../envs/env.ts';
export { defineEnv, ENVS, registerEnv } from '../envs/registry.ts';
export type { BackendInfo } from './backend/backend.ts';
export { selectBackend } from './backend/backend.ts';
export type { Batch } from './base/batch.ts';
export type { DefinitionTable } from './base/definitions.ts';
export { UserError } from './base/errors.ts';
export { Rng, type RngStreams, STREAM_NAMES, type StreamName } from './base/rng.ts';
export type { Tokenizer } from './base/tokenizer.ts';
export { loadConfig, parseConfig } from './config/load.ts';
export { type LossConfig, parseLossConfig } from './config/loss-config.ts';
export { type Schedule, type Schedules, scheduleSchema } from './config/schedule.ts';
export type { Config } from './config/schema.ts';
export type { Adam, AdamState } from './core/adam.ts';
export type { EntropyChange } from './core/entropy-diagnostics.ts';
export { entropyChange, logProbAdvantageCovariance } from './core/entropy-diagnostics.ts';
export type { EvalOptions, EvalResult } from './core/evaluate.ts';
export { evaluate } from './core/evaluate.ts';
export type { CreateOptions, SavedRegularizer } from './core/regularizer-set.ts';
export { type ActiveRegularizer, createRegularizers } from './core/regularizer-set.ts';
export type { LossPosition, StepPosition, UpdateMetrics } from './core/update.ts';
export { type ComposedLoss, composeLoss, type LossInputs } from './core/update.ts';
export type { LossBatch } from './loss/loss-batch.ts';
export { parseLossBatch, readLossBatch } from './loss/loss-batch.ts';
export type { LossOutput, ReplayOutput, SelectionOutput } from './loss/loss-check.ts';
// the `entrolab loss` computation: one JSON mini-batch → loss, per-token loss, gradients, selections
export { computeLoss } from './loss/loss-check.ts';
export type {
  EncodedEpisodes,
  EnvShape,
  EpisodeRecord,
  Policy,
  PolicyCost,
  PolicyDefinition,
  PolicyInputs,
  SamplingSession,
} from './policies/policy.ts';
export { definePolicy, POLICIES, registerPolicy } from './policies/registry.ts';
export type { Checkpoint, OptimizerState, TensorData } from './run/checkpoint.ts';
export type { MetricsRecord, MetricsSink } from './run/metrics-log.ts';
export { type RunKind, type RunStatus, type RunSummary, readStatus, readSummary } from './run/run-dir.ts';
export type { LifecycleStep } from './train/run-lifecycle.ts';
export { runSft, type SftOptions, type SftResult } from './train/sft.ts';
export type { StateOptions } from './train/step.ts';
// one training step on its own, for a loop of your own (run-lifecycle.ts shows the run management around it)
export {
  createTrainingState,
  disposeTrainingState,
  type StepOutcome,
  type TrainingState,
  trainStep,
} from './train/step.ts';
export type { TokenSample } from './train/token-samples.ts';
export { type StepReport, type TrainOptions, type TrainResult, train } from './train/trainer.ts';
