// SAPO, soft adaptive policy optimisation (arXiv 2511.20347; verl compute_policy_loss_sapo): no hard
// clip, a sigmoid gate f(ρ) = σ(τ(ρ − 1))·4/τ with τ = tau_pos for A > 0, tau_neg otherwise, and
// ℓ = −A·f(ρ), ρ = exp(clamp(δ, ±20)). Its gradient −A·4σ(1−σ)·ρ is the plain policy gradient at
// ρ = 1 and fades smoothly away from it. Always seq-mean-token-mean (docs/policy-losses.md "SAPO").
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import {
  clampLogRatio,
  logRatios,
  type PolicyLoss,
  type PolicyLossInputs,
  type PolicyLossOutput,
  validMean,
} from './policy-loss.ts';

export const sapoSchema = z
  .object({
    /** Gate temperature τ of positive-advantage tokens (verl actor default). */
    tau_pos: z.number().gt(0).default(1),
    /** Gate temperature τ of A ≤ 0 tokens (verl actor default). */
    tau_neg: z.number().gt(0).default(1.05),
  })
  .strict();
export type SapoSettings = z.infer<typeof sapoSchema>;

function compute(x: PolicyLossInputs, s: SapoSettings): PolicyLossOutput {
  const delta = logRatios(x);
  const tau = Float32Array.from(x.advantages, (a) => (a > 0 ? s.tau_pos : s.tau_neg));
  const tokenLoss = tf.tidy(() => {
    const ratio = tf.exp(tf.clipByValue(tf.sub(x.logProbs, tf.tensor1d(x.oldLogProbs)), -20, 20));
    const tauT = tf.tensor1d(tau);
    const gate = tf.div(tf.mul(tf.sigmoid(tf.mul(tauT, tf.sub(ratio, 1))), 4), tauT);
    return tf.mul(tf.neg(tf.tensor1d(x.advantages)), gate) as tf.Tensor1D;
  });
  return {
    tokenLoss,
    actor: { pgClipfrac: 0, pgClipfracLower: 0, ppoKl: validMean(x.mask, (k) => -clampLogRatio(delta[k])) },
  };
}

export const sapoLoss = {
  name: 'sapo',
  summary: 'soft gate −A·σ(τ(ρ−1))·4/τ instead of a clip (τ by the sign of A); seq-mean-token-mean (fixed)',
  keys: ['sapo.tau_pos', 'sapo.tau_neg'],
  schema: sapoSchema,
  fixedAggMode: 'seq-mean-token-mean',
  compute,
} as const satisfies PolicyLoss<'sapo', SapoSettings>;
