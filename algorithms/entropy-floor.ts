// Entropy floor — the README's "write your own regularizer" example, complete in one file.
// A hinge penalty coef · agg(relu(floor − H)) on the current policy's per-token entropy H: only
// tokens whose distribution has collapsed below `floor` nats feel it, and their gradient pushes
// entropy back up. Not from a paper; a minimal template for new methods.
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { Regularizer, RegularizerDefinition, TapedTokens, TokenContext } from './regularizer.ts';

// 1. The config block: strict, every field with a default and a doc comment.
export const entropyFloorSchema = z
  .object({
    /** Entropy (nats) below which a token is penalised. */
    floor: z.number().min(0).default(0.3),
    /** Weight of the penalty in the loss. */
    coef: z.number().min(0).default(0.01),
  })
  .strict();
export type EntropyFloorConfig = z.infer<typeof entropyFloorSchema>;

// 2. The math as a pure function over tensors: per-token hinge, aggregated like the PG loss.
export function entropyFloorPenalty(entropy: tf.Tensor1D, floor: number, aggregate: TapedTokens['aggregate']): tf.Scalar {
  return tf.tidy(() => aggregate(tf.relu(tf.sub(floor, entropy)) as tf.Tensor1D));
}

// 3. The regularizer: one hook for the loss, one for metrics.
class EntropyFloor implements Regularizer {
  readonly name = 'entropy_floor';
  private below = 0;

  constructor(private readonly config: EntropyFloorConfig) {}

  lossTerm(ctx: TokenContext, taped: TapedTokens): tf.Scalar {
    // which tokens are below the floor is read from detached values (no gradient needed)
    let n = 0;
    let below = 0;
    ctx.batch.mask.forEach((m, i) => {
      n += m;
      if (m && ctx.entropy[i] < this.config.floor) below += 1;
    });
    this.below = n ? below / n : 0;
    return tf.mul(entropyFloorPenalty(taped.entropy, this.config.floor, taped.aggregate), this.config.coef);
  }

  metrics(): Record<string, number> {
    return { frac_below_floor: this.below };
  }
}

// 4. Registration: algorithms/registry.ts maps the config name to this definition.
export const entropyFloorDefinition: RegularizerDefinition<typeof entropyFloorSchema> = {
  name: 'entropy_floor',
  summary: 'hinge penalty on tokens whose entropy fell below a floor (the README example)',
  schema: entropyFloorSchema,
  create: (config) => new EntropyFloor(config),
};
