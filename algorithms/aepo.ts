// AEPO — Arbitrary Entropy Policy Optimization (arXiv 2510.08141; docs/aepo-epo-steer.md "AEPO"): a
// bang-bang temperature controller. Each step, compare the previous step's entropy with the target,
// sample extra rollouts at T_high (below target) or T_low (above), keep the one-sided (A_reg > τ_sel)
// samples as REINFORCE rows with advantage 1 on every token, and mix them into the update batch — by
// replacing the first n_reg GRPO rows (code-faithful, as the reference `fit` does) or as a separate
// term with an explicit α (paper form, "additive").
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { type Batch, selectRows } from '../src/base/batch.ts';
import { UserError } from '../src/base/errors.ts';
import type { Rng } from '../src/base/rng.ts';
import { adaptedHighTemperature, adaptLogScale, maxLogScale } from './aepo-adaptive-temperature.ts';
import { dcpoAdvantages } from './aepo-dcpo.ts';
import { type AggMode, aggDenominator, aggregateLoss, maskCounts, maskedMean } from './aggregate.ts';
import { ppoClipTokenLoss } from './grpo.ts';
import {
  defineRegularizer,
  type LossHookResult,
  type Metrics,
  parseState,
  type Regularizer,
  type Reported,
  type RolloutPlan,
  type RunShape,
  type StepInfo,
  type StepSummary,
  type TapedTokens,
  type TokenContext,
} from './regularizer.ts';

export const aepoSchema = z
  .object({
    /**
     * H*: the entropy the controller steers to, in nats, on the scale of `estimator` (reference code:
     * entropy_base).
     */
    target_entropy: z.number().gt(0).default(0.5),
    /** Temperature of the extra rollouts while the measured entropy is at or below the target. */
    temperature_high: z.number().gt(0).default(1.2),
    /** Temperature of the extra rollouts while the measured entropy is above the target. */
    temperature_low: z.number().gt(0).default(0.8),
    /**
     * g: integral gain of the adaptive T_high (entrolab's addition, algorithms/aepo-adaptive-temperature.ts);
     * 0 keeps T_high fixed, as in the paper and the code.
     */
    temperature_gain: z.number().min(0).default(0),
    /** T_max: the adaptive T_high never goes above this. */
    temperature_max: z.number().gt(0).default(5),
    /** N_reg: at most this many REINFORCE rows per step (reference code: reinforce_sample_num). */
    reinforce_samples: z.number().int().min(0).default(60),
    /** Halve n_reg (floor) while the entropy is above the target (reference code since 2025-11). */
    halve_above_target: z.boolean().default(true),
    /** f_reg: fraction of the step's prompts re-rolled at T (at least one prompt). */
    reg_fraction: z.number().gt(0).max(1).default(0.25),
    /** Episodes per re-rolled prompt (default: rollout.group_size). */
    reg_group_size: z.number().int().min(1).optional(),
    /** τ_sel: keep T-samples whose GRPO advantage within their own group is above this (one-sided). */
    select_threshold: z.number().default(0.05),
    /**
     * random: a seeded random subset of prompts and of the selected rows (entrolab's choice); order: the first
     * ones (code).
     */
    selection: z.enum(['random', 'order']).default('random'),
    /**
     * replace: drop the first n_reg GRPO rows for the REINFORCE rows (code); additive: L_GRPO + α·L_REINF
     * (paper); is: DCPO, no extra rollouts (algorithms/aepo-dcpo.ts).
     */
    mode: z.enum(['replace', 'additive', 'is']).default('replace'),
    /** α of additive mode: weight of the REINFORCE term, each term a mean over its own tokens. */
    alpha: z.number().min(0).default(0.05),
    /**
     * exact: token-mean full entropy of the main rollout under π_old; nll: −mean log π(a) over the update batch
     * (code).
     */
    estimator: z.enum(['exact', 'nll']).default('exact'),
  })
  .strict()
  .refine((c) => c.temperature_high >= c.temperature_low, {
    message: 'temperature_high must be >= temperature_low (T_high is sampled below the target, T_low above it)',
    path: ['temperature_high'],
  });
export type AepoConfig = z.infer<typeof aepoSchema>;

