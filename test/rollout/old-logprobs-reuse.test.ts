// rollout.recompute_old_logprobs: false — π_old's log-probs, entropies and distributions taken from
// the sampler's own logits agree with the separate no-grad pass (the same weights, float error only);
// rows sampled at another temperature still get the pass at the training temperature.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/backend.ts';
import type { Batch } from '../../src/base/batch.ts';
import { Rng } from '../../src/base/rng.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { Policy } from '../../src/policies/policy.ts';
import { buildBatch, type GroupRequest, runEpisodes } from '../../src/rollout/rollout.ts';
import { makeEnvFactory, makePolicy } from '../../src/train/setup.ts';
import { train } from '../../src/train/trainer.ts';
import { readJsonl, tempDir } from '../helpers.ts';

const GRID = ['configs/quickstart.yaml', ['env.preset=open5', 'rollout.prompts_per_step=4']] as const;
const TEXT = [
  'configs/text-guess-number.yaml',
  ['init_from=', 'rollout.prompts_per_step=4', 'rollout.group_size=4', 'policy.d_model=32', 'eval.episodes=4'],
] as const;

beforeAll(async () => {
  await selectBackend('wasm');
});

/** The policy with its batched forward pass counted. */
function counted(policy: Policy): { policy: Policy; passes: () => number } {
  let n = 0;
  const spy = Object.create(policy) as Policy;
  spy.logits = (...args: Parameters<Policy['logits']>) => {
    n += 1;
    return policy.logits(...args);
  };
  return { policy: spy, passes: () => n };
}

function maxGap(a: Batch, b: Batch): { logProbs: number; entropy: number; logPolicy: number } {
  const gap = { logProbs: 0, entropy: 0, logPolicy: 0 };
  const A = a.numActions;
  for (let s = 0; s < a.mask.length; s++) {
    if (!a.mask[s]) continue;
    gap.logProbs = Math.max(gap.logProbs, Math.abs(a.oldLogProbs[s] - b.oldLogProbs[s]));
    gap.entropy = Math.max(gap.entropy, Math.abs(a.oldEntropy[s] - b.oldEntropy[s]));
    for (let k = s * A; k < (s + 1) * A; k++) {
      gap.logPolicy = Math.max(gap.logPolicy, Math.abs(a.oldLogPolicy![k] - b.oldLogPolicy![k]));
    }
  }
  return gap;
}

function rollout(file: string, overrides: readonly string[], temperatures: number[]) {
  const config = loadConfig(file, [...overrides]);
  const envFactory = makeEnvFactory(config);
  const probe = envFactory();
  const policy = makePolicy(config, probe, new Rng('init'));
  const prompts = new Rng('prompts');
  const groups: GroupRequest[] = temperatures.map((temperature, i) => {
    const prompt = probe.samplePrompt(prompts, 'train');
    return { prompt, count: 4, groupId: i, temperature, isExtra: i > 0 && temperature !== temperatures[0] };
  });
  const rngs = { env: new Rng('env'), sampling: new Rng('sampling') };
  const episodes = runEpisodes(envFactory, policy, groups, rngs, false, true);
  return { policy, episodes };
}

describe('reusing the sampler log-probs as π_old', () => {
  for (const [name, [file, overrides]] of Object.entries({ grid: GRID, text: TEXT })) {
    for (const T of [1, 0.7]) {
      it(`${name}, T = ${T}: equals the old pass within 1e-5, without running it`, () => {
        const { policy, episodes } = rollout(file, overrides, [T, T, T]);
        const spy = counted(policy);
        const reused = buildBatch(spy.policy, episodes, T, true, true);
        expect(spy.passes()).toBe(0);
        const recomputed = buildBatch(spy.policy, episodes, T, true, false);
        expect(spy.passes()).toBe(1);
        const gap = maxGap(reused, recomputed);
        expect(gap.logProbs).toBeLessThan(1e-5);
        expect(gap.entropy).toBeLessThan(1e-5);
        expect(gap.logPolicy).toBeLessThan(1e-5);
        // and the entropies are real ones: > 0 and ≤ log |A|
        for (let s = 0; s < reused.mask.length; s++) {
          if (reused.mask[s]) expect(reused.oldEntropy[s]).toBeGreaterThan(0);
          expect(reused.oldEntropy[s]).toBeLessThanOrEqual(Math.log(reused.numActions) + 1e-6);
        }
        policy.dispose();
      });
    }
  }

  it('rows sampled at another temperature (extra rollouts) get the pass at the training temperature', () => {
    const { policy, episodes } = rollout(...GRID, [1, 2]);
    const spy = counted(policy);
    const mixed = buildBatch(spy.policy, episodes, 1, true, true);
    expect(spy.passes()).toBe(1);
    const recomputed = buildBatch(spy.policy, episodes, 1, true, false);
    expect(Array.from(mixed.oldLogProbs)).toEqual(Array.from(recomputed.oldLogProbs));
    expect(Array.from(mixed.oldLogPolicy!)).toEqual(Array.from(recomputed.oldLogPolicy!));
    policy.dispose();
  });

  it('trains either way to the same first step, within float error', async () => {
    const rows = async (recompute: boolean) => {
      const dir = tempDir();
      const config = loadConfig(GRID[0], [...GRID[1], 'steps=3', `rollout.recompute_old_logprobs=${recompute}`]);
      await train(config, { runDir: dir, log: () => {} });
      return readJsonl(path.join(dir, 'metrics.jsonl'));
    };
    const [reuse, recompute] = [await rows(false), await rows(true)];
    expect(reuse).toHaveLength(3);
    expect(reuse[0]['rollout/logprob_diff_max']).toBe(0);
    for (const key of ['entropy/rollout', 'actor/pg_loss', 'entropy/measured_delta', 'critic/score/mean']) {
      expect(Math.abs(reuse[0][key] - recompute[0][key])).toBeLessThan(1e-5);
    }
  }, 60_000);
});
