// DRO, "Direct Reward Optimization" as verl registers it (verl compute_policy_loss_dro, PR #7245;
// verl cites no paper): ℓ = −(A·lp − ½β·(lp − lp_old)²), no ratio and no clamp; the gradient is
// −A + β·δ, a quadratic pull back to π_old. grpo.dro.beta is required (docs/policy-losses.md "DRO").
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { logRatios, type PolicyLoss, type PolicyLossInputs, type PolicyLossOutput, validMean } from './policy-loss.ts';

export const droSchema = z
  .object({
    /** β of the quadratic penalty ½β(lp − lp_old)², > 0; required with policy_loss: dro (verl's PR example: 0.05). */
    beta: z.number().gt(0).optional(),
  })
  .strict();
export type DroSettings = z.infer<typeof droSchema>;

function compute(x: PolicyLossInputs, s: DroSettings): PolicyLossOutput {
  if (s.beta === undefined) throw new Error('policy_loss dro needs grpo.dro.beta (the config validator checks it)');
  const beta = s.beta;
  const delta = logRatios(x);
  const tokenLoss = tf.tidy(() => {
    const logRatio = tf.sub(x.logProbs, tf.tensor1d(x.oldLogProbs));
    const reward = tf.mul(tf.tensor1d(x.advantages), x.logProbs);
    return tf.neg(tf.sub(reward, tf.mul(tf.square(logRatio), 0.5 * beta))) as tf.Tensor1D;
  });
  return { tokenLoss, actor: { pgClipfrac: 0, pgClipfracLower: 0, ppoKl: validMean(x.mask, (k) => -delta[k]) } };
}

export const droLoss = {
  name: 'dro',
  summary: 'DRO: −(A·lp − ½β·δ²), no ratio; needs grpo.dro.beta',
  keys: ['dro.beta'],
  schema: droSchema,
  compute,
} as const satisfies PolicyLoss<'dro', DroSettings>;
