// rollout.workers > 1: rollouts sampled in worker threads, each group on its own streams, give the
// same metrics on every run and for every worker count above 1, resume exactly, and compute the
// very episodes (actions, log-probs, rewards) the in-process runEpisodes computes on those streams;
// bad values and what workers cannot run are one clear error naming rollout.workers.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { defineEnv, ENVS } from '../../envs/registry.ts';
import { selectBackend } from '../../src/backend/backend.ts';
import { UserError } from '../../src/base/errors.ts';
import { Rng } from '../../src/base/rng.ts';
import { loadConfig, parseConfig } from '../../src/config/load.ts';
import { loadPlugins } from '../../src/plugins/load-plugins.ts';
import { groupStreams } from '../../src/rollout/group-streams.ts';
import { type Episode, runEpisodes } from '../../src/rollout/rollout.ts';
import { RolloutWorkers, shardGroups, workerCountWarning } from '../../src/rollout/rollout-workers.ts';
import { createTrainingState } from '../../src/train/step.ts';
import { train } from '../../src/train/trainer.ts';
import { deterministicLines, stopAfter, tempDir, threeGroups } from '../helpers.ts';

const GRID = [
  'configs/quickstart.yaml',
  ['steps=3', 'rollout.prompts_per_step=5', 'rollout.group_size=4', 'eval.every=0', 'eval.episodes=4'],
] as const;
const TEXT = [
  'configs/text-guess-number.yaml',
  [
    'init_from=',
    'steps=2',
    'rollout.prompts_per_step=3',
    'rollout.group_size=3',
    'policy.d_model=32',
    'eval.every=0',
    'eval.episodes=3',
  ],
] as const;

beforeAll(async () => {
  await selectBackend('wasm');
});

async function metricsOf(file: string, overrides: readonly string[], workers: number, dir = tempDir()) {
  const config = loadConfig(file, [...overrides, `rollout.workers=${workers}`]);
  await train(config, { runDir: dir, log: () => {} });
  return deterministicLines(path.join(dir, 'metrics.jsonl'));
}

describe('splitting the groups over workers', () => {
  it('cuts contiguous runs of about equal episode counts, in group order', () => {
    const groups = [8, 8, 8, 8, 8].map((count, i) => ({ count, i }));
    expect(shardGroups(groups, 2).map((s) => s.map((g) => g.i))).toEqual([
      [0, 1],
      [2, 3, 4],
    ]);
    expect(shardGroups(groups, 5).map((s) => s.map((g) => g.i))).toEqual([[0], [1], [2], [3], [4]]);
    // more workers than groups: the extra ones get nothing
    expect(shardGroups(groups.slice(0, 2), 4).map((s) => s.map((g) => g.i))).toEqual([[], [0], [], [1]]);
    // one big group (an extra rollout of 24) weighs as much as three small ones
    const mixed = [8, 8, 8, 24].map((count, i) => ({ count, i }));
    expect(shardGroups(mixed, 2).map((s) => s.map((g) => g.i))).toEqual([[0, 1, 2], [3]]);
  });
});

describe('per-group streams', () => {
  it('are named by seed, step and group id, so no other group, step or seed shares them', () => {
    const draw = (seed: number, step: number, group: number) => {
      const s = groupStreams(seed, step, group);
      return [s.env.next(), s.sampling.next()];
    };
    const [env, sampling] = draw(7, 3, 2);
    expect(env).toBe(new Rng('entrolab:7:rollout:3:2:env').next());
    expect(sampling).toBe(new Rng('entrolab:7:rollout:3:2:sampling').next());
    expect(env).not.toBe(sampling);
    for (const other of [draw(7, 3, 1), draw(7, 4, 2), draw(8, 3, 2)]) expect(other).not.toEqual([env, sampling]);
  });
});

