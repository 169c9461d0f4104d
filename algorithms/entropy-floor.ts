// Entropy floor — the README's "write your own regularizer" example, complete in one file.
// A hinge penalty coef · agg(relu(floor − H)) on the current policy's per-token entropy H: only
// tokens whose distribution has collapsed below `floor` nats feel it, and their gradient pushes
// entropy back up. Not from a paper; a minimal template for new methods.
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { maskedMean } from './aggregate.ts';
import { defineRegularizer, type TapedTokens } from './regularizer.ts';

// 1. The config block: strict, every field with a default and a doc comment.
export const entropyFloorSchema = z
  .object({
    /** Entropy (nats) below which a token is penalised. */
    floor: z.number().min(0).default(0.3),
    /** Weight of the penalty in the loss. */
    coef: z.number().min(0).default(0.01),
  })
  .strict();

// 2. The math as a pure function over tensors: per-token hinge, aggregated like the PG loss.
export function entropyFloorPenalty(
  entropy: tf.Tensor1D,
  floor: number,
  aggregate: TapedTokens['aggregate'],
): tf.Scalar {
  return tf.tidy(() => aggregate(tf.relu(tf.sub(floor, entropy)) as tf.Tensor1D));
}

// 3. The definition, which registers the name: one hook returning the loss term and its metric.
export const entropyFloor = defineRegularizer({
  name: 'entropy_floor',
  summary: 'hinge penalty on tokens whose entropy fell below a floor (the README example)',
  schema: entropyFloorSchema,
  create: (config) => ({
    lossTerm: (ctx, taped) => ({
      value: tf.mul(entropyFloorPenalty(taped.entropy, config.floor, taped.aggregate), config.coef),
      // which tokens are below the floor is read from detached values (no gradient needed)
      metrics: {
        frac_below_floor: maskedMean(
          ctx.entropy.map((h) => (h < config.floor ? 1 : 0)),
          ctx.batch.mask,
        ),
      },
    }),
  }),
});
