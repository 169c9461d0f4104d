// STEER — token reweighting by the estimated entropy change (arXiv 2510.10150; docs/aepo-epo-steer.md
// "STEER"):
// per token Ω ≈ −ΔH/η of a gradient step on that token, then a weight that shrinks the tokens
// predicted to move entropy most, multiplied onto the clipped PPO token loss (tokenWeights hook).
// Everything is computed from detached values (the TokenContext arrays and the stored π_old).
import { z } from 'zod';
import { UserError } from '../src/base/errors.ts';
import { centredDiscriminator } from './entropy-clip.ts';
import {
  defineRegularizer,
  type LossHookResult,
  type Metrics,
  type Reductions,
  type Regularizer,
  type TokenContext,
} from './regularizer.ts';

export const steerSchema = z
  .object({
    /** λ_min: the smallest weight (the README's one knob); 1 turns STEER off exactly (tested). */
    lambda_min: z.number().gt(0).max(1).default(0.8),
    /** λ_max: the largest weight in linear mode (> 1 allowed); exp mode clamps to 1. */
    lambda_max: z.number().gt(0).default(1.2),
    /**
     * exp: w = clamp(exp(−k·|Ω|), λ_min, 1), k = −ln λ_min / max(m_max, floor) (paper); linear: min–max map to [λ_min,
     * λ_max].
     */
    weighting: z.enum(['exp', 'linear']).default('exp'),
    /**
     * code: Ω = (A/π_old)·x(1−x)(log x + H_old); first_order: A·(x/π_old)·(S_k − Σ_v p_v S_v), S_v = p_v(log p_v + H).
     */
    estimator: z.enum(['code', 'first_order']).default('code'),
    /** Floor on m_max in exp mode, so uniformly tiny |Ω| are not heavily down-weighted (code 0.02). */
    omega_floor: z.number().gt(0).default(0.02),
  })
  .strict()
  .refine((c) => c.lambda_min <= c.lambda_max, {
    message: 'lambda_min must be <= lambda_max (the weights lie in [lambda_min, lambda_max])',
    path: ['lambda_min'],
  });
export type SteerConfig = z.infer<typeof steerSchema>;

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

// ---------------------------------------------------------------------------------------------
// Ω estimators (`zz-haooo/STEER` compute_token_weights, and the exact first-order one), all on detached
// values; non-finite Ω → 0

/** Code Ω: x = clamp(e^{lp},1e-8,1−1e-8), δ = x(1−x)(ln x + H_old), Ω = A/clamp(e^{lp_old},1e-8,1)·δ. */
export function omegaCode(logProb: number, oldLogProb: number, oldEntropy: number, advantage: number): number {
  const x = clamp(Math.exp(logProb), 1e-8, 1 - 1e-8);
  const delta = x * (1 - x) * (Math.log(x) + oldEntropy);
  const omega = (advantage / clamp(Math.exp(oldLogProb), 1e-8, 1)) * delta;
  return Number.isFinite(omega) ? omega : 0;
}

/**
 * Exact first-order Ω = A·(x/p_old)·(S_k − Σ_v p_v S_v), S_v = p_v(ln p_v + H), p = π_old's
 * distribution at the slot (`logPolicy[offset .. offset+numActions)`), H its entropy; x as above.
 */
export function omegaFirstOrder(
  logProb: number,
  action: number,
  logPolicy: ArrayLike<number>,
  offset: number,
  numActions: number,
  advantage: number,
): number {
  // S_k − E_{v∼p}[S_v] is minus Clip_V's centred discriminator D (entropy-clip.ts)
  const pk = Math.exp(logPolicy[offset + action]);
  const x = clamp(Math.exp(logProb), 1e-8, 1 - 1e-8);
  const omega = advantage * (x / clamp(pk, 1e-8, 1)) * -centredDiscriminator(logPolicy, offset, numActions, action);
  return Number.isFinite(omega) ? omega : 0;
}

