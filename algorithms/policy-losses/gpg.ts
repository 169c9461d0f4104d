// GPG's policy loss, "GPG: A Simple and Strong Reinforcement Learning Baseline for Model Reasoning"
// (arXiv 2504.02546; verl compute_policy_loss_gpg): plain REINFORCE on the advantages, ℓ = −A·lp, no
// ratio and no clip; usually paired with `adv_estimator: gpg` (docs/policy-losses.md "GPG").
import * as tf from '@tensorflow/tfjs';
import { logRatios, type PolicyLoss, type PolicyLossInputs, type PolicyLossOutput, validMean } from './policy-loss.ts';

function compute(x: PolicyLossInputs): PolicyLossOutput {
  const delta = logRatios(x);
  const tokenLoss = tf.tidy(() => tf.mul(tf.neg(tf.tensor1d(x.advantages)), x.logProbs) as tf.Tensor1D);
  // verl returns no metrics here; ppo_kl is still reported so runs compare on one key
  return { tokenLoss, actor: { pgClipfrac: 0, pgClipfracLower: 0, ppoKl: validMean(x.mask, (k) => -delta[k]) } };
}

export const gpgLoss = {
  name: 'gpg',
  summary: 'REINFORCE: −A·lp, no ratio, no clip (pair with adv_estimator: gpg)',
  keys: [],
  compute,
} as const satisfies PolicyLoss<'gpg'>;
