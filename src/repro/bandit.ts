// The covariance identity where it must hold to first order: a tabular softmax bandit with an
// exact policy-gradient step. With logits z, π = softmax(z) and expected rewards r, the gradient of
// J = E_π r is ∂J/∂z_a = π(a)·A(a), A = r − J, so a step of size η moves z by Δz = η·π·A and
//   H(z + Δz) − H(z) = −Cov_{a∼π}(log π(a), Δz_a) + O(η²)
// (Cui et al. 2025, arXiv 2505.22617, Theorem 1). The relative error of the prediction must
// shrink in proportion to η.
import { Rng } from '../base/rng.ts';

export interface BanditCase {
  measured: number;
  predicted: number;
  relativeError: number;
}

function softmax(z: readonly number[]): number[] {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

export function entropy(p: readonly number[]): number {
  return -p.reduce((h, v) => (v > 0 ? h + v * Math.log(v) : h), 0);
}

/** One exact policy-gradient step of size `lr` on logits `z`: measured and predicted entropy change. */
export function banditStep(z: readonly number[], rewards: readonly number[], lr: number): BanditCase {
  const p = softmax(z);
  const j = p.reduce((acc, pa, a) => acc + pa * rewards[a], 0);
  const dz = p.map((pa, a) => lr * pa * (rewards[a] - j));
  const after = softmax(z.map((v, a) => v + dz[a]));
  const measured = entropy(after) - entropy(p);
  const logp = p.map(Math.log);
  const meanLog = p.reduce((acc, pa, a) => acc + pa * logp[a], 0);
  const meanDz = p.reduce((acc, pa, a) => acc + pa * dz[a], 0);
  const cov = p.reduce((acc, pa, a) => acc + pa * (logp[a] - meanLog) * (dz[a] - meanDz), 0);
  const predicted = -cov;
  return { measured, predicted, relativeError: Math.abs(measured - predicted) / Math.abs(predicted) };
}

export interface BanditOptions {
  actions: number;
  /** Random bandits (logits and rewards) per seed. */
  cases: number;
  /** Standard deviation of the random logits. */
  logitScale: number;
}

export const BANDIT_DEFAULTS: BanditOptions = { actions: 6, cases: 200, logitScale: 1.5 };

/** `cases` random bandits drawn from `seed` (logits ~ N(0, scale²), rewards ~ U(0, 1)), one step each at `lr`. */
export function banditCases(seed: number, lr: number, options: BanditOptions = BANDIT_DEFAULTS): BanditCase[] {
  const rng = new Rng(`repro-bandit:${seed}`);
  return Array.from({ length: options.cases }, () => {
    const z = Array.from({ length: options.actions }, () => options.logitScale * rng.normal());
    const r = Array.from({ length: options.actions }, () => rng.next());
    return banditStep(z, r, lr);
  });
}
