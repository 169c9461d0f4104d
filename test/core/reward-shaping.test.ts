// src/core/reward-shaping.ts: shapeRewards hooks in config order, each on the previous one's rewards,
// after the old pass and before the advantages; reward/raw and reward/shaped only when one is active.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineRegularizer } from '../../algorithms/regularizer.ts';
import { selectBackend } from '../../src/backend/backend.ts';
import type { Batch } from '../../src/base/batch.ts';
import { loadConfig } from '../../src/config/load.ts';
import { createRegularizers } from '../../src/core/regularizer-set.ts';
import { shapeRewards } from '../../src/core/reward-shaping.ts';
import { train } from '../../src/train/trainer.ts';
import { readJsonl, tempDir } from '../helpers.ts';

beforeAll(async () => {
  await selectBackend('wasm');
});

/** r → scale·r + shift, and what it saw: whether the old pass and the advantages had been computed. */
for (const name of ['test_affine_reward', 'test_affine_reward_2']) {
  defineRegularizer({
    name,
    summary: 'affine reward shaping (test only)',
    schema: z.object({ scale: z.number().default(1), shift: z.number().default(0) }).strict(),
    create: (c) => ({
      shapeRewards: (batch: Batch) => ({
        value: batch.reward.map((r) => c.scale * r + c.shift),
        metrics: {
          saw_old_pass: batch.oldLogProbs.some((x) => x !== 0) ? 1 : 0,
          saw_advantages: batch.advantages.some((x) => x !== 0) ? 1 : 0,
        },
      }),
    }),
  });
}

const step = { step: 0, totalSteps: 1, promptsPerStep: 2, groupSize: 2 };
const fakeBatch = () =>
  ({
    rows: 3,
    reward: Float64Array.of(1, 0, 4),
    isExtra: Uint8Array.of(0, 0, 1),
    oldLogProbs: new Float32Array(1),
    advantages: new Float32Array(1),
  }) as unknown as Batch;
const regs = (list: object[]) => createRegularizers(list, { seed: 0, where: 'x' });

describe('shapeRewards', () => {
  it('runs in config order, each on the previous rewards; the means are over the main rows', () => {
    const batch = fakeBatch();
    // ×2 then +1: (1, 0, 4) → (2, 0, 8) → (3, 1, 9); the other order would give (4, 2, 10)
    const list = [
      { name: 'test_affine_reward', scale: 2 },
      { name: 'entropy_floor' },
      { name: 'test_affine_reward_2', shift: 1 },
    ];
    const out = shapeRewards(batch, regs(list), step);
    expect(Array.from(out.batch.reward)).toEqual([3, 1, 9]);
    expect(Array.from(out.raw!)).toEqual([1, 0, 4]);
    expect(Array.from(batch.reward)).toEqual([1, 0, 4]); // the input batch is not changed
    // main rows 0 and 1: raw (1 + 0)/2, shaped (3 + 1)/2
    expect(out.metrics).toMatchObject({ 'reward/raw': 0.5, 'reward/shaped': 2 });
    const reversed = shapeRewards(fakeBatch(), regs([list[2], list[0]]), step);
    expect(Array.from(reversed.batch.reward)).toEqual([4, 2, 10]);
  });

  it('without a shaper: the same batch and no metrics', () => {
    const batch = fakeBatch();
    const out = shapeRewards(batch, regs([{ name: 'entropy_floor' }]), step);
    expect(out.batch).toBe(batch);
    expect(out.raw).toBeUndefined();
    expect(out.metrics).toEqual({});
  });
});

describe('a training run with reward shaping', () => {
  const sets = ['steps=2', 'env.preset=open5', 'rollout.prompts_per_step=3', 'rollout.group_size=2', 'eval.episodes=2'];
  const rowsOf = async (extra: string[]) => {
    const dir = tempDir();
    await train(loadConfig('configs/quickstart.yaml', [...sets, ...extra]), { runDir: dir, log: () => {} });
    return readJsonl(path.join(dir, 'metrics.jsonl'));
  };

  it('logs raw and shaped means, keeps critic/score raw, and trains on the shaped rewards', async () => {
    const rows = await rowsOf(['regularizers=[{name: test_affine_reward, scale: 0, shift: 5}]']);
    for (const r of rows) {
      expect(r['reward/shaped']).toBe(5);
      expect(r['reward/raw']).toBe(r['critic/score/mean']);
      expect(r['test_affine_reward/saw_old_pass']).toBe(1);
      expect(r['test_affine_reward/saw_advantages']).toBe(0);
      // every row's reward is 5: every group advantage is 0, and so is the PG loss
      expect(Math.abs(r['actor/pg_loss'])).toBe(0);
    }
    const plain = await rowsOf([]);
    expect(Object.keys(plain[0]).some((k) => k.startsWith('reward/'))).toBe(false);
  });
});
