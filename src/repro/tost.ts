// Two one-sided tests (Schuirmann 1987, "A comparison of the two one-sided tests procedure and the
// power approach for assessing the equivalence of average bioavailability", J. Pharmacokinet.
// Biopharm. 15): the mean of the values lies within (low, high) at level α when both
// H0: μ ≤ low and H0: μ ≥ high are rejected by one-sided t-tests at α — equivalently, when the
// two-sided (1 − 2α) CI of the mean lies inside (low, high). It is how a repro test says "no
// effect larger than δ" (low = line − δ, high = line + δ) instead of "undecided".
import { mean, sampleStd, studentTCdf, studentTQuantile } from '../report/stats.ts';

export interface Tost {
  n: number;
  mean: number;
  /** The (1 − 2α) CI of the mean: [lo, hi]. */
  ci: [number, number];
  /** max of the two one-sided p-values: equivalence at α when pValue < α. */
  pValue: number;
  equivalent: boolean;
}

export function tost(values: readonly number[], low: number, high: number, alpha: number): Tost {
  const finite = values.filter((v) => Number.isFinite(v));
  const n = finite.length;
  const m = mean(finite);
  if (n < 2) return { n, mean: m, ci: [NaN, NaN], pValue: NaN, equivalent: false };
  const se = sampleStd(finite) / Math.sqrt(n);
  const half = studentTQuantile(1 - alpha, n - 1) * se;
  // se = 0: the values are all equal; equivalent exactly when that value is inside the band
  const pLow = se > 0 ? 1 - studentTCdf((m - low) / se, n - 1) : m > low ? 0 : 1;
  const pHigh = se > 0 ? studentTCdf((m - high) / se, n - 1) : m < high ? 0 : 1;
  const pValue = Math.max(pLow, pHigh);
  return { n, mean: m, ci: [m - half, m + half], pValue, equivalent: pValue < alpha };
}
