// The README's example regularizer: the README section followed literally (its code is the file,
// the file registers the name, its config line trains), then a hand-computed penalty and gradient.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { entropyFloor, entropyFloorPenalty } from '../../algorithms/entropy-floor.ts';
import { aggregateLoss } from '../../algorithms/grpo.ts';
import { REGULARIZERS, registerRegularizer } from '../../algorithms/registry.ts';
import { selectBackend } from '../../src/backend/backend.ts';
import { loadConfig, parseConfig } from '../../src/config/load.ts';
import { train } from '../../src/train/trainer.ts';
import { readJsonl, tempDir } from '../helpers.ts';

beforeAll(async () => {
  await selectBackend('cpu');
});

/** The fenced blocks of the README's "Anatomy of a regularizer" section, by language. */
function readmeBlocks(): { ts: string[]; yaml: string[] } {
  const readme = fs.readFileSync('README.md', 'utf8');
  const start = readme.indexOf('## Anatomy of a regularizer');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  const blocks = (lang: string) =>
    [...section.matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, 'g'))].map((m) => m[1]);
  return { ts: blocks('ts'), yaml: blocks('yaml') };
}

describe('the README section "Anatomy of a regularizer"', () => {
  it('shows the whole file, which registers its name once', () => {
    const { ts } = readmeBlocks();
    expect(ts).toEqual([fs.readFileSync('algorithms/entropy-floor.ts', 'utf8')]);
    expect(REGULARIZERS.entropy_floor).toBe(entropyFloor);
    expect(() => registerRegularizer(entropyFloor)).toThrow(/already registered/);
  });

  it('its config line trains a few steps and logs the metric under the name', async () => {
    await selectBackend('wasm');
    const { yaml } = readmeBlocks();
    expect(yaml).toHaveLength(1);
    const base = loadConfig('configs/quickstart.yaml', [
      'steps=3',
      'env.preset=open5',
      'rollout.prompts_per_step=4',
      'eval.episodes=4',
    ]);
    const config = parseConfig({ ...base, ...YAML.parse(yaml[0]) });
    expect(config.regularizers).toEqual([{ name: 'entropy_floor', floor: 0.5, coef: 0.05 }]);
    const dir = tempDir();
    await train(config, { runDir: dir, log: () => {} });
    const rows = readJsonl(path.join(dir, 'metrics.jsonl'));
    expect(rows).toHaveLength(3);
    for (const r of rows) expect(r['entropy_floor/frac_below_floor']).toBeGreaterThanOrEqual(0);
  });
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
    await train(loadConfig('configs/entropy-floor.yaml', ['steps=4']), { runDir: dir, log: () => {} });
    const rows = readJsonl(path.join(dir, 'metrics.jsonl'));
    expect(rows).toHaveLength(4);
    for (const r of rows) {
      expect(r['entropy_floor/frac_below_floor']).toBeGreaterThanOrEqual(0);
      expect(r['entropy_floor/frac_below_floor']).toBeLessThanOrEqual(1);
    }
  });
});
