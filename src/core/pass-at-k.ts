// The unbiased pass@k estimator of Chen et al. 2021 (arXiv 2107.03374, "Evaluating Large Language
// Models Trained on Code", eq. 1): from n samples of a prompt of which c are correct,
//   pass@k = 1 − C(n − c, k) / C(n, k),
// the probability that k samples drawn without replacement from the n contain a correct one. The
// binomial ratio is evaluated as the product ∏_{i = n−c+1}^{n} (1 − k / i), which never forms a
// large binomial coefficient. Averaged over prompts it estimates the expected pass@k without the
// downward bias of "solved by one of the first k samples" when n > k; with n = k it is that naive
// estimate exactly (1 when c > 0, else 0).
import { mean } from '../base/numerics.ts';

/** pass@k of one prompt from n samples with c correct (0 ≤ c ≤ n, 1 ≤ k ≤ n). */
export function passAtK(n: number, c: number, k: number): number {
  if (!(Number.isInteger(n) && Number.isInteger(c) && Number.isInteger(k)) || c < 0 || c > n || k < 1 || k > n)
    throw new Error(`pass@k needs integers 0 ≤ c ≤ n and 1 ≤ k ≤ n (got n=${n}, c=${c}, k=${k})`);
  if (n - c < k) return 1;
  let miss = 1;
  for (let i = n - c + 1; i <= n; i++) miss *= 1 - k / i;
  return 1 - miss;
}

/** The mean pass@k over prompts, one count of correct samples per prompt, for each k in `ks`. */
export function passAtKCurve(correct: readonly number[], n: number, ks: readonly number[]): Record<string, number> {
  const curve: Record<string, number> = {};
  for (const k of ks) curve[String(k)] = mean(correct.map((c) => passAtK(n, c, k)));
  return curve;
}

/** 1, 2, 4, … up to n, with n itself and `extra` (each ≤ n) added, sorted and without repeats. */
export function defaultPassKs(n: number, extra: readonly number[] = []): number[] {
  const ks = new Set<number>(extra);
  for (let k = 1; k <= n; k *= 2) ks.add(k);
  ks.add(n);
  return [...ks].sort((a, b) => a - b);
}
