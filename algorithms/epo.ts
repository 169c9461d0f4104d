// EPO — Entropy-regularized Policy Optimization for multi-turn agents (arXiv 2509.22576;
// docs/aepo-epo-steer.md "EPO"): an entropy bonus averaged token → turn → trajectory (Eq. 2), minus a
// smoothing penalty that keeps per-token entropy inside [κ_l·H̄, κ_r·H̄] around the cumulative mean H̄
// of earlier steps' rollout entropies (Eqs. 3–4), weighted by the phase schedule β_k (Eq. 5):
//   loss += −λ·(L_H − β_k·L_smooth)                                            (Eq. 6)
// The reference code's indicator penalty (`WujiangXu/EPO` `generate_entropy_penalty`) is kept as a mode:
// it has no gradient, so it must train exactly like the bonus alone (tested in test/algorithms/epo.test.ts).
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { Batch } from '../src/base/batch.ts';
import { mean, sampleStd } from '../src/base/numerics.ts';
import { maskedMean } from './aggregate.ts';
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

export const epoSchema = z
  .object({
    /** λ: weight of the whole entropy term (paper and code: entropy_coeff). */
    coef: z.number().min(0).default(0.001),
    /**
     * trajectory: mean over a turn's tokens, then the trajectory's turns, then rows (Eq. 2); token: one token-mean
     * (code).
     */
    aggregate: z.enum(['trajectory', 'token']).default('trajectory'),
    /**
     * hinge: differentiable [κ_l·H̄ − H]_+ + [H − κ_r·H̄]_+ (paper v2); indicator: 1 outside the band, no gradient
     * (code).
     */
    smoothing: z.enum(['hinge', 'indicator']).default('hinge'),
    /** κ_l: lower edge of the corridor as a multiple of H̄ (paper 0). */
    kappa_low: z.number().min(0).default(0),
    /** κ_r: upper edge of the corridor as a multiple of H̄ (paper 2). */
    kappa_high: z.number().min(0).default(2),
    /** α: penalty weight inside L_smooth (paper 0.05–0.1; code out_range_penalty). */
    alpha: z.number().min(0).default(0.1),
    /**
     * previous: H̄ = mean of earlier steps' rollout entropies, none at k = 0 (paper); including_current: also this
     * step's (code).
     */
    reference: z.enum(['previous', 'including_current']).default('previous'),
    /** paper: β_k = 1 + exp(−γ·k/⌊K/2⌋); code: the reference code's epoch weight; const: beta_const. */
    beta_schedule: z.enum(['paper', 'code', 'const']).default('paper'),
    /** γ of the paper schedule. */
    gamma: z.number().min(0).default(3),
    /** β of the const schedule. */
    beta_const: z.number().min(0).default(1),
    /** K of the schedules (default: the run's steps). */
    horizon: z.number().int().min(1).optional(),
  })
  .strict()
  .refine((c) => c.kappa_low <= c.kappa_high, {
    message: 'kappa_low must be <= kappa_high (otherwise every token is outside the corridor)',
    path: ['kappa_low'],
  });
export type EpoConfig = z.infer<typeof epoSchema>;

// ---------------------------------------------------------------------------------------------
// Math (paper Eqs. 2–6, and the reference code's epoch weight)

/** β_k = 1 + exp(−γ·k/⌊K/2⌋) (Eq. 5). */
export function paperBeta(k: number, totalSteps: number, gamma: number): number {
  const mid = Math.max(1, Math.floor(totalSteps / 2));
  return 1 + Math.exp((-gamma * k) / mid);
}

/**
 * The reference code's epoch weight (`WujiangXu/EPO` `dp_actor.py`), with h = ⌊K/2⌋:
 * k ≤ h: 1 − 0.2·(1 − e^{−2k/h}); k > h: 0.8·e^{−3(k−h)/(K−h)}; k is clamped to [0, K] as in the code.
 */
