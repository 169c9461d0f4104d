// STEER (docs/aepo-epo-steer.md "STEER"): both Ω estimators against hand values (and the first-order one
// against a measured entropy change), the exp and linear weights, λ_min = 1 ≡ GRPO (exact no-op)
// and a short gridworld run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TokenContext } from '../../algorithms/regularizer.ts';
import { omegaCode, omegaFirstOrder, Steer, steerSchema, steerWeights } from '../../algorithms/steer.ts';
import type { Batch } from '../../src/base/batch.ts';
import { Rng } from '../../src/base/rng.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { PolicyInputs } from '../../src/policies/policy.ts';
import { loadCheckpoint } from '../../src/run/checkpoint.ts';
import { train } from '../../src/train/trainer.ts';
import { tokenContext } from '../helpers.ts';

const ln = Math.log;

function entropyOf(logits: number[]): number {
  const m = Math.max(...logits);
  const z = logits.reduce((s, l) => s + Math.exp(l - m), 0);
  return -logits.reduce((s, l) => {
    const lp = l - m - ln(z);
    return s + Math.exp(lp) * lp;
  }, 0);
}

describe('STEER Ω', () => {
  it('code estimator by hand', () => {
    // x = 0.5, δ = 0.25·(ln 0.5 + 1), Ω = 2/0.5·δ
    expect(omegaCode(ln(0.5), ln(0.5), 1.0, 2)).toBeCloseTo(4 * 0.25 * (1 - ln(2)), 12);
    expect(omegaCode(ln(0.5), ln(0.5), 1.0, 2)).toBeCloseTo(0.306853, 6);
    // x = 0.9, p_old = 0.8, H_old = 0.5, A = −1: −(1/0.8)·0.09·(ln 0.9 + 0.5)
    expect(omegaCode(ln(0.9), ln(0.8), 0.5, -1)).toBeCloseTo(-0.04439695, 7);
    // x is clamped below 1 − 1e-8, p_old below at 1e-8; non-finite → 0
    expect(omegaCode(0, 0, 0.3, 1) / (1e-8 * 0.3)).toBeCloseTo(1, 6);
    expect(omegaCode(ln(0.5), -Infinity, 1, 1)).toBeCloseTo((1 / 1e-8) * 0.25 * (1 - ln(2)), 0);
    expect(omegaCode(ln(0.5), ln(0.5), 1, Infinity)).toBe(0);
    expect(omegaCode(ln(0.5), ln(0.5), 1, Number.NaN)).toBe(0);
  });

  it('first-order estimator by hand: p = [½, ¼, ¼], k = 0, A = 1 → S_0 − E[S] = 0.129965', () => {
    const logPolicy = [ln(0.5), ln(0.25), ln(0.25)];
    const H = 0.5 * ln(2) + 0.5 * ln(4);
    const S = [0.5, 0.25, 0.25].map((p) => p * (ln(p) + H));
    const want = S[0] - (0.5 * S[0] + 0.25 * S[1] + 0.25 * S[2]);
    expect(want).toBeCloseTo(0.129965, 6);
    expect(omegaFirstOrder(ln(0.5), 0, logPolicy, 0, 3, 1)).toBeCloseTo(want, 12);
  });

  it('first-order Ω = −ΔH/η of a small softmax policy-gradient step', () => {
    const rng = new Rng('steer-fo');
    for (let trial = 0; trial < 20; trial++) {
      const V = 3 + rng.int(8);
      const z = Array.from({ length: V }, () => 2 * rng.normal());
      const m = Math.max(...z);
      const lz = ln(z.reduce((s, x) => s + Math.exp(x - m), 0));
      const logPolicy = z.map((x) => x - m - lz);
      const p = logPolicy.map(Math.exp);
      const k = rng.categorical(p);
      const A = rng.next() < 0.5 ? -1.3 : 0.7;
      const eta = 1e-5;
      // one step on the surrogate A·π_k/π_old at π = π_old: Δz = η·A·(e_k − p)
      const z2 = z.map((x, v) => x + eta * A * ((v === k ? 1 : 0) - p[v]));
      const dH = entropyOf(z2) - entropyOf(z);
      const omega = omegaFirstOrder(logPolicy[k], k, logPolicy, 0, V, A);
      expect(Math.abs(omega + dH / eta)).toBeLessThan(1e-3 * Math.abs(omega) + 1e-7);
    }
  });
});

