// Transformer policy: KV-cache sampling equals a full forward pass over the sampled sequences,
// padding does not change a row's logits, attention is causal, and nothing leaks.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { ArithmeticEnv, arithmeticSchema } from '../../envs/arithmetic.ts';
import type { Env } from '../../envs/env.ts';
import { GuessNumberEnv, guessNumberSchema } from '../../envs/guess-number.ts';
import { Rng } from '../../src/base/rng.ts';
import type { Policy, SamplingSession } from '../../src/policies/policy.ts';
import { TokenInputs, type TransformerPolicy, transformerPolicyDefinition } from '../../src/policies/transformer.ts';
import { filterLogits } from '../../src/policies/transformer-sampler.ts';
import { shapeFromConfig, transformerSchema } from '../../src/policies/transformer-weights.ts';
import { type Episode, runEpisodes } from '../../src/rollout/rollout.ts';

function makePolicy(env: Env, overrides: Record<string, unknown> = {}): TransformerPolicy {
  // a large init std so logits are far from uniform and any mismatch shows
  const config = transformerSchema.parse({
    layers: 2,
    d_model: 16,
    heads: 2,
    context: 48,
    init_std: 0.5,
    ...overrides,
  });
  return transformerPolicyDefinition.create(config, env, new Rng('transformer-test')) as TransformerPolicy;
}

/** Wraps a policy so every logits row its sampling session returns is recorded per episode. */
function recording(policy: TransformerPolicy): { policy: Policy; seen: Map<number, Float32Array[]> } {
  const seen = new Map<number, Float32Array[]>();
  const wrapped = Object.create(policy) as Policy;
  wrapped.startSampling = (n: number): SamplingSession => {
    const inner = policy.startSampling(n);
    return {
      nextLogits(ids, observations) {
        const out = inner.nextLogits(ids, observations);
        ids.forEach((id, i) => {
          if (!seen.has(id)) seen.set(id, []);
          seen.get(id)!.push(out.slice(i * policy.numActions, (i + 1) * policy.numActions));
        });
        return out;
      },
      dispose: () => inner.dispose(),
    };
  };
  return { policy: wrapped, seen };
}

function logSoftmax(row: ArrayLike<number>): number[] {
  const max = Math.max(...Array.from(row));
  const lse = max + Math.log(Array.from(row).reduce((s, x) => s + Math.exp(x - max), 0));
  return Array.from(row, (x) => x - lse);
}

/** Max |Δ log π| over all tokens of all slots between the cached session and a full forward pass. */
function cacheVersusFull(policy: TransformerPolicy, episodes: Episode[], seen: Map<number, Float32Array[]>): number {
  const { inputs, slots } = policy.encodeEpisodes(episodes);
  const full = policy.logits(inputs);
  const values = full.dataSync();
  full.dispose();
  const V = policy.numActions;
  let worst = 0;
  episodes.forEach((ep, r) => {
    const steps = seen.get(r)!;
    expect(steps.length).toBe(ep.actions.length);
    ep.actions.forEach((_, j) => {
      const at = (r * inputs.width + slots[r][j]) * V;
      const a = logSoftmax(values.subarray(at, at + V));
      const b = logSoftmax(steps[j]);
      for (let k = 0; k < V; k++) worst = Math.max(worst, Math.abs(a[k] - b[k]));
    });
  });
  return worst;
}