// ---------------------------------------------------------------------------------------------
// The controller as small pure functions (docs/aepo-epo-steer.md "AEPO")

/** T = T_high if prevEntropy ≤ H*, else T_low (ties go to T_high as in the reference code). */
export function chooseTemperature(prevEntropy: number, target: number, high: number, low: number): number {
  return prevEntropy <= target ? high : low;
}

/** Prompts to re-roll at T: the first ⌊f·P⌋ (order) or a seeded random subset of that size; at least one. */
export function regPromptIndices(
  promptsPerStep: number,
  fraction: number,
  selection: 'random' | 'order',
  rng: Rng,
): number[] {
  const count = Math.min(promptsPerStep, Math.max(1, Math.floor(fraction * promptsPerStep)));
  if (selection === 'order') return Array.from({ length: count }, (_, i) => i);
  return rng
    .permutation(promptsPerStep)
    .slice(0, count)
    .sort((a, b) => a - b);
}

/** The row's advantage a_i, read at its first valid token (A[i,t] = a_i·m[i,t]). */
export function rowAdvantage(batch: Batch, row: number): number {
  for (let t = 0; t < batch.width; t++)
    if (batch.mask[row * batch.width + t]) return batch.advantages[row * batch.width + t];
  return 0;
}

/**
 * Extra rows whose own-group advantage is strictly above τ_sel, in batch order (one-sided, as in the
 * reference code).
 */
export function selectReinforceRows(batch: Batch, threshold: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < batch.rows; r++) if (batch.isExtra[r] && rowAdvantage(batch, r) > threshold) out.push(r);
  return out;
}

/** n_reg = min(N_reg, #selected), floor-halved above the target (as in the reference code). */
export function reinforceCount(selected: number, maxRows: number, aboveTarget: boolean, halve: boolean): number {
  const n = Math.min(maxRows, selected);
  return aboveTarget && halve ? Math.floor(n / 2) : n;
}

/**
 * The update batch: the REINFORCE rows first with A = 1 on every valid token, then the main rows —
 * in replace mode without the first `regRows.length` of them (code-faithful), in additive mode
 * all of them. Unselected extra rows are dropped.
 */
export function mixBatch(batch: Batch, regRows: readonly number[], mode: 'replace' | 'additive'): Batch {
  const mainRows: number[] = [];
  for (let r = 0; r < batch.rows; r++) if (!batch.isExtra[r]) mainRows.push(r);
  const kept = mode === 'replace' ? mainRows.slice(regRows.length) : mainRows;
  const mixed = selectRows(batch, [...regRows, ...kept]);
  for (let i = 0; i < regRows.length * mixed.width; i++) mixed.advantages[i] = mixed.mask[i];
  return mixed;
}

/** The denominator of the run's aggregation over the rows where `include` is true (docs/grpo.md "Loss aggregation"). */
function rowsDenominator(batch: Batch, mode: AggMode, include: (row: number) => boolean): number {
  const mask = batch.mask.map((m, i) => (include(Math.floor(i / batch.width)) ? m : 0));
  return aggDenominator(maskCounts(mask, batch.rows, batch.width), batch.width, mode);
}

/**
 * Additive mode's weights on the PG token loss: 0 on the REINFORCE rows, D_all/D_main on the main
 * rows, so that the run's aggregate over the whole mini-batch equals the aggregate over the main
 * rows alone (L_GRPO(main) of the additive form, docs/aepo-epo-steer.md "AEPO").
 */
export function additiveMainWeights(batch: Batch, aggMode: AggMode): Float32Array {
  const all = rowsDenominator(batch, aggMode, () => true);
  const main = rowsDenominator(batch, aggMode, (r) => !batch.isExtra[r]);
  const scale = main > 0 ? all / main : 0;
  const w = new Float32Array(batch.rows * batch.width);
  for (let i = 0; i < w.length; i++) w[i] = batch.isExtra[Math.floor(i / batch.width)] ? 0 : scale;
  return w;
}