export function codeEpochWeight(step: number, totalSteps: number): number {
  const k = Math.max(0, Math.min(step, totalSteps));
  const half = Math.max(1, Math.floor(totalSteps / 2));
  if (k <= half) return 1 - 0.2 * (1 - Math.exp((-2 * k) / half));
  return 0.8 * Math.exp((-3 * (k - half)) / Math.max(1, totalSteps - half));
}

/**
 * Per-token weights w such that Σ w·x is the chosen average of x over the valid tokens:
 * trajectory: 1/(B·T_j·|τ_{j,t}|) with B non-empty rows, T_j the row's turns that hold tokens,
 * |τ_{j,t}| the tokens of turn t (Eq. 2); token: 1/N.
 */
export function averagingWeights(batch: Batch, mode: 'trajectory' | 'token'): Float32Array {
  const { rows, width, mask, turnIndex } = batch;
  const w = new Float32Array(rows * width);
  if (mode === 'token') {
    let n = 0;
    for (let i = 0; i < mask.length; i++) n += mask[i];
    if (n > 0) for (let i = 0; i < mask.length; i++) w[i] = mask[i] / n;
    return w;
  }
  let nonEmpty = 0;
  const perRow: Map<number, number>[] = [];
  for (let r = 0; r < rows; r++) {
    const turnTokens = new Map<number, number>();
    for (let t = 0; t < width; t++) {
      const i = r * width + t;
      if (mask[i]) turnTokens.set(turnIndex[i], (turnTokens.get(turnIndex[i]) ?? 0) + 1);
    }
    if (turnTokens.size > 0) nonEmpty += 1;
    perRow.push(turnTokens);
  }
  for (let r = 0; r < rows; r++) {
    const turns = perRow[r].size;
    for (let t = 0; t < width; t++) {
      const i = r * width + t;
      if (mask[i]) w[i] = 1 / (nonEmpty * turns * perRow[r].get(turnIndex[i])!);
    }
  }
  return w;
}

/** P = [κ_l·H̄ − H]_+ + [H − κ_r·H̄]_+ on the taped entropies (Eq. 3); differentiable in H. */
export function hingePenalty(
  entropy: tf.Tensor1D,
  reference: number,
  kappaLow: number,
  kappaHigh: number,
): tf.Tensor1D {
  return tf.tidy(
    () =>
      tf.add(
        tf.relu(tf.sub(kappaLow * reference, entropy)),
        tf.relu(tf.sub(entropy, kappaHigh * reference)),
      ) as tf.Tensor1D,
  );
}

/**
 * 0 strictly inside (κ_l·H̄, κ_r·H̄), 1 elsewhere (the code's `within_range` is strict), from
 * detached entropies: a constant without gradient (as in the reference code).
 */
export function indicatorPenalty(
  entropy: ArrayLike<number>,
  reference: number,
  kappaLow: number,
  kappaHigh: number,
): Float32Array {
  const out = new Float32Array(entropy.length);
  for (let i = 0; i < entropy.length; i++)
    out[i] = entropy[i] > kappaLow * reference && entropy[i] < kappaHigh * reference ? 0 : 1;
  return out;
}

// ---------------------------------------------------------------------------------------------
// The regularizer

const stateSchema = z
  .object({
    /** H̄_m of every finished step (cumulative, not a window — EPO paper, arXiv 2509.22576, §5.4). */
    history: z.array(z.number()),
    k: z.number().int().min(0),
  })
  .strict();
type EpoState = z.infer<typeof stateSchema>;

export class Epo implements Regularizer {
  private history: number[] = [];
  private k = 0;
  /** This step's rollout entropy, when the reference includes it (code). */
  private current: number | undefined;

  constructor(private readonly config: EpoConfig) {}

  /** H̄ used at the current step, or undefined when there is none yet (k = 0, paper). */
  reference(): number | undefined {
    const values =
      this.config.reference === 'including_current' && this.current !== undefined
        ? [...this.history, this.current]
        : this.history;
    return values.length > 0 ? mean(values) : undefined;
  }

