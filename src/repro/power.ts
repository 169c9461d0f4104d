// How many seeds a test needs, from a stated smallest effect of interest δ and the spread s of its
// per-seed values (one-sample t-test on the mean, as every repro test is: a run's own statistic
// or a paired difference against the baseline of the same seed). The t-based sample size: the
// smallest n with n ≥ ((t_{1−a, n−1} + t_{b, n−1}) · s / δ)², iterated because the quantiles
// depend on n (Julious 2004, "Sample sizes for clinical trials with Normal data", Stat. Med. 23).
//   - to detect an effect δ with a two-sided (1 − α) CI: a = α/2, b = power;
//   - to show equivalence within ±δ by TOST (two one-sided tests at α) when the true effect is 0:
//     a = α, b = 1 − (1 − power)/2 (both one-sided tests must reject).
import { studentTQuantile } from '../report/stats.ts';

export interface PowerSpec {
  /** Type I error of one test (two-sided CI at 1 − α; TOST at α each side). */
  alpha: number;
  /** Probability of deciding when the true effect is δ (or 0, for equivalence). */
  power: number;
}

/** Sample sizes are searched up to this; beyond it a test counts as needing "more than" it. */
export const MAX_SEARCHED_SEEDS = 100_000;

function tBasedSize(std: number, delta: number, a: number, b: number): number {
  if (!(delta > 0) || !Number.isFinite(std)) return NaN;
  if (std === 0) return 2;
  const ratio = (std / delta) ** 2;
  for (let n = 2; n <= MAX_SEARCHED_SEEDS; n++) {
    const z = studentTQuantile(a, n - 1) + studentTQuantile(b, n - 1);
    if (z * z * ratio <= n) return n;
  }
  return Number.POSITIVE_INFINITY;
}

/** Seeds for a two-sided (1 − α) CI to exclude the line with probability `power` when the effect is δ. */
export function seedsToDetect(std: number, delta: number, spec: PowerSpec): number {
  return tBasedSize(std, delta, 1 - spec.alpha / 2, spec.power);
}

/** Seeds for TOST at α to show equivalence within ±δ with probability `power` when the effect is 0. */
export function seedsForEquivalence(std: number, delta: number, spec: PowerSpec): number {
  return tBasedSize(std, delta, 1 - spec.alpha, 1 - (1 - spec.power) / 2);
}

/** Seeds that decide a test whichever holds, an effect of δ or none: the larger of the two. */
export function seedsToDecide(std: number, delta: number, spec: PowerSpec): number {
  return Math.max(seedsToDetect(std, delta, spec), seedsForEquivalence(std, delta, spec));
}
