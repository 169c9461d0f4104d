// The README's example regularizer: a hand-computed penalty and gradient, then a real run.
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { aggregateLoss } from '../algorithms/grpo.ts';
import { entropyFloorPenalty } from '../algorithms/entropy-floor.ts';
import { selectBackend } from '../src/core/backend.ts';
import { loadConfig } from '../src/config/load.ts';
import { train } from '../src/train/trainer.ts';
import { readJsonl, tempDir } from './helpers.ts';

beforeAll(async () => {
  await selectBackend('cpu');
});

describe('entropy_floor', () => {
  it('penalises only tokens below the floor, token-mean over valid tokens', () => {
    const mask = Float32Array.of(1, 1, 1, 0);
    const aggregate = (t: tf.Tensor1D) => aggregateLoss(t, mask, 1, 4, 'token-mean');
    const entropy = tf.tensor1d([0.1, 0.5, 0.2, 0.0]);
    // floor 0.3: hinge = [0.2, 0, 0.1, (masked)] → mean over 3 valid = 0.1
    expect(entropyFloorPenalty(entropy, 0.3, aggregate).dataSync()[0]).toBeCloseTo(0.1, 6);
    // d/dH = −1/3 below the floor, 0 above it and on the masked token
    const grad = tf.grad((h: tf.Tensor) => entropyFloorPenalty(h as tf.Tensor1D, 0.3, aggregate))(entropy);
    const g = Array.from(grad.dataSync());
    expect(g[0]).toBeCloseTo(-1 / 3, 6);
    expect(Math.abs(g[1])).toBe(0);
    expect(g[2]).toBeCloseTo(-1 / 3, 6);
    expect(Math.abs(g[3])).toBe(0);
  });

  it('trains from its config and logs its metric', async () => {
    await selectBackend('wasm');
    const dir = tempDir();
    await train(loadConfig('configs/entropy-floor.yaml', ['steps=4']), { runDir: dir, progress: 'quiet', log: () => {} });
    const rows = readJsonl(path.join(dir, 'metrics.jsonl'));
    expect(rows).toHaveLength(4);
    for (const r of rows) {
      expect(r['entropy_floor/frac_below_floor']).toBeGreaterThanOrEqual(0);
      expect(r['entropy_floor/frac_below_floor']).toBeLessThanOrEqual(1);
    }
  });
});
