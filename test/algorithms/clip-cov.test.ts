// Clip-Cov against verl `compute_policy_loss_clip_cov` (docs/bonus-clipcov-klcov-loss.md): selection
// (eligibility, strict bounds, k rule, seeded random subset), loss values and gradients worked by
// hand, metrics, and a short training run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClipCov, type ClipCovConfig, clipCovSchema, selectClipCov } from '../../algorithms/clip-cov.ts';
import type { StepInfo } from '../../algorithms/regularizer.ts';
import { Rng } from '../../src/base/rng.ts';
import { loadConfig } from '../../src/config/load.ts';
import { grpoSchema } from '../../src/config/schema.ts';
import { composeLoss } from '../../src/core/update.ts';
import { parseLossBatch } from '../../src/loss/loss-batch.ts';
import { train } from '../../src/train/trainer.ts';
import { active } from '../helpers.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'entrolab-clip-cov-'));
beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const config = (over: Partial<ClipCovConfig> = {}): ClipCovConfig => clipCovSchema.parse(over);
const info = (seed = 'test'): StepInfo => ({
  step: 0,
  totalSteps: 1,
  rng: new Rng(seed),
  promptsPerStep: 1,
  groupSize: 2,
});

// The hand example (also the worked example of docs/bonus-clipcov-klcov-loss.md). N = 5 valid tokens.
//   Ā = (3·2 − 2·3)/5 = 0, L̄P = −10/5 = −2, so cov = A·(lp + 2) = [2, 3, −4, 6, −4.5]
//   (0,1): ρ = e^0.4 ≈ 1.49 > 1.2 with A > 0 → PPO-clipped, never eligible
//   (1,0): cov 6 ≥ ω_hi = 5 → not eligible (the upper bound drops outliers)
//   eligible = {(0,0)}; k = max(⌊2e-4·5⌋, 1) = 1 → chosen = {(0,0)}
const HAND = {
  log_probs: [
    [-1, -0.5, -4],
    [-4, -0.5, 0],
  ],
  old_log_probs: [
    [-1, -0.9, -4],
    [-4, -2, 0],
  ],
  advantages: [
    [2, 2, 2],
    [-3, -3, 0],
  ],
  mask: [
    [1, 1, 1],
    [1, 1, 0],
  ],
};

function runCompose(doc: object, reg: ClipCov, grpoOver: object = {}) {
  const input = parseLossBatch(doc, 'test');
  const metrics: Record<string, number> = {};
  let tokenLoss: Float32Array = new Float32Array(0);
  const lp = tf.tensor1d(input.logProbs);
  const ent = tf.tensor1d(input.entropy);
  const grpo = grpoSchema.parse(grpoOver);
  let loss = 0;
  const grad = tf.grad((x: tf.Tensor) => {
    const step = info();
    const out = composeLoss({
      logProbs: x as tf.Tensor1D,
      entropy: ent,
      batch: input.batch,
      regularizers: [active('clip_cov', reg, step.rng)],
      grpo,
      step,
      position: { epoch: 0, miniBatch: 0 },
      inspect: (t) => {
        tokenLoss = t.dataSync() as Float32Array;
      },
    });
    Object.assign(metrics, out.metrics);
    loss = out.loss.dataSync()[0];
    return out.loss;
  })(lp);
  const out = { loss, tokenLoss, grad: grad.dataSync() as Float32Array, metrics };
  tf.dispose([lp, ent, grad]);
  return out;
}

