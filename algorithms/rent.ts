// RENT, "Maximizing Confidence Alone Improves Reasoning" (Prabhudesai et al., arXiv 2505.22660;
// code satrams/rent-rl `RayPPOTrainer.fit`, the minimize_entropy block): no verifier — each row's
// reward is its own negative mean token entropy under π_old, r_i = −mean_{valid t} H_old[i, t], and
// the configured advantage estimator (GRPO in the paper) runs on it. The environment's reward is
// still logged (reward/raw, rent/true_reward_mean) and eval still measures it: training alone sees
// only the policy's confidence. docs/advantage-shaping.md "RENT".
import { z } from 'zod';
import type { Batch } from '../src/base/batch.ts';
import { defineRegularizer, type Metrics } from './regularizer.ts';

export const rentSchema = z.object({}).strict();

/** −(mean entropy over each row's valid tokens); 0 for a row without one ([rows], doubles). */
export function negativeMeanEntropy(batch: Pick<Batch, 'rows' | 'width' | 'mask' | 'oldEntropy'>): Float64Array {
  const out = new Float64Array(batch.rows);
  for (let i = 0; i < batch.rows; i++) {
    let sum = 0;
    let n = 0;
    for (let t = 0; t < batch.width; t++) {
      const k = i * batch.width + t;
      if (!batch.mask[k]) continue;
      sum += batch.oldEntropy[k];
      n += 1;
    }
    out[i] = n > 0 ? -sum / n : 0;
  }
  return out;
}

/** Pearson correlation of x and y (0 when either is constant). */
export function correlation(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  if (n < 2) return 0;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i] / n;
    my += y[i] / n;
  }
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : 0;
}

function rentMetrics(trueReward: ArrayLike<number>, entropyReward: Float64Array, isExtra: Uint8Array): Metrics {
  const main = Array.from({ length: entropyReward.length }, (_, i) => i).filter((i) => !isExtra[i]);
  const t = main.map((i) => trueReward[i]);
  const e = main.map((i) => entropyReward[i]);
  const mean = (xs: number[]) => (xs.length ? xs.reduce((s, v) => s + v, 0) / xs.length : 0);
  return { true_reward_mean: mean(t), entropy_reward_mean: mean(e), corr_true_entropy_reward: correlation(t, e) };
}

export const rentDefinition = defineRegularizer({
  name: 'rent',
  summary: 'verifier-free: the reward is −mean token entropy of the response (π_old); eval still scores the task',
  schema: rentSchema,
  create: () => ({
    shapeRewards: (batch: Batch) => {
      const reward = negativeMeanEntropy(batch);
      return { value: reward, metrics: rentMetrics(batch.reward, reward, batch.isExtra) };
    },
  }),
});