/** Ω for every slot of the mini-batch (0 on padded slots). */
export function omegas(ctx: TokenContext, estimator: SteerConfig['estimator']): Float32Array {
  const b = ctx.batch;
  const out = new Float32Array(b.mask.length);
  if (estimator === 'first_order' && !b.oldLogPolicy) {
    throw new UserError(
      "estimator first_order needs the old policy's full distribution (batch.oldLogPolicy), which this batch lacks",
      'steer.estimator',
    );
  }
  for (let i = 0; i < out.length; i++) {
    if (!b.mask[i]) continue;
    out[i] =
      estimator === 'code'
        ? omegaCode(ctx.logProbs[i], b.oldLogProbs[i], b.oldEntropy[i], b.advantages[i])
        : omegaFirstOrder(
            ctx.logProbs[i],
            b.actions[i],
            b.oldLogPolicy!,
            i * b.numActions,
            b.numActions,
            b.advantages[i],
          );
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Weighting (as in compute_token_weights): m = |Ω|, min and max over the valid tokens of the unit
// (the mini-batch)

export function steerWeights(
  omega: Float32Array,
  mask: Float32Array,
  c: Pick<SteerConfig, 'lambda_min' | 'lambda_max' | 'weighting' | 'omega_floor'>,
): Float32Array {
  let mMin = Infinity;
  let mMax = -Infinity;
  for (let i = 0; i < omega.length; i++) {
    if (!mask[i]) continue;
    const m = Math.abs(omega[i]);
    mMin = Math.min(mMin, m);
    mMax = Math.max(mMax, m);
  }
  const w = new Float32Array(omega.length);
  if (mMax === -Infinity) return w;
  const k = -Math.log(c.lambda_min) / Math.max(mMax, c.omega_floor);
  for (let i = 0; i < omega.length; i++) {
    if (!mask[i]) continue;
    const m = Math.abs(omega[i]);
    let wi: number;
    if (c.weighting === 'exp') wi = clamp(Math.exp(-k * m), c.lambda_min, 1);
    else if (mMax > mMin)
      wi = clamp(
        c.lambda_max - ((m - mMin) * (c.lambda_max - c.lambda_min)) / (mMax - mMin),
        c.lambda_min,
        c.lambda_max,
      );
    else wi = (c.lambda_min + c.lambda_max) / 2;
    w[i] = wi * mask[i];
  }
  return w;
}

// ---------------------------------------------------------------------------------------------
// The regularizer

/** The weights' and Ω's summary over the valid tokens of one mini-batch. */
export function steerMetrics(w: Float32Array, omega: Float32Array, mask: Float32Array, lambdaMin: number): Metrics {
  let tokens = 0;
  let wSum = 0;
  let wMin = Infinity;
  let wMax = -Infinity;
  let atFloor = 0;
  let omegaAbsMax = 0;
  let omegaPos = 0;
  // a weight counts as "at the floor" within float32 rounding of λ_min
  const floor = Math.fround(lambdaMin);
  for (let i = 0; i < w.length; i++) {
    if (!mask[i]) continue;
    tokens += 1;
    wSum += w[i];
    wMin = Math.min(wMin, w[i]);
    wMax = Math.max(wMax, w[i]);
    if (w[i] <= floor && lambdaMin < 1) atFloor += 1;
    omegaAbsMax = Math.max(omegaAbsMax, Math.abs(omega[i]));
    if (omega[i] > 0) omegaPos += 1;
  }
  if (tokens === 0) return {};
  return {
    w_mean: wSum / tokens,
    w_min: wMin,
    w_max: wMax,
    frac_w_at_floor: atFloor / tokens,
    omega_absmax: omegaAbsMax,
    omega_pos_frac: omegaPos / tokens,
  };
}

/** The extremes stay extremes over a step's mini-batches; the rest are averaged. */
export const STEER_REDUCE: Reductions = { w_min: 'min', w_max: 'max', omega_absmax: 'max' };

export class Steer implements Regularizer {
  /** The first-order Ω reads π_old at the sampled token. */
  readonly readsActions: boolean;

  constructor(private readonly config: SteerConfig) {
    this.readsActions = config.estimator === 'first_order';
  }

  tokenWeights(ctx: TokenContext): LossHookResult<Float32Array> {
    const omega = omegas(ctx, this.config.estimator);
    const w = steerWeights(omega, ctx.batch.mask, this.config);
    return { value: w, metrics: steerMetrics(w, omega, ctx.batch.mask, this.config.lambda_min), reduce: STEER_REDUCE };
  }
}

export const steerDefinition = defineRegularizer({
  name: 'steer',
  summary: 'STEER: down-weight the PPO loss of tokens predicted to change entropy most (|Ω|, exp or linear)',
  schema: steerSchema,
  create: (config) => new Steer(config),
});
