// algorithms/grpo.ts against docs/grpo.md: worked group advantages, PPO-clip values and gradients
// worked by hand, every aggregation mode, every KL estimator (value and gradient, "+" forms, abs'
// zero gradient at 0), log-probs and entropy.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  absSignGrad,
  aggregateLoss,
  aggregateValues,
  broadcastToTokens,
  groupAdvantages,
  type KlType,
  klPenalty,
  ppoClipStats,
  ppoClipTokenLoss,
  tokenStats,
} from '../../algorithms/grpo.ts';
import { AGG_MODES } from '../../src/config/schema.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const F32 = 1e-6; // float32 tolerance for O(1) values

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = F32): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const scale = Math.max(1, Math.abs(expected[i]));
    expect(Math.abs(actual[i] - expected[i]), `index ${i}: ${actual[i]} vs ${expected[i]}`).toBeLessThanOrEqual(
      tol * scale,
    );
  }
}

/** Per-token value and d(Σ value)/d(input) of a token-wise function. */
function valueAndGrad(f: (x: tf.Tensor1D) => tf.Tensor1D, x: number[]): { value: Float32Array; grad: Float32Array } {
  const input = tf.tensor1d(x);
  const value = f(input);
  const grad = tf.grad((t: tf.Tensor) => tf.sum(f(t as tf.Tensor1D)))(input);
  const out = { value: value.dataSync() as Float32Array, grad: grad.dataSync() as Float32Array };
  tf.dispose([input, value, grad]);
  return out;
}

describe('group advantages', () => {
  const opts = { normByStd: true, epsilon: 1e-6 };

  it('reproduces the worked numbers of docs/grpo.md', () => {
    // [1,0,0,1]: μ = 0.5, unbiased σ = √(1/3) → ±0.5/(0.57735 + 1e-6)
    expectClose(groupAdvantages([1, 0, 0, 1], [0, 0, 0, 0], opts), [0.866024, -0.866024, -0.866024, 0.866024]);
    // [1,0,0,0]: μ = 0.25, σ = 0.5 → 0.75/0.500001, −0.25/0.500001
    expectClose(groupAdvantages([1, 0, 0, 0], [0, 0, 0, 0], opts), [1.499997, -0.499999, -0.499999, -0.499999]);
    expect(Array.from(groupAdvantages([1, 1, 1, 1], [0, 0, 0, 0], opts))).toEqual([0, 0, 0, 0]);
    // a singleton: μ = 0, σ = 1, so its raw score over 1 + ε
    expectClose(groupAdvantages([0.7], [5], opts), [0.699999]);
  });

  it('normalises each group separately and supports Dr.GRPO (mean only)', () => {
    const a = groupAdvantages([1, 0, 0, 1, 1, 0, 0, 0], [3, 3, 3, 3, 9, 9, 9, 9], opts);
    expectClose(a, [0.866024, -0.866024, -0.866024, 0.866024, 1.499997, -0.499999, -0.499999, -0.499999]);
    expect(Array.from(groupAdvantages([1, 0, 0, 0], [0, 0, 0, 0], { normByStd: false, epsilon: 1e-6 }))).toEqual([
      0.75, -0.25, -0.25, -0.25,
    ]);
  });

  it('broadcasts A[i,t] = a_i·m[i,t]', () => {
    expect(Array.from(broadcastToTokens([2, -1], new Float32Array([1, 1, 0, 1, 0, 0]), 3), (x) => x + 0)).toEqual([
      2, 2, 0, -1, 0, 0,
    ]);
  });
});

