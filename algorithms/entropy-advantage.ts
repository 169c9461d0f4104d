// Entropy-based advantage, "Reasoning with Exploration: An Entropy Perspective" (Cheng et al.,
// arXiv 2506.14758; no public code): each token's advantage gains a clipped, detached entropy term
// ψ_t = min(α·H_t, |A_t|/κ), A'_t = A_t + ψ_t. Since 0 ≤ ψ ≤ |A|/κ < |A| (κ > 1) the sign of A never
// flips and A = 0 tokens (zero-advantage groups) stay 0. An advantage rewrite (prepareBatch) on the
// estimator's advantages; docs/advantage-shaping.md "Entropy-based advantage".
import { z } from 'zod';
import type { Batch } from '../src/base/batch.ts';
import { defineRegularizer, type Metrics } from './regularizer.ts';

export const entropyAdvantageSchema = z
  .object({
    /** α: weight of the entropy term (0 reproduces the run without it, bit for bit). */
    alpha: z.number().min(0).default(0.4),
    /** κ > 1: the term is at most |A|/κ, so it never flips an advantage's sign. */
    kappa: z.number().gt(1).default(2),
  })
  .strict();
export type EntropyAdvantageConfig = z.infer<typeof entropyAdvantageSchema>;

/** A'_t = A_t + min(α·H_t, |A_t|/κ) on valid tokens ([rows*width]); H is π_old's entropy (detached). */
export function entropyShapedAdvantages(
  advantages: ArrayLike<number>,
  entropy: ArrayLike<number>,
  mask: ArrayLike<number>,
  c: EntropyAdvantageConfig,
): { advantages: Float32Array; metrics: Metrics } {
  const out = Float32Array.from(advantages);
  let n = 0;
  let psiSum = 0;
  let capBinds = 0;
  for (let k = 0; k < out.length; k++) {
    if (!mask[k]) continue;
    const a = advantages[k];
    const entropyTerm = c.alpha * entropy[k];
    const cap = Math.abs(a) / c.kappa;
    const psi = Math.min(entropyTerm, cap);
    // α = 0 must leave A untouched to the bit (a + 0 is a)
    if (psi !== 0) out[k] = a + psi;
    n += 1;
    psiSum += psi;
    if (cap < entropyTerm) capBinds += 1;
  }
  return { advantages: out, metrics: { psi_mean: n ? psiSum / n : 0, cap_binds_frac: n ? capBinds / n : 0 } };
}

export const entropyAdvantageDefinition = defineRegularizer({
  name: 'entropy_advantage',
  summary: 'A + min(α·H_old, |A|/κ) per token: entropy raises advantages, never flips their sign (arXiv 2506.14758)',
  schema: entropyAdvantageSchema,
  create: (config) => ({
    prepareBatch: (batch: Batch) => {
      const out = entropyShapedAdvantages(batch.advantages, batch.oldEntropy, batch.mask, config);
      return { value: { ...batch, advantages: out.advantages }, metrics: out.metrics };
    },
  }),
});