/** α · L_REINF: the clipped surrogate with A = 1 aggregated over the REINFORCE rows' tokens only. */
export function reinforceTerm(ctx: TokenContext, taped: TapedTokens, alpha: number): tf.Scalar {
  const mb = ctx.batch;
  const regMask = new Float32Array(mb.mask.length);
  let any = false;
  for (let i = 0; i < regMask.length; i++) {
    if (mb.isExtra[Math.floor(i / mb.width)] && mb.mask[i]) {
      regMask[i] = 1;
      any = true;
    }
  }
  if (!any) return tf.scalar(0);
  return tf.tidy(() => {
    const tokenLoss = ppoClipTokenLoss(taped.logProbs, tf.tensor1d(mb.oldLogProbs), tf.tensor1d(regMask), ctx);
    return tf.mul(aggregateLoss(tokenLoss, regMask, mb.rows, mb.width, ctx.aggMode), alpha);
  });
}

// ---------------------------------------------------------------------------------------------
// The regularizer

/** `highLogScale` (s of the adaptive T_high) is saved only when `temperature_gain` > 0. */
const stateSchema = z.object({ prevEntropy: z.number(), highLogScale: z.number().min(0).optional() }).strict();
type AepoState = z.infer<typeof stateSchema>;

/** The step's controller decision, from the previous step's entropy. */
interface Control {
  temperature: number;
  aboveTarget: boolean;
}

export class Aepo implements Regularizer {
  /** Starts at 0 so the first step samples at T_high (as in the reference code). */
  private prevEntropy = 0;
  /** s of the adaptive T_high; stays 0 when `temperature_gain` is 0. */
  private highLogScale = 0;
  /** DCPO's importance ratio reads π_old at the sampled token. */
  readonly readsActions: boolean;

  constructor(private readonly config: AepoConfig) {
    this.readsActions = config.mode === 'is';
    if (config.mode === 'additive') {
      this.tokenWeights = (ctx) => ({ value: additiveMainWeights(ctx.batch, ctx.aggMode) });
      this.lossTerm = (ctx, taped) => ({ value: reinforceTerm(ctx, taped, config.alpha) });
    }
  }

  tokenWeights?: (ctx: TokenContext) => LossHookResult<Float32Array>;
  lossTerm?: (ctx: TokenContext, taped: TapedTokens) => LossHookResult<tf.Scalar>;

  private get adaptive(): boolean {
    return this.config.temperature_gain > 0;
  }

  private control(): Control {
    const c = this.config;
    const high = adaptedHighTemperature(c.temperature_high, this.highLogScale);
    return {
      temperature: chooseTemperature(this.prevEntropy, c.target_entropy, high, c.temperature_low),
      aboveTarget: this.prevEntropy > c.target_entropy,
    };
  }

  planRollout(info: StepInfo): RolloutPlan | undefined {
    const c = this.config;
    if (c.mode === 'is') return undefined;
    return {
      extra: {
        promptIndices: regPromptIndices(info.promptsPerStep, c.reg_fraction, c.selection, info.rng),
        groupSize: c.reg_group_size ?? info.groupSize,
        temperature: this.control().temperature,
      },
    };
  }

