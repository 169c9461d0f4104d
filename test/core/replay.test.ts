// src/core/replay.ts and the replay pass of src/core/update.ts: rows a regularizer returns from
// replayBatch train after the main mini-batches with their own old log-probs, their loss scaled,
// their metrics under a `_replay` suffix; two regularizers returning rows in one step are refused.
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineRegularizer } from '../../algorithms/regularizer.ts';
import { selectBackend } from '../../src/backend/backend.ts';
import type { Batch } from '../../src/base/batch.ts';
import { loadConfig } from '../../src/config/load.ts';
import { createRegularizers } from '../../src/core/regularizer-set.ts';
import { collectReplay } from '../../src/core/replay.ts';
import { train } from '../../src/train/trainer.ts';
import { readJsonl, tempDir } from '../helpers.ts';

beforeAll(async () => {
  await selectBackend('wasm');
});

/** Replays the previous step's batch (kept in afterStep) with its stored π_old, scaled by `scale`. */
for (const name of ['test_replay', 'test_replay_2']) {
  defineRegularizer({
    name,
    summary: "replays the previous step's batch (test only)",
    schema: z.object({ scale: z.number().default(1) }).strict(),
    create: (c) => {
      let kept: Batch | undefined;
      return {
        replayBatch: () =>
          kept ? { value: { batch: kept, lossScale: c.scale }, metrics: { rows: kept.rows } } : undefined,
        lossTerm: (ctx) => ({
          value: tf.scalar(0),
          metrics: { replay_rows: ctx.batch.isReplay?.[0] ?? 0, position: ctx.miniBatch },
        }),
        afterStep: (summary) => {
          kept = summary.batch;
          return undefined;
        },
      };
    },
  });
}

const sets = [
  'steps=2',
  'env.preset=open5',
  'rollout.prompts_per_step=3',
  'rollout.group_size=2',
  'eval.episodes=2',
  'grpo.epochs=1',
  'grpo.mini_batches=1',
];
const run = async (scale: number) => {
  const dir = tempDir();
  await train(loadConfig('configs/quickstart.yaml', [...sets, `regularizers=[{name: test_replay, scale: ${scale}}]`]), {
    runDir: dir,
    log: () => {},
  });
  return readJsonl(path.join(dir, 'metrics.jsonl'));
};

describe('the replay pass in a training run (1 epoch, 1 mini-batch)', () => {
  it('trains the rows after the main mini-batch with their own old log-probs, metrics suffixed _replay', async () => {
    const [first, second] = await run(1);
    // step 1 has nothing to replay
    expect(Object.keys(first).filter((k) => k.endsWith('_replay'))).toEqual([]);
    expect(second['test_replay/rows']).toBe(6);
    expect(second['test_replay/replay_rows']).toBe(0);
    expect(second['test_replay/replay_rows_replay']).toBe(1);
    // the replay mini-batch comes after the main one: its index continues the count
    expect([second['test_replay/position'], second['test_replay/position_replay']]).toEqual([0, 1]);
    // the main pass is on-policy (ratio 1); the replayed rows' π_old is the previous step's policy
    expect(second['actor/ppo_kl']).toBe(0);
    expect(Math.abs(second['actor/ppo_kl_replay'])).toBeGreaterThan(0);
    for (const k of ['actor/pg_loss_replay', 'actor/grad_norm_replay', 'actor/entropy_replay'])
      expect(second).toHaveProperty([k]);
  });

  it("multiplies the replay mini-batch's loss by lossScale: twice the scale, twice the gradient", async () => {
    const [, one] = await run(1);
    const [, two] = await run(2);
    // identical up to the replay pass (the same seed); the loss is scaled after its metrics are taken
    expect(two['actor/pg_loss_replay']).toBe(one['actor/pg_loss_replay']);
    expect(two['actor/grad_norm_replay']).toBeCloseTo(2 * one['actor/grad_norm_replay'], 5);
    expect(two['actor/grad_norm']).toBe(one['actor/grad_norm']);
  });
});

describe('collectReplay', () => {
  it('refuses two regularizers returning rows in one step, in one line', () => {
    const regs = createRegularizers([{ name: 'test_replay' }, { name: 'test_replay_2' }], { seed: 0, where: 'x' });
    const batch = { rows: 2, numActions: 4 } as Batch;
    for (const reg of regs) reg.hooks.afterStep!({ step: 0, rolloutEntropy: 0, updateNll: 0, updateEntropy: 0, batch });
    const step = { step: 1, totalSteps: 2, promptsPerStep: 1, groupSize: 2 };
    expect(() => collectReplay(regs, batch, step)).toThrow(
      'regularizers: only one regularizer may return replay rows in a step; test_replay and test_replay_2 did',
    );
    const one = collectReplay(regs.slice(0, 1), batch, step);
    expect(Array.from(one.replay!.batch.isReplay!)).toEqual([1, 1]);
    expect(one.metrics).toEqual({ 'test_replay/rows': 2 });
  });
});