describe('Clip-Cov selection', () => {
  const flat = (rows: number[][]) => rows.flat();

  it('the hand example: eligible and chosen sets, exactly', () => {
    const sel = selectClipCov(
      {
        logProbs: flat(HAND.log_probs),
        oldLogProbs: flat(HAND.old_log_probs),
        advantages: flat(HAND.advantages),
        mask: flat(HAND.mask),
        clipRatioLow: 0.2,
        clipRatioHigh: 0.2,
      },
      config(),
      new Rng('x'),
    );
    expect(sel.eligible).toEqual([0]);
    expect(sel.chosen).toEqual([0]);
    expect(sel.ppoClipped).toBe(1);
    expect(sel.valid).toBe(5);
    expect(sel.covMean).toBeCloseTo(0.5, 12); // (2 + 3 − 4 + 6 − 4.5)/5
    expect(Array.from(sel.keep)).toEqual([0, 1, 1, 1, 1, 1]);
  });

  it('bounds are strict: cov exactly ω_lo or ω_hi is not eligible', () => {
    // A = [1, 1, −1, −1] (Ā = 0), lp = −8 + [1, 5, −1, −5] (L̄P = −8) → cov = [1, 5, 1, 5], all exact
    const lp = [-7, -3, -9, -13];
    const x = {
      logProbs: lp,
      oldLogProbs: lp,
      advantages: [1, 1, -1, -1],
      mask: [1, 1, 1, 1],
      clipRatioLow: 0.2,
      clipRatioHigh: 0.2,
    };
    expect(selectClipCov(x, config({ ratio: 1 }), new Rng('x')).eligible).toEqual([]);
    expect(selectClipCov(x, config({ ratio: 1, lower_bound: 0.5 }), new Rng('x')).eligible).toEqual([0, 2]);
    expect(selectClipCov(x, config({ ratio: 1, lower_bound: 0.5, upper_bound: 5.5 }), new Rng('x')).chosen).toEqual([
      0, 1, 2, 3,
    ]);
  });

  // N valid tokens, all eligible (wide bounds), cov = (A − Ā)(lp − L̄P) > 0 everywhere but one
  function wide(n: number, padded = 0, garbage = 0) {
    const half = n / 2;
    const lp = Array.from({ length: n + padded }, (_, i) =>
      i < n ? (i < half ? -1 - i * 0.01 : -3 - i * 0.01) : garbage,
    );
    const adv = Array.from({ length: n + padded }, (_, i) => (i < n ? (i < half ? 1 : -1) : garbage));
    const mask = Array.from({ length: n + padded }, (_, i) => (i < n ? 1 : 0));
    return {
      logProbs: lp,
      oldLogProbs: lp.map((v, i) => (i < n ? v : -garbage)),
      advantages: adv,
      mask,
      clipRatioLow: 0.2,
      clipRatioHigh: 0.2,
    };
  }
  const all = (ratio: number) => config({ ratio, lower_bound: -1e9, upper_bound: 1e9 });

  it('k = min(max(⌊r·N⌋, 1), |eligible|), the floor taken on the double product as verl does', () => {
    expect(selectClipCov(wide(40), all(2e-4), new Rng('a')).chosen).toHaveLength(1);
    expect(selectClipCov(wide(40), all(0), new Rng('a')).chosen).toHaveLength(1);
    expect(selectClipCov(wide(40), all(0.25), new Rng('a')).chosen).toHaveLength(10);
    expect(selectClipCov(wide(100), all(0.29), new Rng('a')).chosen).toHaveLength(28); // 0.29·100 = 28.999…
    const narrow = selectClipCov(wide(40), config({ ratio: 0.5, lower_bound: 1.15, upper_bound: 1e9 }), new Rng('a'));
    expect(narrow.chosen).toEqual(narrow.eligible); // fewer eligible than k: all of them
  });

  it('is reproducible from the seed and depends on nothing but the seed and the valid tokens', () => {
    const base = selectClipCov(wide(40), all(0.25), new Rng('seed-1')).chosen;
    expect(selectClipCov(wide(40), all(0.25), new Rng('seed-1')).chosen).toEqual(base);
    // padded slots with garbage values change nothing
    expect(selectClipCov(wide(40, 7, 123.5), all(0.25), new Rng('seed-1')).chosen).toEqual(base);
    expect(selectClipCov(wide(40), all(0.25), new Rng('seed-2')).chosen).not.toEqual(base);
    expect([...base].sort((a, b) => a - b)).toEqual(base);
    expect(new Set(base).size).toBe(10);
  });

  it('draws nothing from the stream when every eligible token is chosen', () => {
    const rng = new Rng('s');
    const before = JSON.stringify(rng.state());
    selectClipCov(wide(40), config({ ratio: 1, lower_bound: -1e9, upper_bound: 1e9 }), rng);
    expect(JSON.stringify(rng.state())).toBe(before);
  });

  it('is a uniform subset: each of 4 eligible tokens is chosen about half the time when k = 2', () => {
    const counts = [0, 0, 0, 0];
    const trials = 4000;
    const rng = new Rng('uniform');
    for (let t = 0; t < trials; t++) for (const i of selectClipCov(wide(4), all(0.5), rng).chosen) counts[i] += 1;
    for (const c of counts) expect(Math.abs(c / trials - 0.5)).toBeLessThan(0.03);
  });
});

