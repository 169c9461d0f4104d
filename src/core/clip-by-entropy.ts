// PPO clip fractions split by token entropy: of the valid tokens whose entropy (under the policy
// being updated) is above `highNats`, the share the PPO-clip surrogate clipped, and the same for the
// tokens at or below it. The forking-token argument (Wang et al. 2025, arXiv 2506.01939) is that
// the few high-entropy tokens carry the learning signal; a clip that bites mostly on them is what
// clip-higher (DAPO, arXiv 2503.14476) relaxes. A set with no token in a mini-batch reports nothing
// for it, so the step's value is the mean over the mini-batches that had such tokens.

/** actor/pg_clipfrac_high_entropy and actor/pg_clipfrac_low_entropy of one mini-batch. */
export function clipFractionsByEntropy(
  clipped: ArrayLike<number>,
  entropy: ArrayLike<number>,
  mask: ArrayLike<number>,
  highNats: number,
): Record<string, number> {
  let high = 0;
  let highClipped = 0;
  let low = 0;
  let lowClipped = 0;
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    if (entropy[i] > highNats) {
      high += 1;
      highClipped += clipped[i] ? 1 : 0;
    } else {
      low += 1;
      lowClipped += clipped[i] ? 1 : 0;
    }
  }
  const out: Record<string, number> = {};
  if (high > 0) out['actor/pg_clipfrac_high_entropy'] = highClipped / high;
  if (low > 0) out['actor/pg_clipfrac_low_entropy'] = lowClipped / low;
  return out;
}
