// entrolab's library API: the GRPO math, the regularizer interface and registry, the trainer and
// its building blocks, for users who compute losses on their own tensors or add a regularizer.
// importing the registry first registers the built-ins in their documented order
export { REGULARIZERS, defineRegularizer, registerRegularizer } from '../algorithms/registry.ts';
export {
  absSignGrad,
  aggregateLoss,
  aggregateValues,
  maskedMean,
  broadcastToTokens,
  groupAdvantages,
  klPenalty,
  ppoClipStats,
  ppoClipTokenLoss,
  tokenStats,
  type AdvantageOptions,
  type AggMode,
  type ClipOptions,
  type KlType,
} from '../algorithms/grpo.ts';
export {
  parseState,
  type LossHookResult,
  type Metrics,
  type PolicyLossResult,
  type Regularizer,
  type RegularizerDefinition,
  type Reported,
  type StepInfo,
  type TapedTokens,
  type TokenContext,
  type TokenSelection,
} from '../algorithms/regularizer.ts';
// each regularizer's math on plain arrays/tensors (spec sections cited in each file)
export { selectClipCov, clipCovTokenLoss } from '../algorithms/clip-cov.ts';
export { selectKlCov, klCovTokenLoss } from '../algorithms/kl-cov.ts';
export { omegaCode, omegaFirstOrder, steerWeights } from '../algorithms/steer.ts';
export { paperBeta, codeEpochWeight, hingePenalty, indicatorPenalty, averagingWeights } from '../algorithms/epo.ts';
export { chooseTemperature, selectReinforceRows, reinforceCount, mixBatch } from '../algorithms/aepo.ts';
export { centredCovariance } from '../algorithms/token-covariance.ts';
export type { Env, Prompt, StepResult } from '../envs/env.ts';
export { ENVS } from '../envs/registry.ts';
export { selectBackend } from './core/backend.ts';
export type { Batch } from './core/batch.ts';
export { loadConfig, parseConfig } from './config/load.ts';
export type { Config } from './config/schema.ts';
export { entropyChange, logProbAdvantageCovariance } from './core/entropy-diagnostics.ts';
export { UserError } from './errors.ts';
export { evaluate } from './core/evaluate.ts';
export type { Policy } from './policies/policy.ts';
export { POLICIES } from './policies/registry.ts';
export { Rng } from './core/rng.ts';
export { train, type StepReport, type TrainOptions, type TrainResult } from './train/trainer.ts';
// one training step on its own, for a loop of your own (trainer.ts shows the run management around it)
export { createTrainingState, disposeTrainingState, trainStep, type StepOutcome, type TrainingState } from './train/step.ts';
export { readStatus, readSummary, type RunStatus, type RunSummary } from './run/run-dir.ts';
export { composeLoss, type ComposedLoss, type LossInputs } from './core/update.ts';
export { createRegularizers, type ActiveRegularizer } from './core/regularizer-set.ts';
// the `entrolab loss` computation: one JSON mini-batch → loss, per-token loss, gradients, selections
export { computeLoss } from './core/loss-check.ts';
export { parseLossConfig, type LossConfig } from './config/loss-config.ts';
export { parseLossBatch, readLossBatch } from './core/loss-batch.ts';
