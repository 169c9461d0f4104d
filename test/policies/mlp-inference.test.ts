// The MLP's sampling path (mlp-inference.ts: weights read once, the sparse first layer and every
// bias add and ReLU in JavaScript, only the dense products on the backend) against the training
// forward pass it stands in for: the same logits bit for bit, so the same sampled actions,
// log-probs and entropies, for ReLU and tanh, sparse gridworld observations and dense ones, on
// wasm and cpu, while the rows shrink as episodes end.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { tokenStats } from '../../algorithms/grpo.ts';
import { Gridworld, gridworldSchema } from '../../envs/gridworld.ts';
import { Rng } from '../../src/base/rng.ts';
import { sparseRows } from '../../src/policies/input-matmul.ts';
import { MlpPolicy, mlpSchema } from '../../src/policies/mlp.ts';
import { observationRows } from '../../src/policies/mlp-inference.ts';

const rng = new Rng('mlp-inference');

/** Gridworld observations of `rows` random states (two or three ones in 2·cells + 1 features). */
function gridObservations(rows: number): Float32Array[] {
  const env = new Gridworld(gridworldSchema.parse({ size: 6 }));
  return Array.from({ length: rows }, () => {
    env.reset(env.samplePrompt(rng, 'train'), rng);
    for (let s = rng.int(4), done = false; s > 0 && !done; s--) done = env.step(rng.int(4)).done;
    return env.observe();
  });
}

const dense = (rows: number, size: number) =>
  Array.from({ length: rows }, () => Float32Array.from({ length: size }, () => rng.normal()));

/** The training pass's logits, log-probs and entropies of `observations` (taken actions all 1). */
function trainingPass(policy: MlpPolicy, observations: Float32Array[]) {
  const { inputs } = policy.encodeEpisodes(observations.map((o) => ({ observations: [o], actions: [1] })));
  const logits = policy.logits(inputs);
  const stats = tokenStats(logits, new Int32Array(observations.length).fill(1), 1);
  const out = [logits, stats.logProbs, stats.entropy].map((t) => t.dataSync() as Float32Array);
  tf.dispose([logits, stats.logProbs, stats.entropy, stats.logPolicy]);
  return out;
}

function samplingPass(policy: MlpPolicy, observations: Float32Array[]) {
  const session = policy.startSampling();
  const logits = session.nextLogits(
    observations.map((_, i) => i),
    observations,
  );
  session.dispose();
  const t = tf.tensor2d(logits, [observations.length, policy.numActions]);
  const stats = tokenStats(t, new Int32Array(observations.length).fill(1), 1);
  const out = [logits, stats.logProbs.dataSync() as Float32Array, stats.entropy.dataSync() as Float32Array];
  tf.dispose([t, stats.logProbs, stats.entropy, stats.logPolicy]);
  return out;
}

describe.each(['wasm', 'cpu'])('on %s', (backend) => {
  it.each([
    ['relu', 'grid', [64, 64]],
    ['tanh', 'grid', [32, 48, 16]],
    ['relu', 'dense', [24]],
    ['tanh', 'dense', [20, 20]],
  ] as const)('%s MLP, %s observations: the training pass bit for bit', async (activation, kind, hidden) => {
    await tf.setBackend(backend);
    const obsSize = kind === 'grid' ? 73 : 11;
    const config = mlpSchema.parse({ hidden, activation });
    const policy = new MlpPolicy(obsSize, 4, config, rng);
    // training moves the weights off their init, so the output layer's gain 0.01 does not hide a mismatch
    for (const v of policy.variables) v.assign(tf.randomNormal(v.shape, 0, 0.5, 'float32', rng.int(1e9)));
    for (const rows of [130, 17, 1]) {
      const observations = kind === 'grid' ? gridObservations(rows) : dense(rows, obsSize);
      const [logits, logProbs, entropy] = trainingPass(policy, observations);
      const [sampled, sampledLogProbs, sampledEntropy] = samplingPass(policy, observations);
      expect(Array.from(sampled)).toEqual(Array.from(logits));
      sampledLogProbs.forEach((lp, i) => expect(lp).toBeCloseTo(logProbs[i], 6));
      sampledEntropy.forEach((h, i) => expect(h).toBeCloseTo(entropy[i], 6));
      expect(Math.max(...entropy)).toBeGreaterThan(0.05); // not a degenerate, saturated policy
    }
    policy.dispose();
  });
});

it('observationRows: sparseRows of the stacked observations, null past the same density', () => {
  const observations = gridObservations(40);
  const stacked = new Float32Array(40 * 73);
  observations.forEach((o, i) => stacked.set(o, i * 73));
  expect(observationRows(observations, 73)).toEqual(sparseRows(stacked, 40, 73));
  const full = dense(5, 8);
  expect(observationRows(full, 8)).toBeNull();
  expect(observationRows([new Float32Array(8).fill(1), new Float32Array(8)], 8, 0.5)).not.toBeNull();
  expect(observationRows([new Float32Array(8).fill(1), Float32Array.of(1, 0, 0, 0, 0, 0, 0, 0)], 8, 0.5)).toBeNull();
});
