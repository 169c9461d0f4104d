// The environment contract's registration: defineEnv names an env once, refuses a taken name, its
// strict schema validates the config block, and its estimate reaches the memory estimate.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineEnv, ENVS } from '../../envs/env.ts';
import { gridworldDefinition } from '../../envs/gridworld.ts';
import '../../envs/registry.ts';
import { loadConfig, parseConfig } from '../../src/config/load.ts';
import { estimateTrainMemory } from '../../src/config/resource-estimate.ts';
import { makeEnvFactory } from '../../src/train/setup.ts';

// A gridworld under another name whose instances say they hold 1000 bytes more than an episode record.
const heavyGrid = defineEnv({
  name: 'test-heavy-grid',
  summary: 'the open 5×5 gridworld, reporting 1000 bytes per instance (test only)',
  schema: z.object({ bytes: z.number().int().min(0).default(1000) }).strict(),
  factory: () => gridworldDefinition.factory(gridworldDefinition.schema.parse({})),
  estimate: (config) => ({ instanceBytes: config.bytes }),
});

describe('defineEnv', () => {
  it('registers under the name written once; a taken name is refused', () => {
    expect(ENVS['test-heavy-grid']).toBe(heavyGrid);
    expect(Object.keys(ENVS).slice(0, 5)).toEqual([
      'gridworld',
      'arithmetic',
      'string-transform',
      'constrained-words',
      'guess-number',
    ]);
    expect(() => defineEnv({ ...heavyGrid })).toThrow("env 'test-heavy-grid' is already registered");
    expect(() => defineEnv({ ...gridworldDefinition })).toThrow("env 'gridworld' is already registered");
  });

  it("validates the block with the definition's strict schema; an inherited name is unknown", () => {
    const config = parseConfig({ env: { name: 'test-heavy-grid' } });
    expect(config.env).toEqual({ name: 'test-heavy-grid', bytes: 1000 });
    expect(() => parseConfig({ env: { name: 'test-heavy-grid', byts: 3 } })).toThrow(
      "config key 'env.byts' does not exist; did you mean 'env.bytes'?",
    );
    expect(() => parseConfig({ env: { name: 'constructor' } })).toThrow("unknown env 'constructor'");
  });

  it('adds what an instance holds to every episode on the heap', () => {
    const sets = ['rollout.prompts_per_step=10', 'rollout.group_size=3'];
    const heavy = loadConfig('configs/quickstart.yaml', [...sets, 'env={name: test-heavy-grid, bytes: 1000}']);
    const env = makeEnvFactory(heavy)();
    const parts = estimateTrainMemory(heavy, env);
    const episodes = parts.find((p) => p.what.startsWith('30 episodes'))!;
    const instances = parts.find((p) => p.what.startsWith('the env instances of 30 episodes'))!;
    // the open 5×5 grid caps an episode at 16 actions: 30 episodes × (2048 record + 16 × 200) bytes,
    // and beside them 30 env instances × 1000 bytes
    expect(env.maxTokens).toBe(16);
    expect(episodes.bytes).toBe(30 * (2048 + 16 * 200));
    expect(instances).toMatchObject({ bytes: 30 * 1000, pool: 'heap' });
  });
});
