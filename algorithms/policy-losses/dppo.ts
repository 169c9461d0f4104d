// DPPO-Binary (TV and KL), "Rethinking the Trust Region in LLM RL" (arXiv 2602.04879; verl
// compute_policy_loss_dppo_tv / _dppo_kl): instead of clipping the ratio, a token is left out of the
// gradient when the probability of its sampled token has moved too far, in the advantage's direction,
// from π_old's (a divergence on the binary "this token vs the rest" distribution); the rest is
// REINFORCE with a truncated importance weight, ℓ = −A·sg(min(ρ, c))·lp·valid, ρ = exp(clamp(δ, ±20)).
// `clip_ratio_low/high` are the divergence thresholds and `clip_ratio_c` the truncation cap, as in verl
// (docs/policy-losses.md "DPPO"). The two variants differ only in the validity test (dppo-tv.ts, dppo-kl.ts).
import * as tf from '@tensorflow/tfjs';
import type { ClipOptions } from '../grpo.ts';
import { clampLogRatio, logRatios, type PolicyLossInputs, type PolicyLossOutput, validMean } from './policy-loss.ts';

/** Whether a token stays in the gradient, from p = exp(lp), p_old = exp(lp_old) and the sign of A. */
export type DppoValidity = (
  p: number,
  pOld: number,
  lp: number,
  lpOld: number,
  advantage: number,
  clip: ClipOptions,
) => boolean;

export function dppoLoss(x: PolicyLossInputs, isValid: DppoValidity): PolicyLossOutput {
  const delta = logRatios(x);
  const cap = x.clip.clipRatioC;
  const ratio = Float64Array.from(delta, (d) => Math.exp(clampLogRatio(d)));
  const valid = new Float32Array(delta.length);
  const weight = new Float32Array(delta.length);
  for (let k = 0; k < delta.length; k++) {
    const lp = x.logProbValues[k];
    const lpOld = x.oldLogProbs[k];
    valid[k] = isValid(Math.exp(lp), Math.exp(lpOld), lp, lpOld, x.advantages[k], x.clip) ? 1 : 0;
    weight[k] = Math.min(ratio[k], cap) * valid[k];
  }
  // the weight (truncated ρ, times the validity mask) is data: sg(min(ρ, c))·valid
  const tokenLoss = tf.tidy(
    () => tf.mul(tf.neg(tf.mul(tf.tensor1d(weight), tf.tensor1d(x.advantages))), x.logProbs) as tf.Tensor1D,
  );
  return {
    tokenLoss,
    actor: {
      pgClipfrac: validMean(x.mask, (k) => 1 - valid[k]),
      pgClipfracLower: validMean(x.mask, (k) => (ratio[k] > cap ? valid[k] : 0)),
      ppoKl: validMean(x.mask, (k) => -clampLogRatio(delta[k])),
    },
  };
}

/** verl's DPPO reads clip_ratio_c as the weight cap, whose actor default is 3: say so when it is that small. */
export function dppoWarnings(clip: ClipOptions): string[] {
  if (clip.clipRatioC > 20) return [];
  return [
    `grpo.clip_ratio_c = ${clip.clipRatioC} caps DPPO's importance weight min(ρ, c) (verl's actor default 3 does ` +
      'the same; its DPPO script sets 10000)',
  ];
}
