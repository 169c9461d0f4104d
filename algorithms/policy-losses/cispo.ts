// CISPO, clipped importance-sampling policy optimisation (MiniMax-M1, arXiv 2506.13585; verl
// compute_policy_loss_cispo): ℓ = −sg(clip(ρ, 1 − ε_l, 1 + ε_h))·A·lp, ρ = exp(clamp(δ, ±20)). The
// clip bounds the weight only, so every token keeps a gradient; the value contains lp itself and is not
// 0 on-policy (docs/policy-losses.md "CISPO").
import * as tf from '@tensorflow/tfjs';
import {
  clampLogRatio,
  logRatios,
  type PolicyLoss,
  type PolicyLossInputs,
  type PolicyLossOutput,
  validMean,
} from './policy-loss.ts';

function compute(x: PolicyLossInputs): PolicyLossOutput {
  const delta = logRatios(x);
  const lo = 1 - x.clip.clipRatioLow;
  const hi = 1 + x.clip.clipRatioHigh;
  const ratio = Float64Array.from(delta, (d) => Math.exp(clampLogRatio(d)));
  // the weight is data: sg(clip(ρ))
  const weight = Float32Array.from(ratio, (r) => Math.min(Math.max(r, lo), hi));
  const tokenLoss = tf.tidy(
    () => tf.mul(tf.neg(tf.mul(tf.tensor1d(weight), tf.tensor1d(x.advantages))), x.logProbs) as tf.Tensor1D,
  );
  return {
    tokenLoss,
    actor: {
      pgClipfrac: validMean(x.mask, (k) => (ratio[k] < lo || ratio[k] > hi ? 1 : 0)),
      pgClipfracLower: 0,
      ppoKl: validMean(x.mask, (k) => -clampLogRatio(delta[k])),
    },
  };
}

export const cispoLoss = {
  name: 'cispo',
  summary: '−sg(clip(ρ, 1−ε_l, 1+ε_h))·A·lp: the clip bounds the weight, every token keeps a gradient',
  keys: ['clip_ratio_low', 'clip_ratio_high'],
  compute,
} as const satisfies PolicyLoss<'cispo'>;