describe('STEER weights', () => {
  const mask = Float32Array.from([1, 1, 1, 1, 0]);
  const omega = Float32Array.from([0.3, -0.1, 0, 0.15, 9]);

  it('exp: k = −ln λ_min / max(m_max, 0.02); the largest |Ω| sits at λ_min', () => {
    const w = steerWeights(omega, mask, steerSchema.parse({ lambda_min: 0.8 }));
    const k = -ln(0.8) / 0.3;
    const want = [0.8, Math.exp(-k * 0.1), 1, Math.exp(-k * 0.15), 0];
    want.forEach((x, i) => expect(w[i]).toBeCloseTo(x, 6));
    expect(w[1]).toBeCloseTo(0.928318, 6);
    // |Ω| all below the floor: k = −ln 0.8 / 0.02, nobody reaches λ_min
    const small = steerWeights(
      Float32Array.from([0.01, -0.005]),
      Float32Array.from([1, 1]),
      steerSchema.parse({ lambda_min: 0.8 }),
    );
    expect(small[0]).toBeCloseTo(Math.exp(-0.5 * -ln(0.8)), 6);
    expect(small[0]).toBeCloseTo(0.894427, 6);
    expect(small[1]).toBeCloseTo(0.945742, 6);
  });

  it('linear: λ_max − (m − m_min)(λ_max − λ_min)/(m_max − m_min); all equal → the midpoint', () => {
    const w = steerWeights(omega, mask, steerSchema.parse({ weighting: 'linear', lambda_min: 0.8, lambda_max: 1.2 }));
    [0.8, 1.2 - 0.1 * (0.4 / 0.3), 1.2, 1.0, 0].forEach((x, i) => expect(w[i]).toBeCloseTo(x, 6));
    const flat = steerWeights(
      Float32Array.from([0.2, -0.2]),
      Float32Array.from([1, 1]),
      steerSchema.parse({ weighting: 'linear', lambda_min: 0.8, lambda_max: 1.2 }),
    );
    expect(Array.from(flat)).toEqual([1, 1]);
  });

  it('λ_min = 1 gives weight 1 on every valid token', () => {
    expect(Array.from(steerWeights(omega, mask, steerSchema.parse({ lambda_min: 1 })))).toEqual([1, 1, 1, 1, 0]);
  });
});

