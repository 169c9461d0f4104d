// Train only on the forking tokens: the policy-gradient loss of each mini-batch is kept on the
// fraction of valid tokens with the highest entropy and dropped on the rest (Wang et al. 2025,
// "Beyond the 80/20 rule", arXiv:2506.01939, keep the top 20%). A plugin: entrolab imports this
// file before it reads a config that lists it under `plugins:`.
import { defineRegularizer, type TokenContext, z } from 'entrolab';

const schema = z
  .object({
    /** Fraction of the valid tokens, by entropy, whose loss is kept. */
    top_fraction: z.number().gt(0).max(1).default(0.2),
  })
  .strict();

/** 1 for the valid tokens whose entropy is among the top `fraction`, 0 elsewhere ([rows*width]). */
export function forkingTokenWeights(entropy: Float32Array, mask: Float32Array, fraction: number): Float32Array {
  const valid = entropy.filter((_, i) => mask[i] > 0).sort((a, b) => b - a);
  const keep = Math.max(1, Math.ceil(fraction * valid.length));
  const threshold = valid.length > 0 ? valid[keep - 1] : Number.POSITIVE_INFINITY;
  return entropy.map((h, i) => (mask[i] > 0 && h >= threshold ? 1 : 0));
}

export const forkingTokens = defineRegularizer({
  name: 'forking_tokens',
  summary: 'policy-gradient loss only on the highest-entropy tokens (arXiv:2506.01939)',
  schema,
  create: (config) => ({
    tokenWeights: (ctx: TokenContext) => {
      const weights = forkingTokenWeights(ctx.entropy, ctx.batch.mask, config.top_fraction);
      const valid = ctx.batch.mask.reduce((n, m) => n + (m > 0 ? 1 : 0), 0);
      return { value: weights, metrics: { kept: weights.reduce((n, w) => n + w, 0) / Math.max(1, valid) } };
    },
  }),
});
