// src/core/update.ts: how a step combines its mini-batches' metrics (the reductions a hook
// declares), and the loss hooks running exactly once per mini-batch, in a real short run.
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ppoClipStats, ppoClipTokenLoss } from '../../algorithms/grpo.ts';
import { defineRegularizer } from '../../algorithms/regularizer.ts';
import { selectBackend } from '../../src/backend/backend.ts';
import { loadConfig } from '../../src/config/load.ts';
import { combineMiniBatchMetrics } from '../../src/core/update.ts';
import { train } from '../../src/train/trainer.ts';
import { readJsonl, tempDir } from '../helpers.ts';

beforeAll(async () => {
  await selectBackend('wasm');
});

describe('combineMiniBatchMetrics', () => {
  it('reduces each key as declared (min, max, sum), the mean otherwise, over the mini-batches that have it', () => {
    const out = combineMiniBatchMetrics([
      { metrics: { a: 1, 'x/w_min': 0.5, 'x/w_max': 2, 'x/n': 3, 'x/raw_max': 10 }, reduce: { 'x/w_min': 'min' } },
      { metrics: { a: 3, 'x/w_min': 0.2, 'x/w_max': 1, 'x/n': 4, 'x/raw_max': 20, 'x/late': 7 }, reduce: {} },
      { metrics: { a: 5, 'x/w_min': 0.9, 'x/w_max': 6, 'x/n': 5, 'x/raw_max': 30 }, reduce: { 'x/w_max': 'max' } },
      { metrics: { a: 7, 'x/late': 9 }, reduce: { 'x/n': 'sum' } },
    ]);
    // a: (1+3+5+7)/4; w_min: min; w_max: max; n: 3+4+5; raw_max: a suffix alone means nothing, the mean;
    // late: the mean of the two mini-batches that reported it
    expect(out).toEqual({ a: 4, 'x/w_min': 0.2, 'x/w_max': 6, 'x/n': 12, 'x/raw_max': 20, 'x/late': 8 });
    // keys keep the order in which they first appeared (metrics.jsonl lines stay byte-identical)
    expect(Object.keys(out)).toEqual(['a', 'x/w_min', 'x/w_max', 'x/n', 'x/raw_max', 'x/late']);
  });
});

// Counts its calls and reports, per mini-batch, the mini-batch's position: hand-checkable reductions.
const calls = { policyLoss: 0, tokenWeights: 0, lossTerm: 0 };
defineRegularizer({
  name: 'test_counter',
  summary: 'counts its loss-hook calls (test only)',
  schema: z.object({}).strict(),
  create: () => ({
    policyLoss: (ctx, taped) => {
      calls.policyLoss += 1;
      const b = ctx.batch;
      const value = tf.tidy(() =>
        ppoClipTokenLoss(taped.logProbs, tf.tensor1d(b.oldLogProbs), tf.tensor1d(b.advantages), ctx),
      );
      const position = ctx.epoch * 10 + ctx.miniBatch; // epochs 0–1 × mini-batches 0–2
      return {
        value,
        actor: ppoClipStats(ctx.logProbs, b.oldLogProbs, b.advantages, b.mask, ctx),
        metrics: { calls: 1, first: position, last: position, mean_position: position },
        reduce: { calls: 'sum', first: 'min', last: 'max' },
      };
    },
    tokenWeights: (ctx) => {
      calls.tokenWeights += 1;
      return { value: new Float32Array(ctx.batch.mask.length).fill(1) };
    },
    lossTerm: () => {
      calls.lossTerm += 1;
      return { value: tf.scalar(0) };
    },
  }),
});

describe('the loss hooks in a training run (2 epochs × 3 mini-batches, 2 steps)', () => {
  it('run exactly once per mini-batch, and their metrics reduce as declared', async () => {
    const config = loadConfig('configs/quickstart.yaml', [
      'steps=2',
      'env.preset=open5',
      'rollout.prompts_per_step=3',
      'rollout.group_size=2',
      'grpo.epochs=2',
      'grpo.mini_batches=3',
      'eval.episodes=2',
      'regularizers=[{name: test_counter}]',
    ]);
    const dir = tempDir();
    await train(config, { runDir: dir, log: () => {} });
    expect(calls).toEqual({ policyLoss: 12, tokenWeights: 12, lossTerm: 12 });
    const rows = readJsonl(path.join(dir, 'metrics.jsonl'));
    for (const r of rows) {
      expect(r['test_counter/calls']).toBe(6);
      expect(r['test_counter/first']).toBe(0);
      expect(r['test_counter/last']).toBe(12);
      // (0 + 1 + 2 + 10 + 11 + 12) / 6
      expect(r['test_counter/mean_position']).toBe(6);
    }
  });
});

// Reads the current log-distribution (needsLogPolicy) and checks it against the tape's log-probs.
defineRegularizer({
  name: 'test_log_policy',
  summary: 'reads the current log-distribution (test only)',
  schema: z.object({}).strict(),
  needsLogPolicy: true,
  create: () => ({
    lossTerm: (ctx, taped) => {
      const A = ctx.batch.numActions;
      let gap = 0;
      for (let i = 0; i < ctx.batch.mask.length; i++)
        if (ctx.batch.mask[i])
          gap = Math.max(gap, Math.abs(ctx.logPolicy![i * A + ctx.batch.actions[i]] - ctx.logProbs[i]));
      const [n, a] = taped.logPolicy!.shape;
      return { value: tf.scalar(0), metrics: { gap, shape_ok: n === ctx.batch.mask.length && a === A ? 1 : 0 } };
    },
  }),
});
// Says whether its context holds the log-distribution.
defineRegularizer({
  name: 'test_sees_log_policy',
  summary: 'reports whether it was given the log-distribution (test only)',
  schema: z.object({}).strict(),
  create: () => ({
    lossTerm: (ctx, taped) => ({
      value: tf.scalar(0),
      metrics: { given: ctx.logPolicy && taped.logPolicy ? 1 : 0 },
    }),
  }),
});

describe('the log-distribution on the tape in a training run', () => {
  const rows = async (list: string) => {
    const dir = tempDir();
    const sets = [
      'steps=1',
      'env.preset=open5',
      'rollout.prompts_per_step=2',
      'eval.episodes=2',
      `regularizers=${list}`,
    ];
    await train(loadConfig('configs/quickstart.yaml', sets), { runDir: dir, log: () => {} });
    return readJsonl(path.join(dir, 'metrics.jsonl'))[0];
  };

  it('is the forward pass behind the log-probs, given only when an active definition asks for it', async () => {
    const asked = await rows('[{name: test_log_policy}, {name: test_sees_log_policy}]');
    expect(asked['test_log_policy/gap']).toBe(0);
    expect(asked['test_log_policy/shape_ok']).toBe(1);
    expect(asked['test_sees_log_policy/given']).toBe(1);
    expect((await rows('[{name: test_sees_log_policy}]'))['test_sees_log_policy/given']).toBe(0);
  });
});
