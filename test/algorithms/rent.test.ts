// RENT (arXiv 2505.22660): the reward is −(mean old-policy entropy of the response) — the toy
// H̄ = [0.2, 0.6] → rewards [−0.2, −0.6] → GRPO advantages ±0.707104 — the true reward stays in the
// logs and eval, and any advantage estimator runs on the entropy reward.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { computeAdvantages } from '../../algorithms/advantages/registry.ts';
import { correlation, negativeMeanEntropy, rentDefinition } from '../../algorithms/rent.ts';
import { selectBackend } from '../../src/backend/backend.ts';
import { loadConfig } from '../../src/config/load.ts';
import { train } from '../../src/train/trainer.ts';
import { readJsonl, tempDir } from '../helpers.ts';

beforeAll(async () => {
  await selectBackend('wasm');
});

const batch = {
  rows: 2,
  width: 3,
  // row 0: H = 0.1, 0.3 (mean 0.2) and a masked slot; row 1: 0.6 on three slots
  mask: Float32Array.from([1, 1, 0, 1, 1, 1]),
  oldEntropy: Float32Array.from([0.1, 0.3, 5, 0.6, 0.6, 0.6]),
};

describe('the entropy reward', () => {
  it('H̄ = [0.2, 0.6] over valid tokens only → rewards [−0.2, −0.6] → GRPO A = [0.707104, −0.707104]', () => {
    const reward = negativeMeanEntropy(batch);
    expect(Array.from(reward).map((r) => +r.toFixed(6))).toEqual([-0.2, -0.6]);
    const settings = {
      normAdvByStd: true,
      epsilon: 1e-6,
      gamma: 1,
      quantileK: -1,
      otb: { handleZeroTail: true, epsilon: 1e-8 },
    };
    const adv = computeAdvantages(
      'grpo',
      { ...batch, reward, groupId: Int32Array.from([0, 0]), oldLogProbs: new Float32Array(6), numActions: 0 },
      settings,
    );
    expect(adv[0]).toBeCloseTo(0.707104, 5);
    expect(adv[3]).toBeCloseTo(-0.707104, 5);
  });
  it('logs the true reward next to the entropy reward', () => {
    const hooks = rentDefinition.create({});
    const out = hooks.shapeRewards!(
      { ...batch, reward: Float64Array.from([1, 0]), isExtra: new Uint8Array(2) } as never,
      {} as never,
    );
    expect(out.metrics).toMatchObject({ true_reward_mean: 0.5, corr_true_entropy_reward: expect.closeTo(1, 12) });
    expect(out.metrics!.entropy_reward_mean).toBeCloseTo(-0.4, 6);
    expect(correlation([1, 2, 3], [5, 5, 5])).toBe(0);
  });
});

describe('verifier-free training', () => {
  it('configs/rent.yaml: entropy falls, the true reward is still logged, eval still scores the task', async () => {
    const dir = tempDir();
    await train(loadConfig('configs/rent.yaml', ['steps=15', 'eval.episodes=8']), { runDir: dir, log: () => {} });
    const rows = readJsonl(path.join(dir, 'metrics.jsonl'));
    expect(rows.at(-1)!['entropy/rollout']).toBeLessThan(rows[0]['entropy/rollout'] - 0.05);
    for (const r of rows) {
      expect(r['rent/true_reward_mean']).toBeCloseTo(r['critic/score/mean'], 12);
      expect(r['reward/raw']).toBeCloseTo(r['critic/score/mean'], 12);
      expect(r['reward/shaped']).toBeCloseTo(r['rent/entropy_reward_mean'], 12);
      expect(r['reward/shaped']).toBeLessThan(0);
    }
    const summary = JSON.parse((await import('node:fs')).readFileSync(path.join(dir, 'summary.json'), 'utf8'));
    expect(summary.eval.successSampled).toBeGreaterThanOrEqual(0);
  }, 120_000);
});
