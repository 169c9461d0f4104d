// Entropy bonus — the classic baseline (verl's "− entropy_coeff · agg(entropy)", docs/grpo.md "Mini-batches
// and optimizer steps"; entropy as in docs/grpo.md "Log-probs and entropy"), as an explicit regularizer with
// an optional adaptive coefficient (Skywork-OR1 style, as in TRL's `use_adaptive_entropy`):
//
//   loss += −coef_k · agg(H)                      while the gate is open
//   after step k, with H_k the measured entropy:
//     coef_{k+1} = clip(coef_k + delta · sign(target − H_k), min_coef, max_coef)
//     gate_{k+1} = (H_k ≤ target)                 (no bonus while entropy is above the target)
//
// How this differs from `grpo.entropy_coeff`: the core term is a fixed coefficient with no state and no
// metrics of its own; this regularizer can adapt, logs its coefficient and gate, and saves both in
// checkpoints (TRL PR #6140's review: restoring the coefficient without the gate skips a window after
// resume). Use one or the other, not both (they add up).
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import {
  defineRegularizer,
  type LossHookResult,
  type Metrics,
  parseState,
  type Regularizer,
  type Reported,
  type StepSummary,
  type TapedTokens,
  type TokenContext,
} from './regularizer.ts';

export const entropyBonusSchema = z
  .object({
    /** Bonus coefficient (the starting value when adaptive). CleanRL/SB3 PPO use 0.01. */
    coef: z.number().min(0).default(0.01),
    /** Adapt coef toward `target` after every step (Skywork-OR1 / TRL adaptive entropy control). */
    adaptive: z.boolean().default(false),
    /** Target token-mean entropy in nats (adaptive only). */
    target: z.number().min(0).default(0.5),
    /** Step size of the coefficient per training step (adaptive only; TRL default 0.005). */
    delta: z.number().min(0).default(0.005),
    /** Lower clip of the adaptive coefficient. */
    min_coef: z.number().min(0).default(0),
    /** Upper clip of the adaptive coefficient (TRL default 1). */
    max_coef: z.number().min(0).default(1),
    /** Adaptive only: apply the bonus only while the last measured entropy is ≤ target (Skywork's gate). */
    gate: z.boolean().default(true),
    /** Which entropy the controller measures: the rollout's (π_old, before the update) or the update's mean. */
    measure: z.enum(['rollout', 'update']).default('rollout'),
  })
  .strict()
  .refine((c) => c.min_coef <= c.max_coef, { message: 'min_coef must be <= max_coef' });

export type EntropyBonusConfig = z.infer<typeof entropyBonusSchema>;

/** Controller state saved in checkpoints. */
export interface EntropyBonusState {
  coef: number;
  /** Entropy measured after the last finished step; null before the first (gate open). */
  lastEntropy: number | null;
}

/** One controller update: coef ← clip(coef + delta·sign(target − H), min, max). */
export function nextCoef(
  coef: number,
  entropy: number,
  cfg: Pick<EntropyBonusConfig, 'target' | 'delta' | 'min_coef' | 'max_coef'>,
): number {
  return Math.min(cfg.max_coef, Math.max(cfg.min_coef, coef + cfg.delta * Math.sign(cfg.target - entropy)));
}

const stateSchema = z.object({ coef: z.number(), lastEntropy: z.number().nullable() }).strict();

export class EntropyBonus implements Regularizer {
  private state: EntropyBonusState;

  constructor(readonly config: EntropyBonusConfig) {
    this.state = { coef: config.coef, lastEntropy: null };
  }

  /** The coefficient the next loss uses: 0 while an adaptive gate is closed. */
  effectiveCoef(): number {
    const { adaptive, gate, target } = this.config;
    // a fixed coefficient is read from the settings, so a schedule of `coef` reaches the loss
    if (!adaptive) return this.config.coef;
    if (gate && this.state.lastEntropy !== null && this.state.lastEntropy > target) return 0;
    return this.state.coef;
  }

  lossTerm(_ctx: TokenContext, taped: TapedTokens): LossHookResult<tf.Scalar> {
    const coef = this.effectiveCoef();
    // entropy is subtracted: the loss is minimised (docs/grpo.md "Sign conventions")
    const value = tf.tidy(() => tf.mul(taped.aggregate(taped.entropy), -coef) as tf.Scalar);
    return { value, metrics: { coef, active: coef > 0 ? 1 : 0 } };
  }

  afterStep(summary: StepSummary): Reported | undefined {
    if (!this.config.adaptive) return undefined;
    const measured = this.config.measure === 'rollout' ? summary.rolloutEntropy : summary.updateEntropy;
    this.state = { coef: nextCoef(this.state.coef, measured, this.config), lastEntropy: measured };
    // the controller's coefficient for the next step (applied only if the gate is open then)
    const out: Metrics = { controller_coef: this.state.coef };
    if (Number.isFinite(measured)) out.measured_entropy = measured;
    return { metrics: out };
  }

  getState(): EntropyBonusState {
    return { ...this.state };
  }

  setState(state: unknown): void {
    this.state = parseState(stateSchema, state);
  }
}

export const entropyBonusDefinition = defineRegularizer({
  name: 'entropy_bonus',
  summary: 'entropy bonus −coef·H, optionally adapted toward a target entropy (Skywork-OR1 / TRL style)',
  schema: entropyBonusSchema,
  create: (config) => new EntropyBonus(config),
});