describe('STEER tokenWeights hook', () => {
  const fakeInputs = (rows: number, width: number): PolicyInputs => ({
    rows,
    width,
    selectRows: (r) => fakeInputs(r.length, width),
  });
  const batch = (withPolicy: boolean): Batch => ({
    rows: 1,
    width: 3,
    inputs: fakeInputs(1, 3),
    actions: Int32Array.from([0, 1, 0]),
    mask: Float32Array.from([1, 1, 0]),
    turnIndex: Int32Array.from([0, 1, 0]),
    oldLogProbs: Float32Array.from([ln(0.5), ln(0.25), 0]),
    oldEntropy: Float32Array.from([1.0, 1.0, 0]),
    oldLogPolicy: withPolicy
      ? Float32Array.from([0.5, 0.25, 0.25, 0.5, 0.25, 0.25, 1, 0, 0].map((p) => ln(p)))
      : undefined,
    numActions: 3,
    advantages: Float32Array.from([1, 1, 0]),
    groupId: Int32Array.from([0]),
    reward: Float64Array.from([1]),
    success: Uint8Array.from([1]),
    length: Int32Array.from([2]),
    turns: Int32Array.from([2]),
    temperature: Float32Array.from([1]),
    isExtra: Uint8Array.from([0]),
  });
  const ctx = (b: Batch): TokenContext =>
    tokenContext(b, { step: 0, totalSteps: 1, rng: new Rng('s'), promptsPerStep: 1, groupSize: 1 });

  it('code estimator: weights and metrics from the mini-batch', () => {
    const reg = new Steer(steerSchema.parse({ lambda_min: 0.8 }));
    const { value: w, metrics: m = {} } = reg.tokenWeights(ctx(batch(false)));
    // Ω = [0.25·(1 − ln 2)/0.5 = 0.153426, (0.1875/0.25)·(1 − ln 4) = −0.289721]
    const o = [0.5 * (1 - ln(2)), 0.75 * (1 - ln(4))];
    const k = -ln(0.8) / Math.abs(o[1]);
    expect(w[0]).toBeCloseTo(Math.exp(-k * Math.abs(o[0])), 6);
    expect(w[1]).toBeCloseTo(0.8, 6);
    expect(w[2]).toBe(0);
    expect(m.omega_absmax).toBeCloseTo(Math.abs(o[1]), 6);
    expect(m).toMatchObject({ frac_w_at_floor: 0.5, omega_pos_frac: 0.5 });
    expect(m.w_min).toBeCloseTo(0.8, 6);
    expect(m.w_mean).toBeCloseTo((w[0] + w[1]) / 2, 6);
  });

  it('first-order estimator reads batch.oldLogPolicy, and says so when it is missing', () => {
    const reg = new Steer(steerSchema.parse({ estimator: 'first_order' }));
    const { value: w, metrics: m = {} } = reg.tokenWeights(ctx(batch(true)));
    // p = [½, ¼, ¼] at both slots: Ω = S_0 − E[S] = 0.129965 for action 0, S_1 − E[S] = −0.129965 for action 1
    expect(Array.from(w).map((x) => Number(x.toFixed(6)))).toEqual([0.8, 0.8, 0]);
    expect(m.omega_absmax).toBeCloseTo(0.129965, 6);
    expect(m.omega_pos_frac).toBe(0.5);
    expect(() => reg.tokenWeights(ctx(batch(false)))).toThrow(/steer.estimator.*oldLogPolicy/);
  });
});

describe('STEER on the gridworld (configs/steer.yaml)', () => {
  const run = async (sets: string[]) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'entrolab-steer-'));
    await train(loadConfig('configs/steer.yaml', ['steps=3', ...sets]), { runDir: dir, log: () => {} });
    const rows = fs
      .readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, number>);
    return { rows, weights: JSON.stringify(loadCheckpoint(dir).policy.weights) };
  };

  it('λ_min = 1 reproduces GRPO exactly; λ_min = 0.8 trains with sane steer/ metrics', async () => {
    const grpo = await run(['regularizers=[]']);
    const off = await run(['regularizers.0.lambda_min=1']);
    const on = await run([]);
    expect(off.weights).toBe(grpo.weights);
    expect(off.rows.map((r) => r['actor/pg_loss'])).toEqual(grpo.rows.map((r) => r['actor/pg_loss']));
    expect(off.rows.every((r) => r['steer/w_min'] === 1 && r['steer/frac_w_at_floor'] === 0)).toBe(true);
    expect(on.weights).not.toBe(grpo.weights);
    for (const r of on.rows) {
      expect(r['steer/w_min']).toBeCloseTo(0.8, 6); // m_max ≥ 0.02 on this batch: its token sits at λ_min
      expect(r['steer/w_max']).toBeLessThanOrEqual(1);
      expect(r['steer/w_mean']).toBeGreaterThan(0.8);
      expect(r['steer/w_mean']).toBeLessThan(1);
      expect(r['steer/frac_w_at_floor']).toBeGreaterThan(0);
      expect(r['steer/frac_w_at_floor']).toBeLessThan(0.5);
      expect(r['steer/omega_pos_frac']).toBeGreaterThanOrEqual(0);
      expect(r['steer/omega_pos_frac']).toBeLessThanOrEqual(1);
      expect(r['steer/omega_absmax']).toBeGreaterThan(0.02);
    }
  });
});