for (const backend of ['cpu', 'wasm']) {
  describe(`transformer on ${backend}`, () => {
    beforeAll(async () => {
      await tf.setBackend(backend);
      await tf.ready();
    });

    it('KV-cache sampling gives the log-probs of a full forward pass (single turn, ragged prompts)', () => {
      const envFactory = () => new ArithmeticEnv(arithmeticSchema.parse({ digits: 2 }));
      const policy = makePolicy(envFactory());
      const { policy: rec, seen } = recording(policy);
      const rng = new Rng('prompts');
      const env = envFactory();
      const groups = Array.from({ length: 6 }, (_, g) => ({
        prompt: env.samplePrompt(rng, 'train'),
        count: 2,
        groupId: g,
        temperature: 1,
        isExtra: false,
      }));
      const episodes = runEpisodes(envFactory, rec, groups, { env: new Rng('e'), sampling: new Rng('s') });
      // prompts of different lengths and answers that end at different steps
      expect(new Set(episodes.map((e) => e.observations[0].length)).size).toBeGreaterThan(1);
      expect(new Set(episodes.map((e) => e.actions.length)).size).toBeGreaterThan(1);
      expect(cacheVersusFull(policy, episodes, seen)).toBeLessThan(2e-4);
      policy.dispose();
    });

    it('KV-cache sampling matches across turns, with env feedback prefilled (multi-turn)', () => {
      const envFactory = () => new GuessNumberEnv(guessNumberSchema.parse({ max_number: 15, max_turns: 4 }));
      const policy = makePolicy(envFactory());
      const { policy: rec, seen } = recording(policy);
      const rng = new Rng('prompts');
      const env = envFactory();
      const groups = Array.from({ length: 4 }, (_, g) => ({
        prompt: env.samplePrompt(rng, 'train'),
        count: 3,
        groupId: g,
        temperature: 1,
        isExtra: false,
      }));
      const episodes = runEpisodes(envFactory, rec, groups, { env: new Rng('e'), sampling: new Rng('s') });
      expect(Math.max(...episodes.map((e) => e.turns))).toBeGreaterThan(1);
      expect(cacheVersusFull(policy, episodes, seen)).toBeLessThan(2e-4);
      policy.dispose();
    });

    it('a wrong cache would be caught: shifting positions changes the logits', () => {
      const env = new ArithmeticEnv(arithmeticSchema.parse({}));
      const policy = makePolicy(env);
      const a = policy.forward(Int32Array.from([1, 5, 6, 14, 7, 3]), 1, 6);
      const b = policy.forward(Int32Array.from([1, 1, 5, 6, 14, 7, 3]), 1, 7);
      const last = (t: tf.Tensor2D, len: number) =>
        Array.from(t.dataSync().slice((len - 1) * policy.numActions, len * policy.numActions));
      const diff = Math.max(...last(a, 6).map((x, i) => Math.abs(x - last(b, 7)[i])));
      expect(diff).toBeGreaterThan(1e-3);
      a.dispose();
      b.dispose();
      policy.dispose();
    });

    it('padded and unpadded batches agree, and attention is causal', () => {
      const env = new ArithmeticEnv(arithmeticSchema.parse({}));
      const policy = makePolicy(env);
      const V = policy.numActions;
      const short = [1, 5, 6, 14, 7, 3, 9];
      const long = [1, 4, 4, 15, 12, 10, 11, 3, 8, 8];
      const alone = policy.logits(new TokenInputs(1, short.length, Int32Array.from(short)));
      const batch = new Int32Array(2 * long.length);
      batch.set(long, 0);
      batch.set(short, long.length); // right-padded with PAD = 0
      const padded = policy.logits(new TokenInputs(2, long.length, batch));
      const a = alone.dataSync();
      const b = padded.dataSync().slice(long.length * V, (long.length + short.length) * V);
      let worst = 0;
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
      expect(worst).toBeLessThan(1e-5);
      // changing the last token leaves every earlier position's logits unchanged
      const changed = policy.logits(new TokenInputs(1, short.length, Int32Array.from([...short.slice(0, -1), 12])));
      const c = changed.dataSync();
      for (let i = 0; i < (short.length - 1) * V; i++) expect(Math.abs(c[i] - a[i])).toBeLessThan(1e-6);
      expect(Math.abs(c[c.length - 1] - a[a.length - 1])).toBeGreaterThan(0);
      [alone, padded, changed].forEach((t) => t.dispose());
      policy.dispose();
    });

    it('tied head, snapshot and restore keep the logits; sampling and gradients do not leak', () => {
      const envFactory = () => new ArithmeticEnv(arithmeticSchema.parse({ digits: 1 }));
      const env = envFactory();
      const policy = makePolicy(env, { tied_head: true });
      expect(policy.variables.length).toBe(2 + 2 * 12 + 2);
      const copy = policy.snapshot();
      const restored = transformerPolicyDefinition.restore!(
        transformerSchema.parse({}),
        env,
        JSON.parse(JSON.stringify(policy.describe())),
        new Rng('x'),
      ) as TransformerPolicy;
      expect(restored.shape).toEqual(
        shapeFromConfig(
          transformerSchema.parse({ layers: 2, d_model: 16, heads: 2, context: 48, tied_head: true }),
          env.numActions,
        ),
      );
      const ids = Int32Array.from([1, 5, 14, 6, 3]);
      const x = policy.forward(ids, 1, 5);
      const y = copy.forward(ids, 1, 5);
      expect(Array.from(y.dataSync())).toEqual(Array.from(x.dataSync()));
      [x, y].forEach((t) => t.dispose());
      const before = tf.memory().numTensors;
      const rng = new Rng('p');
      const groups = [{ prompt: env.samplePrompt(rng, 'train'), count: 4, groupId: 0, temperature: 1, isExtra: false }];
      const episodes = runEpisodes(envFactory, policy, groups, { env: new Rng('e'), sampling: new Rng('s') });
      const { inputs } = policy.encodeEpisodes(episodes);
      const { value, grads } = tf.variableGrads(() => tf.mean(policy.logits(inputs)) as tf.Scalar, policy.variables);
      expect(Object.keys(grads).length).toBe(policy.variables.length);
      value.dispose();
      Object.values(grads).forEach((g) => g.dispose());
      expect(tf.memory().numTensors).toBe(before);
      [policy, copy, restored].forEach((p) => p.dispose());
    });
  });
}

