// One-shot entropy minimisation, "One-shot Entropy Minimization" (Gao et al., arXiv 2505.20282;
// code zitian-gao/one-shot-em `train.py::main`): no reward and no advantage — the loss is the token
// mean of the current policy's entropy over the generated tokens, L = coef · Σ H·m / max(Σ m, 1).
// With `replace_pg: true` (the paper's setting) prepareBatch zeroes the advantages, so the PG term
// vanishes (actor/pg_loss = 0) and only the entropy term trains. The entropy is at
// rollout.temperature (the paper samples and scores at 0.5: configs/entropy-min.yaml).
// docs/advantage-shaping.md "One-shot entropy minimisation".
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { Batch } from '../src/base/batch.ts';
import { maskedMean } from './aggregate.ts';
import { defineRegularizer, type TapedTokens } from './regularizer.ts';

export const entropyMinSchema = z
  .object({
    /** Weight of the entropy loss. */
    coef: z.number().min(0).default(1),
    /** Zero the advantages so that the policy-gradient term vanishes (the paper: no reward at all). */
    replace_pg: z.boolean().default(true),
  })
  .strict();

/** coef · Σ H·m / max(Σ m, 1): a token mean over the mini-batch whatever loss_agg_mode says (as the code). */
export function entropyMinLoss(taped: Pick<TapedTokens, 'entropy' | 'mask'>, coef: number): tf.Scalar {
  return tf.tidy(() => {
    const count = tf.maximum(tf.sum(taped.mask), 1);
    return tf.mul(tf.div(tf.sum(tf.mul(taped.entropy, taped.mask)), count), coef) as tf.Scalar;
  });
}

export const entropyMinDefinition = defineRegularizer({
  name: 'entropy_min',
  summary:
    'verifier-free: minimise the token-mean entropy of the policy on its own samples; replace_pg zeroes the PG term',
  schema: entropyMinSchema,
  create: (config) => ({
    ...(config.replace_pg && {
      prepareBatch: (batch: Batch) => ({ value: { ...batch, advantages: new Float32Array(batch.advantages.length) } }),
    }),
    lossTerm: (ctx, taped) => ({
      value: entropyMinLoss(taped, config.coef),
      metrics: { entropy_mean: maskedMean(ctx.entropy, ctx.batch.mask) },
    }),
  }),
});
