// The memory estimate against what a run really allocates: the weight count of the policies it
// builds, the hand-worked sizes of its rollout, and the budget it compares them with.

import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/base/rng.ts';
import { loadConfig } from '../../src/config/load.ts';
import { assertFits, estimateTrainMemory, type MemoryPart, policyShape } from '../../src/config/resource-estimate.ts';
import { makeEnvFactory, makePolicy } from '../../src/train/setup.ts';
import { train } from '../../src/train/trainer.ts';
import { tempDir } from '../helpers.ts';

const weightsOf = (file: string, sets: string[] = []) => {
  const config = loadConfig(file, ['init_from=', ...sets]);
  const env = makeEnvFactory(config)();
  const policy = makePolicy(config, env, new Rng('w'));
  const actual = policy.variables.reduce((n, v) => n + v.size, 0);
  policy.dispose();
  return { estimated: policyShape(config, env).params, actual };
};

describe('memory estimate', () => {
  it('counts the weights the policies really have (MLP and transformer, tied or not)', async () => {
    await tf.setBackend('cpu');
    // quickstart: 163 features → 64 → 64 → 4 actions = 10496 + 4160 + 260
    expect(weightsOf('configs/quickstart.yaml')).toEqual({ estimated: 14916, actual: 14916 });
    for (const sets of [[], ['policy.d_ff=96'], ['policy.tied_head=true']]) {
      const { estimated, actual } = weightsOf('configs/text-arithmetic.yaml', sets);
      // the tied head shares the embedding: the estimate counts it twice, a bound within 10%
      expect(estimated).toBeGreaterThanOrEqual(actual);
      expect(estimated).toBeLessThan(actual * 1.1);
    }
  });

  it('sizes the episodes and the update by P × G, the width and the actions', () => {
    const config = loadConfig('configs/quickstart.yaml', [
      'rollout.prompts_per_step=10',
      'rollout.group_size=3',
      'grpo.mini_batches=2',
    ]);
    const env = makeEnvFactory(config)();
    const parts = estimateTrainMemory(config, env);
    const find = (prefix: string) => parts.find((p) => p.what.startsWith(prefix))!;
    // 30 episodes × (2048 + 40 actions × 200) bytes on the heap; 30 × 40 × 163 features × 4 bytes beside it
    expect(find('30 episodes')).toMatchObject({
      bytes: 30 * (2048 + 40 * 200),
      pool: 'heap',
      keys: ['rollout.prompts_per_step', 'rollout.group_size'],
    });
    expect(find('the observations of 30 episodes').bytes).toBe(30 * 40 * 163 * 4);
    // 15 rows per mini-batch × 40 slots × (4 actions × 12 + 3 × 3 × (163 + 64 + 64 + 4) activations) floats
    expect(find('the update').bytes).toBe(15 * 40 * (4 * 12 + 3 * 3 * (163 + 64 + 64 + 4)) * 4);
    // more mini-batches shrink it: the key to raise, not to lower
    expect(find('the update').keys).not.toContain('grpo.mini_batches');
    expect(find('the update').raise).toEqual(['grpo.mini_batches']);
    // each episode's env instance holds the 9×9 grid (48 bytes a cell)
    expect(find('the env instances of 30 episodes')).toMatchObject({
      bytes: 30 * 81 * 48,
      keys: ['env.preset', 'rollout.prompts_per_step', 'rollout.group_size'],
    });
  });

  it('refuses only what overflows a pool, naming the largest part', () => {
    const parts: MemoryPart[] = [
      { what: 'small', keys: ['a'], bytes: 10, pool: 'heap' },
      { what: 'big', keys: ['b', 'c'], bytes: 80, pool: 'heap' },
      { what: 'tensors', keys: ['d'], bytes: 500, pool: 'tensors' },
    ];
    expect(() => assertFits(parts, { heap: 90, tensors: 500, source: 'test' })).not.toThrow();
    expect(() => assertFits(parts, { heap: 89, tensors: 500, source: 'test' })).toThrow(
      /0 MiB of JS heap.*\(test\); most of it \(0 MiB\) is big: lower b or c$/,
    );
    expect(() => assertFits(parts, { heap: 90, tensors: 499, source: 'test' })).toThrow(
      /of tensor memory.*is tensors: lower d$/,
    );
  });
});

describe('the estimate names the key that is too large', () => {
  // [what, config file, --set values, the key the one line must name first (after "lower")]
  const cases: [string, string[], RegExp][] = [
    [
      'a grid of 10^10 cells (refused before it is built)',
      ['env.preset=null', 'env.size=100000'],
      /env 'gridworld' needs about .* for one instance.*; lower env\.size$/,
    ],
    ['a grid of 10^8 cells', ['env.preset=null', 'env.size=[10000, 10000]'], /lower env\.size/],
    [
      'a grid whose observations overflow tensor memory',
      ['env.preset=null', 'env.size=[300, 300]', 'rollout.prompts_per_step=64'],
      /: lower env\.size or rollout\.prompts_per_step or rollout\.group_size/,
    ],
    ['a very deep MLP', [`policy.hidden=[${Array(3000).fill(512).join(',')}]`], /lower .*policy\.hidden/],
    [
      'a huge update',
      ['rollout.prompts_per_step=4096', 'rollout.group_size=512'],
      /lower rollout\.prompts_per_step or rollout\.group_size/,
    ],
  ];
  it.each(cases)(
    '%s',
    async (_what, sets, error) => {
      const dir = tempDir();
      const started = performance.now();
      const config = loadConfig('configs/quickstart.yaml', sets);
      await expect(train(config, { runDir: dir, backend: 'wasm', log: () => {} })).rejects.toThrow(error);
      expect(fs.readdirSync(dir)).toEqual([]);
      expect(performance.now() - started).toBeLessThan(20_000);
    },
    30_000,
  );

  it('says to raise grpo.mini_batches when the update is the largest part', () => {
    const parts: MemoryPart[] = [
      { what: 'the update', keys: ['a'], raise: ['grpo.mini_batches'], bytes: 100, pool: 'tensors' },
    ];
    expect(() => assertFits(parts, { heap: 1e9, tensors: 10, source: 'test' })).toThrow(
      /is the update: lower a, or raise grpo\.mini_batches$/,
    );
  });
});
