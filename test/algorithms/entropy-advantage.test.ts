// entropy_advantage (arXiv 2506.14758): the hand-worked ψ = min(α·H, |A|/κ) values, the sign and
// zero rules, the prepareBatch hook, and α = 0 training exactly like the run without it.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { entropyAdvantageSchema, entropyShapedAdvantages } from '../../algorithms/entropy-advantage.ts';
import { selectBackend } from '../../src/backend/backend.ts';
import { loadConfig } from '../../src/config/load.ts';
import { train } from '../../src/train/trainer.ts';
import { readJsonl, tempDir } from '../helpers.ts';

beforeAll(async () => {
  await selectBackend('wasm');
});

const config = entropyAdvantageSchema.parse({});

describe('entropy-shaped advantages', () => {
  it('α = 0.4, κ = 2: A 0.8 / H 1.5 → 1.2; A −0.8 / H 0.5 → −0.6; A 0 → 0', () => {
    const out = entropyShapedAdvantages([0.8, -0.8, 0, 5], [1.5, 0.5, 1, 1], [1, 1, 1, 0], config);
    expect(Array.from(out.advantages).map((a) => +a.toFixed(6))).toEqual([1.2, -0.6, 0, 5]);
    expect(out.metrics.psi_mean).toBeCloseTo((0.4 + 0.2 + 0) / 3, 6);
    // the cap |A|/κ binds on the first token (0.4 < 0.6) and on the A = 0 one (0 < 0.4)
    expect(out.metrics.cap_binds_frac).toBeCloseTo(2 / 3, 12);
  });
  it('never flips a sign, whatever the entropy', () => {
    const a = [-3, -0.01, 0.01, 2];
    const out = entropyShapedAdvantages(a, [50, 50, 50, 50], [1, 1, 1, 1], { alpha: 10, kappa: 1.01 });
    out.advantages.forEach((x, k) => expect(Math.sign(x)).toBe(Math.sign(a[k])));
  });
  it('rejects κ ≤ 1', () => {
    expect(entropyAdvantageSchema.safeParse({ kappa: 1 }).success).toBe(false);
  });
});

describe('in training', () => {
  const overrides = ['steps=3', 'rollout.prompts_per_step=4', 'eval.episodes=2'];
  const withoutOwn = (file: string) =>
    readJsonl(file).map((r) =>
      JSON.stringify(Object.fromEntries(Object.entries(r).filter(([k]) => !/^(perf|entropy_advantage)\//.test(k)))),
    );
  it('α = 0 trains bit for bit like plain GRPO (negative control)', async () => {
    const plain = tempDir();
    const zero = tempDir();
    await train(loadConfig('configs/rloo.yaml', overrides), { runDir: plain, log: () => {} });
    await train(loadConfig('configs/rloo.yaml', [...overrides, 'regularizers=[{name: entropy_advantage, alpha: 0}]']), {
      runDir: zero,
      log: () => {},
    });
    expect(withoutOwn(path.join(zero, 'metrics.jsonl'))).toEqual(withoutOwn(path.join(plain, 'metrics.jsonl')));
  }, 60_000);
  it('configs/entropy-advantage.yaml learns the 5×5 gridworld and reports ψ', async () => {
    const dir = tempDir();
    await train(
      loadConfig('configs/entropy-advantage.yaml', ['steps=20', 'rollout.prompts_per_step=8', 'eval.episodes=4']),
      {
        runDir: dir,
        log: () => {},
      },
    );
    const rows = readJsonl(path.join(dir, 'metrics.jsonl'));
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean(rows.slice(-5).map((r) => r.success_rate))).toBeGreaterThan(
      mean(rows.slice(0, 3).map((r) => r.success_rate)) + 0.15,
    );
    expect(rows.at(-1)!['entropy_advantage/psi_mean']).toBeGreaterThan(0);
  }, 120_000);
});