  prepareBatch(batch: Batch, info: StepInfo): Reported<Batch> {
    const c = this.config;
    // no policy over A actions has entropy above ln A: the controller would sit at T_high forever
    if (c.estimator === 'exact' && c.target_entropy >= Math.log(batch.numActions)) {
      throw new UserError(
        `target_entropy ${c.target_entropy} is not below ln(${batch.numActions} actions) = ` +
          `${Math.log(batch.numActions).toFixed(4)}, the largest entropy any policy here can have`,
        'aepo.target_entropy',
      );
    }
    const { temperature, aboveTarget } = this.control();
    const controlMetrics: Metrics = { temperature, above_target: aboveTarget ? 1 : 0 };
    if (this.adaptive) controlMetrics.temperature_high = adaptedHighTemperature(c.temperature_high, this.highLogScale);
    if (c.mode === 'is') {
      batch = { ...batch, advantages: new Float32Array(batch.advantages) };
      const dcpoAlpha = dcpoAdvantages(batch, temperature, c.target_entropy, this.prevEntropy, c.select_threshold);
      return { value: batch, metrics: { ...controlMetrics, dcpo_alpha: dcpoAlpha } };
    }
    let selected = selectReinforceRows(batch, c.select_threshold);
    if (c.selection === 'random') selected = info.rng.permutation(selected.length).map((i) => selected[i]);
    const nReg = reinforceCount(selected.length, c.reinforce_samples, aboveTarget, c.halve_above_target);
    const regRows = selected.slice(0, nReg);
    const mixed = mixBatch(batch, regRows, c.mode);

    let extraRows = 0;
    let extraReward = 0;
    for (let r = 0; r < batch.rows; r++) {
      if (!batch.isExtra[r]) continue;
      extraRows += 1;
      extraReward += batch.reward[r];
    }
    const isReg = mixed.mask.map((_, i) => mixed.isExtra[Math.floor(i / mixed.width)]);
    // nothing selected is a normal step without the regularizer (the reference code crashes here)
    const metrics: Metrics = {
      ...controlMetrics,
      n_selected: selected.length,
      n_reg: nReg,
      reg_token_frac: maskedMean(isReg, mixed.mask),
      reg_reward_mean: extraRows > 0 ? extraReward / extraRows : 0,
    };
    const rowsWhere = (extra: boolean) => ({
      width: mixed.width,
      row: (r: number) => (mixed.isExtra[r] === 1) === extra,
    });
    const hasTokens = (extra: boolean) =>
      mixed.mask.some((m, i) => m > 0 && (mixed.isExtra[Math.floor(i / mixed.width)] === 1) === extra);
    if (hasTokens(false)) metrics.main_nll = -maskedMean(mixed.oldLogProbs, mixed.mask, rowsWhere(false));
    if (hasTokens(true)) metrics.reg_nll = -maskedMean(mixed.oldLogProbs, mixed.mask, rowsWhere(true));
    return { value: mixed, metrics };
  }

  afterStep(summary: StepSummary): Reported {
    const c = this.config;
    const measured = c.estimator === 'nll' ? summary.updateNll : summary.rolloutEntropy;
    this.prevEntropy = measured;
    if (this.adaptive) {
      const sMax = maxLogScale(c.temperature_high, c.temperature_max);
      this.highLogScale = adaptLogScale(this.highLogScale, measured, c.target_entropy, c.temperature_gain, sMax);
    }
    return { metrics: { entropy_measured: measured, entropy_error: measured - c.target_entropy } };
  }

  getState(): AepoState {
    return this.adaptive
      ? { prevEntropy: this.prevEntropy, highLogScale: this.highLogScale }
      : { prevEntropy: this.prevEntropy };
  }

  setState(state: unknown): void {
    const parsed = parseState(stateSchema, state);
    this.prevEntropy = parsed.prevEntropy;
    this.highLogScale = this.adaptive ? (parsed.highLogScale ?? 0) : 0;
  }

  errors(run: RunShape): string[] {
    const c = this.config;
    const { numActions } = run;
    // no policy over A actions has entropy above ln A: the controller would sit at T_high forever
    if (c.estimator !== 'exact' || numActions === undefined || c.target_entropy < Math.log(numActions)) return [];
    return [
      `target_entropy ${c.target_entropy} is not below ln(${numActions} actions) = ` +
        `${Math.log(numActions).toFixed(4)}, the largest entropy any policy here can have`,
    ];
  }

  warnings(): string[] {
    const c = this.config;
    const out: string[] = [];
    if (c.temperature_high === c.temperature_low) {
      out.push(
        `temperature_high equals temperature_low (${c.temperature_low}); the controller cannot push entropy both ways`,
      );
    }
    if (this.adaptive && c.temperature_max <= c.temperature_high)
      out.push(
        `temperature_max (${c.temperature_max}) is not above temperature_high (${c.temperature_high}); ` +
          'temperature_gain has no effect',
      );
    if (c.reinforce_samples === 0) out.push('reinforce_samples is 0: extra rollouts are sampled but never used');
    if (c.mode === 'additive' && c.alpha === 0)
      out.push('alpha is 0 in additive mode: the REINFORCE rows have no effect');
    return out;
  }
}

export const aepoDefinition = defineRegularizer({
  name: 'aepo',
  summary: 'AEPO: temperature-regulated REINFORCE rows steer entropy to a target (bang-bang on T_high/T_low)',
  schema: aepoSchema,
  create: (config) => new Aepo(config),
});
