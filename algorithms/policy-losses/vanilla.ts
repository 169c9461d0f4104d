// Vanilla PPO-clip with clip-higher and dual clip (verl compute_policy_loss_vanilla; docs/grpo.md
// "PPO-clip with clip-higher and dual clip"): the default `grpo.policy_loss`, written once in
// algorithms/grpo.ts (ppoClipTokenLoss, ppoClipStats) and only named here.
import * as tf from '@tensorflow/tfjs';
import { ppoClipStats, ppoClipTokenLoss } from '../grpo.ts';
import type { PolicyLoss, PolicyLossInputs, PolicyLossOutput } from './policy-loss.ts';

function compute(x: PolicyLossInputs): PolicyLossOutput {
  const stats = ppoClipStats(x.logProbValues, x.oldLogProbs, x.advantages, x.mask, x.clip);
  const tokenLoss = tf.tidy(() =>
    ppoClipTokenLoss(x.logProbs, tf.tensor1d(x.oldLogProbs), tf.tensor1d(x.advantages), x.clip),
  );
  return {
    tokenLoss,
    actor: { pgClipfrac: stats.pgClipfrac, pgClipfracLower: stats.pgClipfracLower, ppoKl: stats.ppoKl },
  };
}

export const vanillaLoss = {
  name: 'vanilla',
  summary: 'PPO-clip: max(−Aρ, −A·clip(ρ, 1−ε_l, 1+ε_h)), dual clip −A·c for A < 0, ρ = exp(clamp(δ, ±20))',
  keys: ['clip_ratio_low', 'clip_ratio_high', 'clip_ratio_c'],
  compute,
} as const satisfies PolicyLoss<'vanilla'>;