describe('rollout workers', () => {
  it('grid: two workers give the same metrics twice, three workers the same again, one worker other draws', async () => {
    const [file, overrides] = GRID;
    const first = await metricsOf(file, overrides, 2);
    expect(first).toHaveLength(3);
    expect(await metricsOf(file, overrides, 2)).toEqual(first);
    expect(await metricsOf(file, overrides, 3)).toEqual(first);
    // workers: 1 samples on the run's shared streams: equally valid, different draws
    expect(await metricsOf(file, overrides, 1)).not.toEqual(first);
  });

  it('grid: two workers stopped after 2 steps and resumed write what an uninterrupted run writes', async () => {
    const [file, overrides] = GRID;
    const config = loadConfig(file, [...overrides, 'steps=4', 'rollout.workers=2']);
    const whole = tempDir();
    await train(config, { runDir: whole, log: () => {} });
    const cut = tempDir();
    const stopped = await train(config, { runDir: cut, log: () => {}, ...stopAfter(2) });
    expect(stopped.interrupted).toBe(true);
    await train(config, { runDir: cut, resume: true, log: () => {} });
    expect(deterministicLines(path.join(cut, 'metrics.jsonl'))).toEqual(
      deterministicLines(path.join(whole, 'metrics.jsonl')),
    );
  });

  for (const [name, [file, overrides]] of Object.entries({ grid: GRID, text: TEXT })) {
    it(`${name}: the workers' episodes are the in-process runEpisodes' on the same per-group streams`, () => {
      const { config, envFactory, policy, groups } = threeGroups(file, [...overrides, 'rollout.workers=2'], 3, true);
      const step = 5;
      // in this process, shard by shard: the batch a sampler runs changes its logits in the last bit on
      // wasm (the transformer's), so the same episodes need the same shards
      const here = shardGroups(groups, 2).flatMap((shard) =>
        runEpisodes(
          envFactory,
          policy,
          shard,
          shard.map((g) => groupStreams(config.seed, step, g.groupId)),
          false,
          true,
        ),
      );
      const workers = new RolloutWorkers(config, policy, envFactory);
      let there: Episode[];
      try {
        there = workers.run(policy, groups, step, true);
      } finally {
        workers.close();
      }
      expect(there).toHaveLength(9);
      const plain = (e: Episode) => ({
        ...e,
        observations: e.observations.map((o) => Array.from(o)),
        sampleLogPolicy: e.sampleLogPolicy?.map((d) => Array.from(d)),
      });
      // exactly: the same JavaScript and kernels on the same backend, from the same weights and streams
      expect(there.map(plain)).toEqual(here.map(plain));
      expect(there.map((e) => e.groupId)).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2]);
      expect(there.every((e, i) => e.prompt === here[i].prompt)).toBe(true);
    });
  }

  it('text (transformer): two workers give the same metrics twice', async () => {
    const [file, overrides] = TEXT;
    const first = await metricsOf(file, overrides, 2);
    expect(first).toHaveLength(2);
    expect(await metricsOf(file, overrides, 2)).toEqual(first);
  });

  it('builds a plugin env in each worker: a plugin wrapping the gridworld gives the gridworld run', async () => {
    const dir = tempDir('entrolab-plugin-');
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    fs.writeFileSync(
      path.join(dir, 'grid-again.ts'),
      `import { isMainThread } from 'node:worker_threads';
import { defineEnv, ENVS, z } from 'entrolab';
const grid = ENVS.gridworld;
defineEnv({ name: 'test-worker-grid', summary: 'the gridworld again (test only)', schema: grid.schema,
  factory: (config: unknown) => grid.factory(config) });
// its episodes fail in a worker thread only (the main thread samples shard 0 itself)
defineEnv({ name: 'test-worker-broken', summary: 'a gridworld that fails in workers (test only)', schema: grid.schema,
  factory: (config: unknown) => () => {
    const env = grid.factory(config)();
    const reset = env.reset.bind(env);
    return Object.assign(env, { reset: (p: never, r: never) => { if (!isMainThread) throw new Error('boom'); reset(p, r); } });
  } });
`,
    );
    await loadPlugins([{ ref: './grid-again.ts', baseDir: dir, where: '--plugin' }]);
    const [file, overrides] = GRID;
    const builtIn = await metricsOf(file, overrides, 2);
    expect(await metricsOf(file, [...overrides, 'env.name=test-worker-grid'], 2)).toEqual(builtIn);
    // an env that throws in a worker fails the run with the worker's message (no hang), status failed
    const runDir = tempDir();
    const broken = loadConfig(file, [...overrides, 'env.name=test-worker-broken', 'rollout.workers=2']);
    await expect(train(broken, { runDir, log: () => {} })).rejects.toThrow(/^rollout worker 1: boom$/);
    expect(JSON.parse(fs.readFileSync(path.join(runDir, 'status.json'), 'utf8'))).toMatchObject({ state: 'failed' });
  });
});

describe('what rollout.workers warns about', () => {
  it('more sampling threads than cores', () => {
    expect(workerCountWarning(2, 2)).toBeUndefined();
    expect(workerCountWarning(3, 2)).toBe(
      'rollout.workers: 3 sampling threads on 2 cores; they take turns, and each worker adds its transfers',
    );
  });
});

describe('what rollout.workers refuses', () => {
  it('a count that is not a whole number from 1 to 64', () => {
    const message = (workers: unknown) => {
      try {
        parseConfig({ env: { name: 'gridworld' }, rollout: { workers } });
      } catch (e) {
        return (e as Error).message;
      }
      return 'accepted';
    };
    const allowed = 'allowed: an integer, >= 1, <= 64';
    expect(message(0)).toBe(`<config>: config key 'rollout.workers': got 0; ${allowed}`);
    expect(message(1.5)).toBe(`<config>: config key 'rollout.workers': expected int, got 1.5; ${allowed}`);
    expect(message(65)).toBe(`<config>: config key 'rollout.workers': got 65; ${allowed}`);
    expect(message('two')).toBe(`<config>: config key 'rollout.workers': expected number, got "two"; ${allowed}`);
    expect(message(64)).toBe('accepted');
  });

  it("ARPO's branching rollout, at the start of the run", () => {
    const config = loadConfig('configs/arpo.yaml', ['init_from=', 'policy.d_model=32', 'rollout.workers=2']);
    expect(() => createTrainingState(config, { log: () => {} })).toThrow(
      /^rollout\.workers: 2 threads cannot run 'arpo': its branching rollout runs in one thread; set rollout\.workers: 1$/,
    );
  });

  it('an env defined in this process but not by a plugin file', () => {
    if (!ENVS['test-inline-grid']) {
      const grid = ENVS.gridworld;
      defineEnv({
        name: 'test-inline-grid',
        summary: 'defined in the test itself',
        schema: grid.schema,
        factory: (c) => grid.factory(c),
      });
    }
    const [file, overrides] = GRID;
    const config = loadConfig(file, [...overrides, 'env.name=test-inline-grid', 'rollout.workers=2']);
    const error = (() => {
      try {
        createTrainingState(config, { log: () => {} });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toBe(
      "rollout.workers: env 'test-inline-grid' is not defined by a plugin file, so a worker cannot build it",
    );
  });
});