describe('PPO-clip with clip-higher and dual clip', () => {
  // ε_low 0.2, ε_high 0.28, c 3; lp_old = −2, lp = −2 + ln ρ
  const opts = { clipRatioLow: 0.2, clipRatioHigh: 0.28, clipRatioC: 3 };
  const ratios = [1.5, 0.5, 0.5, 2.5, 4, 1];
  const adv = [1, 1, -1, -1, -1, 2];
  const old = ratios.map(() => -2);
  const lp = ratios.map((r) => -2 + Math.log(r));
  // by hand: u = −Aρ, v = −A·clip(ρ, 0.8, 1.28), w = max(u, v), A < 0: min(w, 3|A|)
  //  ρ=1.5 A=1:  u −1.5, v −1.28 → −1.28 (clipped, grad 0)
  //  ρ=0.5 A=1:  u −0.5, v −0.8  → −0.5  (grad −Aρ = −0.5)
  //  ρ=0.5 A=−1: u 0.5,  v 0.8   → 0.8   (clipped, grad 0)
  //  ρ=2.5 A=−1: u 2.5,  v 1.28  → 2.5   (grad 2.5)
  //  ρ=4   A=−1: u 4,    v 1.28  → 4 → dual cap 3 (grad 0)
  //  ρ=1   A=2:  u = v = −2      → −2    (grad −2)
  const expectedLoss = [-1.28, -0.5, 0.8, 2.5, 3, -2];
  const expectedGrad = [0, -0.5, 0, 2.5, 0, -2];

  it('values and gradients match the hand computation', () => {
    const oldT = tf.tensor1d(old);
    const advT = tf.tensor1d(adv);
    const { value, grad } = valueAndGrad((x) => ppoClipTokenLoss(x, oldT, advT, opts), lp);
    expectClose(value, expectedLoss);
    expectClose(grad, expectedGrad);
    tf.dispose([oldT, advT]);
  });

  it('clamps the log ratio to ±20 before exp, which removes the gradient beyond it', () => {
    const oldT = tf.tensor1d([0]);
    const advT = tf.tensor1d([1]);
    const { value, grad } = valueAndGrad((x) => ppoClipTokenLoss(x, oldT, advT, opts), [-30]);
    // u = −e^−20 (not −e^−30), v = −0.8 → ℓ = −e^−20, and the clamp bites: gradient 0
    expect(value[0]).toBeCloseTo(-Math.exp(-20), 15);
    expect(grad[0]).toBe(0);
    tf.dispose([oldT, advT]);
  });

  it('variants: no dual clip, a keep mask, the stop-gradient upper clip, no log-ratio clamp', () => {
    const oldT = tf.tensor1d(old);
    const advT = tf.tensor1d(adv);
    const keep = tf.tensor1d([1, 1, 1, 1, 1, 0]);
    // without the dual clip ρ=4 A=−1 keeps u = 4 (gradient 4); keep 0 zeroes the last token (and its gradient)
    const noDual = valueAndGrad((x) => ppoClipTokenLoss(x, oldT, advT, opts, { dualClip: false, keep }), lp);
    expectClose(noDual.value, [-1.28, -0.5, 0.8, 2.5, 4, 0]);
    expectClose(noDual.grad, [0, -0.5, 0, 2.5, 4, 0]);
    // stop-gradient upper: ρ=1.5 A=1 is above 1.28, value −1.28 with gradient −1.28·A (others unchanged)
    const detached = tf.tensor1d(lp);
    const sg = valueAndGrad((x) => ppoClipTokenLoss(x, oldT, advT, opts, { stopGradientUpper: detached }), lp);
    expectClose(sg.value, expectedLoss);
    expectClose(sg.grad, [-1.28, -0.5, 0, 2.5, 0, -2]);
    // no clamp: lp − lp_old = −30 gives u = −e^−30 with the gradient −A·ρ = −e^−30, where the clamp gives 0
    const [o, a] = [tf.tensor1d([0]), tf.tensor1d([1])];
    const far = valueAndGrad((x) => ppoClipTokenLoss(x, o, a, opts, { clampLogRatio: false }), [-30]);
    expect(far.value[0] / -Math.exp(-30)).toBeCloseTo(1, 5);
    expect(far.grad[0] / -Math.exp(-30)).toBeCloseTo(1, 5);
    tf.dispose([oldT, advT, keep, detached, o, a]);
  });

  it('reports pg_clipfrac (v > u), pg_clipfrac_lower (dual clip active) and ppo_kl over valid tokens', () => {
    // a 7th, padded slot with garbage must not count
    const stats = ppoClipStats([...lp, 5], [...old, -9], [...adv, 7], [1, 1, 1, 1, 1, 1, 0], opts);
    expect(Array.from(stats.clipped)).toEqual([1, 0, 1, 0, 0, 0, 0]);
    expect(stats.pgClipfrac).toBeCloseTo(2 / 6, 12);
    expect(stats.pgClipfracLower).toBeCloseTo(1 / 6, 12);
    expect(stats.ppoKl).toBeCloseTo(-ratios.reduce((s, r) => s + Math.log(r), 0) / 6, 12);
  });
});