describe('Clip-Cov loss through composeLoss (token-mean)', () => {
  it('the hand example: values, gradients and metrics', () => {
    const out = runCompose(HAND, new ClipCov(config()));
    const e15 = Math.exp(1.5);
    // ℓ: chosen (0,0) → 0; (0,1) clipped → −2·1.2; (0,2) → −2; (1,0) → 3; (1,1) → 3e^1.5 (no dual clip:
    // vanilla would cap it at c·|A| = 9)
    const expected = [0, -2.4, -2, 3, 3 * e15, 0];
    expect(
      Array.from(out.tokenLoss.slice(0, 5)).map(
        (v, i) => Math.abs(v - expected[i]) < 1e-5 * Math.max(1, Math.abs(expected[i])),
      ),
    ).toEqual([true, true, true, true, true]);
    expect(out.loss).toBeCloseTo((-2.4 - 2 + 3 + 3 * e15) / 5, 5);
    // gradient: selected token exactly 0, PPO-clipped 0, the others −A·ρ / N
    // exactly zero (±0: the −A factor carries the sign)
    expect(Math.abs(out.grad[0])).toBe(0);
    expect(Math.abs(out.grad[1])).toBe(0);
    expect(out.grad[2]).toBeCloseTo(-2 / 5, 6);
    expect(out.grad[3]).toBeCloseTo(3 / 5, 6);
    expect(out.grad[4]).toBeCloseTo((3 * e15) / 5, 5);
    expect(Math.abs(out.grad[5])).toBe(0);
    expect(out.metrics['actor/pg_clipfrac']).toBeCloseTo(0.2, 12);
    expect(out.metrics['clip_cov/frac']).toBeCloseTo(0.2, 12);
    expect(out.metrics['clip_cov/eligible_frac']).toBeCloseTo(0.2, 12);
    expect(out.metrics['clip_cov/ppo_clipfrac']).toBeCloseTo(0.2, 12);
    expect(out.metrics['clip_cov/cov_mean']).toBeCloseTo(0.5, 6);
    expect(out.metrics['actor/ppo_kl']).toBeCloseTo((-0.4 - 1.5) / 5, 6);
  });

  it('does not clamp the log ratio: at δ = −30 the gradient is −A·e^−30, not 0', () => {
    const out = runCompose(
      { log_probs: [[-30]], old_log_probs: [[0]], advantages: [[1]], mask: [[1]] },
      new ClipCov(config()),
    );
    expect(out.tokenLoss[0]).toBeCloseTo(-Math.exp(-30), 18);
    expect(out.grad[0]).not.toBe(0);
    expect(out.grad[0] / -Math.exp(-30)).toBeCloseTo(1, 5);
  });

  it('the zeroed token still counts in the token-mean denominator', () => {
    // one eligible token zeroed out of N = 5: dividing by 4 instead would change the loss
    const out = runCompose(HAND, new ClipCov(config()));
    expect(out.loss * 5).toBeCloseTo(
      Array.from(out.tokenLoss).reduce((a, b) => a + b, 0),
      5,
    );
  });
});

describe('in the trainer', () => {
  it('the shipped config runs as is and logs fractions in range', async () => {
    await train(loadConfig('configs/clip-cov.yaml', ['steps=3']), { runDir: path.join(tmp, 'shipped'), log: () => {} });
    const lines = fs
      .readFileSync(path.join(tmp, 'shipped', 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, number>);
    expect(lines).toHaveLength(3);
    for (const m of lines) {
      expect(m['clip_cov/frac']).toBeGreaterThanOrEqual(0);
      expect(m['clip_cov/frac']).toBeLessThanOrEqual(m['clip_cov/eligible_frac']);
      expect(m['clip_cov/eligible_frac']).toBeLessThanOrEqual(1);
      expect(m['clip_cov/ppo_clipfrac']).toBeLessThanOrEqual(1);
      expect(Number.isFinite(m['clip_cov/cov_mean'])).toBe(true);
    }
  }, 30_000);

  it('trains 3 gridworld steps with the shipped config and logs its metrics', async () => {
    const cfg = loadConfig('configs/clip-cov.yaml', [
      'steps=3',
      'regularizers=[{name: clip_cov, ratio: 0.1, lower_bound: 0}]',
    ]);
    const run = async (dir: string) => {
      await train(cfg, { runDir: path.join(tmp, dir), log: () => {} });
      return fs
        .readFileSync(path.join(tmp, dir, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, number>);
    };
    const lines = await run('a');
    expect(lines).toHaveLength(3);
    for (const m of lines) {
      for (const k of [
        'actor/pg_clipfrac',
        'clip_cov/frac',
        'clip_cov/eligible_frac',
        'clip_cov/cov_mean',
        'clip_cov/ppo_clipfrac',
      ])
        expect(m).toHaveProperty([k]);
      expect(m['actor/pg_clipfrac']).toBe(m['clip_cov/frac']);
      expect(m['clip_cov/frac']).toBeGreaterThan(0); // ω_lo = 0: every positive-cov token is eligible
      expect(m['clip_cov/frac']).toBeLessThanOrEqual(0.1);
      expect(m['clip_cov/frac']).toBeLessThanOrEqual(m['clip_cov/eligible_frac']);
      expect(m['clip_cov/eligible_frac']).toBeLessThanOrEqual(1);
    }
    // the selection comes from the run's seeded stream: a second run is identical
    const again = await run('b');
    const strip = (ls: Record<string, number>[]) =>
      ls.map((m) => Object.fromEntries(Object.entries(m).filter(([k]) => !k.startsWith('perf/'))));
    expect(strip(again)).toEqual(strip(lines));
  }, 30_000);
});
