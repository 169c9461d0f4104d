// DPPO-Binary-TV (arXiv 2602.04879; verl compute_policy_loss_dppo_tv): a token is valid unless its
// probability moved past the threshold in the advantage's direction — A > 0: p − p_old ≤ δ_h;
// A ≤ 0: p − p_old ≥ −δ_l, with δ_l, δ_h = clip_ratio_low/high (docs/policy-losses.md "DPPO").
import type { ClipOptions } from '../grpo.ts';
import { dppoLoss, dppoWarnings } from './dppo.ts';
import type { PolicyLoss, PolicyLossInputs } from './policy-loss.ts';

export function tvValid(p: number, pOld: number, _lp: number, _lpOld: number, a: number, clip: ClipOptions): boolean {
  return a > 0 ? p - pOld <= clip.clipRatioHigh : p - pOld >= -clip.clipRatioLow;
}

export const dppoTvLoss = {
  name: 'dppo_tv',
  summary: 'DPPO-TV: −A·sg(min(ρ, c))·lp; a token whose p moved past δ in A’s direction is masked out',
  keys: ['clip_ratio_low', 'clip_ratio_high', 'clip_ratio_c'],
  compute: (x: PolicyLossInputs) => dppoLoss(x, tvValid),
  warnings: dppoWarnings,
} as const satisfies PolicyLoss<'dppo_tv'>;