  beta(totalSteps: number): number {
    const c = this.config;
    const K = c.horizon ?? totalSteps;
    if (c.beta_schedule === 'paper') return paperBeta(this.k, K, c.gamma);
    if (c.beta_schedule === 'code') return codeEpochWeight(this.k, K);
    return c.beta_const;
  }

  prepareBatch(batch: Batch): Reported<Batch> {
    // the code appends the step's entropy to the history before the update (`reference: including_current`)
    this.current = maskedMean(batch.oldEntropy, batch.mask, { width: batch.width, row: (r) => !batch.isExtra[r] });
    return { value: batch };
  }

  lossTerm(ctx: TokenContext, taped: TapedTokens): LossHookResult<tf.Scalar> {
    const c = this.config;
    const mb = ctx.batch;
    const weights = averagingWeights(mb, c.aggregate);
    const ref = this.reference();
    const beta = this.beta(ctx.step.totalSteps);

    let gradSq = 0;
    let below = 0;
    let above = 0;
    let tokens = 0;
    for (let i = 0; i < mb.mask.length; i++) {
      if (!mb.mask[i] || ref === undefined) continue;
      const isBelow = ctx.entropy[i] < c.kappa_low * ref;
      const isAbove = ctx.entropy[i] > c.kappa_high * ref;
      below += isBelow ? 1 : 0;
      above += isAbove ? 1 : 0;
      tokens += 1;
      // ∂(λ·β·L_smooth)/∂H_i of the hinge: ±λβα·w_i outside the band; the indicator has none
      if (c.smoothing === 'hinge' && (isBelow || isAbove)) gradSq += (c.coef * beta * c.alpha * weights[i]) ** 2;
    }

    const metrics: Metrics = { beta_k: beta };
    if (ref !== undefined) metrics.H_ref = ref;
    const value = tf.tidy(() => {
      const w = tf.tensor1d(weights);
      const lH = tf.sum(tf.mul(taped.entropy, w));
      let penalty: tf.Tensor1D;
      if (ref === undefined) penalty = tf.zerosLike(taped.entropy);
      else if (c.smoothing === 'hinge') penalty = hingePenalty(taped.entropy, ref, c.kappa_low, c.kappa_high);
      else penalty = tf.tensor1d(indicatorPenalty(ctx.entropy, ref, c.kappa_low, c.kappa_high));
      const lSmooth = tf.mul(tf.sum(tf.mul(penalty, w)), c.alpha);
      metrics.L_H = lH.dataSync()[0];
      metrics.L_smooth = lSmooth.dataSync()[0];
      return tf.mul(tf.sub(lH, tf.mul(lSmooth, beta)), -c.coef) as tf.Scalar;
    });
    metrics.smooth_grad_norm = Math.sqrt(gradSq);
    if (tokens > 0) {
      metrics.frac_tokens_below = below / tokens;
      metrics.frac_tokens_above = above / tokens;
      metrics.frac_in_corridor = 1 - (below + above) / tokens;
    }
    return { value, metrics };
  }

  afterStep(summary: StepSummary): Reported {
    this.history.push(summary.rolloutEntropy);
    this.k += 1;
    this.current = undefined;
    // rolling std of the step entropy over the last 10 steps (`epo/entropy_volatility`)
    const recent = this.history.slice(-10);
    if (recent.length < 2) return {};
    return { metrics: { entropy_volatility: sampleStd(recent) } };
  }

  getState(): EpoState {
    return { history: [...this.history], k: this.k };
  }

  setState(state: unknown): void {
    const s = parseState(stateSchema, state);
    this.history = [...s.history];
    this.k = s.k;
  }

  warnings(): string[] {
    const c = this.config;
    const out: string[] = [];
    if (c.smoothing === 'indicator' && c.alpha > 0)
      out.push('smoothing: indicator has no gradient (reference code behaviour); it only shifts the loss value');
    return out;
  }
}

export const epoDefinition = defineRegularizer({
  name: 'epo',
  summary:
    'EPO: trajectory-averaged entropy bonus with a corridor penalty around the historical mean entropy, ' +
    'phase-weighted by β_k',
  schema: epoSchema,
  create: (config) => new Epo(config),
});