describe('loss aggregation', () => {
  // 3 rows × 4 slots; row 2 fully masked; padded slots hold garbage
  const loss = [1, 2, 30, 40, 4, 50, 60, 70, 80, 90, 100, 110];
  const mask = new Float32Array([1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
  const expected: Record<(typeof AGG_MODES)[number], number> = {
    'token-mean': 7 / 3, // (1 + 2 + 4) / 3 tokens
    'seq-mean-token-sum': 3.5, // (3 + 4) / 2 non-empty rows
    'seq-mean-token-mean': 2.75, // (3/2 + 4/1) / 2
    'seq-mean-token-sum-norm': 1.75, // 7 / L = 4
    'seq-mean-token-sum-norm-rows': 0.875, // 7 / (S = 2 non-empty rows · L = 4), verl's meaning since PR #5417
  };

  for (const mode of AGG_MODES) {
    it(`${mode}: value, gradient and the plain-number twin`, () => {
      const { value, grad } = (() => {
        const x = tf.tensor1d(loss);
        const v = aggregateLoss(x, mask, 3, 4, mode);
        const g = tf.grad((t: tf.Tensor) => aggregateLoss(t as tf.Tensor1D, mask, 3, 4, mode))(x);
        const out = { value: v.dataSync()[0], grad: Array.from(g.dataSync()) };
        tf.dispose([x, v, g]);
        return out;
      })();
      expect(value).toBeCloseTo(expected[mode], 6);
      expect(aggregateValues(loss, mask, 3, 4, mode)).toBeCloseTo(expected[mode], 7);
      const perToken: Record<string, number[]> = {
        'token-mean': [1 / 3, 1 / 3, 0, 0, 1 / 3],
        'seq-mean-token-sum': [1 / 2, 1 / 2, 0, 0, 1 / 2],
        'seq-mean-token-mean': [1 / 4, 1 / 4, 0, 0, 1 / 2],
        'seq-mean-token-sum-norm': [1 / 4, 1 / 4, 0, 0, 1 / 4],
        'seq-mean-token-sum-norm-rows': [1 / 8, 1 / 8, 0, 0, 1 / 8],
      };
      expectClose(grad, [...perToken[mode], 0, 0, 0, 0, 0, 0, 0]);
    });
  }

  it('an empty mask gives 0, not NaN', () => {
    for (const mode of AGG_MODES) {
      const x = tf.tensor1d([1, 2]);
      const v = aggregateLoss(x, new Float32Array(2), 1, 2, mode);
      expect(v.dataSync()[0]).toBe(0);
      tf.dispose([x, v]);
    }
  });
});

describe('KL estimators', () => {
  // d = lp − lp_ref; the k3 clamps bite at d = −3 (value) and d = −25 (both)
  const d = [0.5, -0.3, 0, -3, -25, 2];
  const k3Value = (x: number) => Math.min(10, Math.max(-10, Math.exp(Math.min(20, Math.max(-20, -x))) + x - 1));
  const k3Grad = (x: number) => (x === -3 || x === -25 ? 0 : 1 - Math.exp(-x));
  const table: Record<string, { value: (x: number) => number; grad: (x: number) => number }> = {
    k1: { value: (x) => x, grad: () => 1 },
    abs: { value: (x) => Math.abs(x), grad: (x) => Math.sign(x) },
    k2: { value: (x) => (x * x) / 2, grad: (x) => x },
    k3: { value: k3Value, grad: k3Grad },
  };
  const aliases: Record<string, string> = {
    kl: 'k1',
    k1: 'k1',
    abs: 'abs',
    mse: 'k2',
    k2: 'k2',
    low_var_kl: 'k3',
    k3: 'k3',
  };
  const ref = d.map(() => -1);
  const lp = d.map((x) => -1 + x);

  const run = (type: KlType) => {
    const refT = tf.tensor1d(ref);
    const out = valueAndGrad((x) => klPenalty(x, refT, type), lp);
    refT.dispose();
    return out;
  };

  for (const [name, base] of Object.entries(aliases)) {
    it(`${name}: value and gradient`, () => {
      const { value, grad } = run(name as KlType);
      // lp = −1 + d in float32 makes d inexact by ~1e-7; k3's exp amplifies it to ~1e-5 at d = −25 → 10 (clamped)
      expectClose(value, d.map(table[base].value), 2e-6);
      expectClose(grad, d.map(table[base].grad), 2e-6);
    });
    // k1+/kl+ once returned d itself as the customGrad value, which gave gradient 1 + d instead of d
    it(`${name}+: the named value with k2's gradient (straight-through)`, () => {
      const { value, grad } = run(`${name}+` as KlType);
      expectClose(value, d.map(table[base].value), 2e-6);
      expectClose(grad, d, 2e-6);
    });
  }

  it("abs has gradient 0 at 0 (tf.abs's own gradient there is −1)", () => {
    expect(valueAndGrad((x) => tf.abs(x) as tf.Tensor1D, [0]).grad[0]).toBe(-1);
    expect(valueAndGrad((x) => absSignGrad(x) as tf.Tensor1D, [0, 2, -2]).grad).toEqual(new Float32Array([0, 1, -1]));
    const refT = tf.tensor1d([0.25]);
    expect(valueAndGrad((x) => klPenalty(x, refT, 'abs'), [0.25]).grad[0]).toBe(0);
    refT.dispose();
  });
});

describe('log-probs and entropy from temperature-scaled logits', () => {
  it('matches softmax by hand, at T = 1 and T = 2', () => {
    // logits [0, ln 3] → π = [1/4, 3/4]; at T = 2 → [0, ln 3 / 2] → π = [1/(1+√3), √3/(1+√3)]
    const logits = tf.tensor2d([
      [0, Math.log(3)],
      [0, Math.log(3)],
    ]);
    const h = (p: number[]) => -p.reduce((s, x) => s + x * Math.log(x), 0);
    const t1 = tokenStats(logits, new Int32Array([1, 0]), 1);
    expectClose(t1.logProbs.dataSync(), [Math.log(0.75), Math.log(0.25)]);
    expectClose(t1.entropy.dataSync(), [h([0.25, 0.75]), h([0.25, 0.75])]);
    const s = Math.sqrt(3);
    const t2 = tokenStats(logits, new Int32Array([1, 0]), 2);
    expectClose(t2.logProbs.dataSync(), [Math.log(s / (1 + s)), Math.log(1 / (1 + s))]);
    expectClose(t2.entropy.dataSync(), [h([1 / (1 + s), s / (1 + s)]), h([1 / (1 + s), s / (1 + s)])]);
    tf.dispose([logits, t1.logProbs, t1.entropy, t1.logPolicy, t2.logProbs, t2.entropy, t2.logPolicy]);
  });
});
