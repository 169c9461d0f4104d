// entrolab's library API: the GRPO math, the regularizer interface and registry, the trainer and
// its building blocks, for users who compute losses on their own tensors or add a regularizer.
export {
  absSignGrad,
  aggregateLoss,
  aggregateValues,
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
export type { Regularizer, RegularizerDefinition, StepInfo, TapedTokens, TokenContext } from '../algorithms/regularizer.ts';
export { REGULARIZERS, registerRegularizer } from '../algorithms/registry.ts';
export type { Env, Prompt, StepResult } from '../envs/env.ts';
export { ENVS } from '../envs/registry.ts';
export { selectBackend } from './backend.ts';
export type { Batch } from './batch.ts';
export { loadConfig, parseConfig } from './config.ts';
export type { Config } from './config-schema.ts';
export { entropyChange, logProbAdvantageCovariance } from './entropy-diagnostics.ts';
export { UserError } from './errors.ts';
export { evaluate } from './evaluate.ts';
export type { Policy } from './policy.ts';
export { POLICIES } from './policy-registry.ts';
export { Rng } from './rng.ts';
export { train } from './trainer.ts';
export { composeLoss } from './update.ts';
