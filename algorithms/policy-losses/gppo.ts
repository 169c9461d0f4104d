// GPPO / CE-GPPO, "CE-GPPO: Coordinating Entropy via Gradient-Preserving Clipping Policy Optimization"
// (arXiv 2509.20712; GPPO from Klear-Reasoner, arXiv 2508.07629; Kwai-Klear/CE-GPPO
// core_algos.compute_gppo_loss_general_beta): PPO-clip whose clipped tokens keep a scaled gradient.
// With ρ = exp(δ) (no clamp) and sg(ρ) its value: low = [A < 0, ρ < 1 − ε_l] gets −β₁(1 − ε_l)·(ρ/sg ρ)·A,
// high = [A > 0, ρ > 1 + ε_h] gets −β₂(1 + ε_h)·(ρ/sg ρ)·A, the rest −ρA, then the dual clip min(ℓ, −A·c)
// for A < 0. ρ/sg(ρ) is 1 in value, so the value is scaled by β too. `only_high` keeps the hard clip on the
// low side. The released scripts add `positive_nll_coef`·agg(−lp) over the correct rows
// (dp_actor.update_policy; docs/policy-losses.md "GPPO / CE-GPPO").
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { aggregateLoss } from '../aggregate.ts';
import { logRatios, type PolicyLoss, type PolicyLossInputs, type PolicyLossOutput, validMean } from './policy-loss.ts';

export const gppoSchema = z
  .object({
    /** β₁: gradient scale of penalised (A < 0) tokens below 1 − ε_l; 1 = GPPO, CE-GPPO's scripts 0.25–0.75. */
    beta1: z.number().min(0).default(1),
    /** β₂: gradient scale of rewarded (A > 0) tokens above 1 + ε_h; 1 in every released script. */
    beta2: z.number().min(0).default(1),
    /** Keep the hard clip below 1 − ε_l (value −(1 − ε_l)·A, no gradient); β₂ still applies above. */
    only_high: z.boolean().default(false),
    /** Coefficient of −lp aggregated over the rows with success (0.1 in every released script). */
    positive_nll_coef: z.number().min(0).default(0),
  })
  .strict();
export type GppoSettings = z.infer<typeof gppoSchema>;

/** Per token: 1 = low side (A < 0, ρ < 1 − ε_l), 2 = high side (A > 0, ρ > 1 + ε_h), 0 = inside. */
function sides(ratio: ArrayLike<number>, advantages: ArrayLike<number>, lo: number, hi: number): Uint8Array {
  return Uint8Array.from(advantages, (a, k) => (a < 0 && ratio[k] < 1 - lo ? 1 : a > 0 && ratio[k] > 1 + hi ? 2 : 0));
}

function compute(x: PolicyLossInputs, s: GppoSettings): PolicyLossOutput {
  const { clipRatioLow: lo, clipRatioHigh: hi, clipRatioC: c } = x.clip;
  const delta = logRatios(x);
  const ratio = Float64Array.from(delta, Math.exp);
  const side = sides(ratio, x.advantages, lo, hi);
  const lowScale = s.only_high ? 0 : s.beta1 * (1 - lo);
  const tokenLoss = tf.tidy(() => {
    const negA = tf.neg(tf.tensor1d(x.advantages));
    const taped = tf.sub(x.logProbs, tf.tensor1d(x.oldLogProbs));
    // value 1, gradient ∇lp: ρ/sg(ρ) = exp(lp − sg(lp))
    const unit = tf.exp(tf.sub(x.logProbs, tf.tensor1d(x.logProbValues)));
    const low = s.only_high ? tf.mul(negA, 1 - lo) : tf.mul(tf.mul(negA, unit), lowScale);
    const high = tf.mul(tf.mul(negA, unit), s.beta2 * (1 + hi));
    const inside = tf.mul(negA, tf.exp(taped));
    const sideT = tf.tensor1d(side, 'int32');
    const loss = tf.where(tf.equal(sideT, 1), low, tf.where(tf.equal(sideT, 2), high, inside));
    // the dual-clip condition reads A only (data), so `where` keeps the gradient of the branch it picks
    return tf.where(tf.less(tf.tensor1d(x.advantages), 0), tf.minimum(loss, tf.mul(negA, c)), loss) as tf.Tensor1D;
  });
  const value = (k: number) => {
    const a = x.advantages[k];
    if (side[k] === 1) return -a * (s.only_high ? 1 - lo : lowScale);
    if (side[k] === 2) return -a * s.beta2 * (1 + hi);
    return -a * ratio[k];
  };
  const out: PolicyLossOutput = {
    tokenLoss,
    actor: {
      pgClipfrac: validMean(x.mask, (k) => (side[k] !== 0 ? 1 : 0)),
      pgClipfracLower: validMean(x.mask, (k) => (x.advantages[k] < 0 && value(k) > -x.advantages[k] * c ? 1 : 0)),
      ppoKl: validMean(x.mask, (k) => -delta[k]),
    },
  };
  if (s.positive_nll_coef > 0) {
    const correctMask = Float32Array.from(x.mask, (m, k) => (x.success[Math.floor(k / x.width)] ? m : 0));
    // no correct row: the aggregate is 0 (its denominator is 0), as in the released code
    const nll = aggregateLoss(tf.neg(x.logProbs), correctMask, x.rows, x.width, x.aggMode);
    out.metrics = { 'gppo/positive_nll': nll.dataSync()[0] };
    out.extraLoss = tf.mul(nll, s.positive_nll_coef) as tf.Scalar;
  }
  return out;
}

export const gppoLoss = {
  name: 'gppo',
  summary: 'GPPO / CE-GPPO: PPO-clip whose out-of-box tokens keep gradient β₁(1−ε_l)·A / β₂(1+ε_h)·A; + positive NLL',
  keys: [
    'clip_ratio_low',
    'clip_ratio_high',
    'clip_ratio_c',
    'gppo.beta1',
    'gppo.beta2',
    'gppo.only_high',
    'gppo.positive_nll_coef',
  ],
  schema: gppoSchema,
  compute,
} as const satisfies PolicyLoss<'gppo', GppoSettings>;
