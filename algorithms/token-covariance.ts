// The centred per-token product of advantage and log-prob that Clip-Cov, KL-Cov and the trainer's
// entropy diagnostics (docs/grpo.md "Entropy dynamics") share.

/**
 * cov[i,t] = (A − Ā)·(lp − L̄P) on valid tokens (0 elsewhere), with Ā, L̄P plain means over the
 * valid tokens (as in verl's Clip-Cov; KL-Cov's valid-token list gives the same numbers). Doubles; lp
 * detached.
 */
export function centredCovariance(
  advantages: ArrayLike<number>,
  logProbs: ArrayLike<number>,
  mask: ArrayLike<number>,
): { cov: Float64Array; valid: number; mean: number } {
  let n = 0;
  let meanA = 0;
  let meanLp = 0;
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    n += 1;
    meanA += advantages[i];
    meanLp += logProbs[i];
  }
  const cov = new Float64Array(mask.length);
  if (n === 0) return { cov, valid: 0, mean: 0 };
  meanA /= n;
  meanLp /= n;
  let sum = 0;
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    cov[i] = (advantages[i] - meanA) * (logProbs[i] - meanLp);
    sum += cov[i];
  }
  return { cov, valid: n, mean: sum / n };
}