describe('transformer config checks', () => {
  it('rejects a context shorter than the env dialogues, and d_model not divisible by heads', async () => {
    await tf.setBackend('cpu');
    const env = new GuessNumberEnv(guessNumberSchema.parse({}));
    expect(() =>
      transformerPolicyDefinition.create(transformerSchema.parse({ context: 16 }), env, new Rng('x')),
    ).toThrow(/dialogues reach 30 tokens; raise policy.context/);
    expect(() => transformerSchema.parse({ d_model: 30, heads: 4 })).toThrow(/multiple of heads/);
  });
});

describe('top-k / top-p sampling filters', () => {
  it('keep the k most likely tokens, or the smallest nucleus reaching p', () => {
    const kept = (row: number[], k: number, p: number) =>
      Array.from(filterLogits(Float32Array.from(row), row.length, k, p), (x, i) => (x === -Infinity ? -1 : i)).filter(
        (i) => i >= 0,
      );
    expect(kept([3, 1, 2, 0], 2, 1)).toEqual([0, 2]);
    expect(kept([3, 1, 2, 0], 0, 1)).toEqual([0, 1, 2, 3]);
    const logProbs = [0.5, 0.3, 0.15, 0.05].map(Math.log);
    expect(kept(logProbs, 0, 0.7)).toEqual([0, 1]);
    expect(kept(logProbs, 0, 0.5)).toEqual([0]);
    expect(kept(logProbs, 0, 0.96)).toEqual([0, 1, 2, 3]);
    expect(kept(logProbs, 2, 0.96)).toEqual([0, 1]);
    // two rows are filtered independently
    expect(Array.from(filterLogits(Float32Array.from([1, 2, 5, 0]), 2, 1, 1))).toEqual([-Infinity, 2, 5, -Infinity]);
  });

  it('top_k = 1 sampling reproduces greedy decoding', async () => {
    await tf.setBackend('cpu');
    const envFactory = () => new ArithmeticEnv(arithmeticSchema.parse({ digits: 2 }));
    const env = envFactory();
    const config = { layers: 1, d_model: 16, heads: 2, context: 16, init_std: 0.5 };
    const greedyPolicy = transformerPolicyDefinition.create(transformerSchema.parse(config), env, new Rng('w'));
    const topOne = transformerPolicyDefinition.create(
      transformerSchema.parse({ ...config, top_k: 1 }),
      env,
      new Rng('w'),
    );
    const rng = new Rng('p');
    const groups = Array.from({ length: 4 }, (_, g) => ({
      prompt: env.samplePrompt(rng, 'test'),
      count: 2,
      groupId: g,
      temperature: 1,
      isExtra: false,
    }));
    const greedy = runEpisodes(envFactory, greedyPolicy, groups, { env: new Rng('e'), sampling: new Rng('s') }, true);
    const sampled = runEpisodes(envFactory, topOne, groups, { env: new Rng('e'), sampling: new Rng('s') });
    expect(sampled.map((e) => e.actions)).toEqual(greedy.map((e) => e.actions));
    [greedyPolicy, topOne].forEach((p) => p.dispose());
  });
});
