// DPPO-Binary-KL (arXiv 2602.04879; verl compute_policy_loss_dppo_kl): the binary KL between "this
// token vs the rest" under π_old and π, KL_b = p_old·(lp_old − lp) + (1 − p_old)·log((1 − p_old + 1e-8) /
// (1 − p + 1e-8)); A > 0: valid iff KL_b ≤ δ_h or p ≤ p_old; A ≤ 0: valid iff KL_b ≤ δ_l or p ≥ p_old —
// a move against the advantage's direction is never masked (docs/policy-losses.md "DPPO").
import type { ClipOptions } from '../grpo.ts';
import { dppoLoss, dppoWarnings } from './dppo.ts';
import type { PolicyLoss, PolicyLossInputs } from './policy-loss.ts';

export function binaryKl(p: number, pOld: number, lp: number, lpOld: number): number {
  return pOld * (lpOld - lp) + (1 - pOld) * Math.log((1 - pOld + 1e-8) / (1 - p + 1e-8));
}

export function klValid(p: number, pOld: number, lp: number, lpOld: number, a: number, clip: ClipOptions): boolean {
  const kl = binaryKl(p, pOld, lp, lpOld);
  return a > 0 ? kl <= clip.clipRatioHigh || p <= pOld : kl <= clip.clipRatioLow || p >= pOld;
}

export const dppoKlLoss = {
  name: 'dppo_kl',
  summary: 'DPPO-KL: −A·sg(min(ρ, c))·lp; a token whose binary KL passed δ in A’s direction is masked out',
  keys: ['clip_ratio_low', 'clip_ratio_high', 'clip_ratio_c'],
  compute: (x: PolicyLossInputs) => dppoLoss(x, klValid),
  warnings: dppoWarnings,
} as const satisfies PolicyLoss<'dppo_kl'>;
