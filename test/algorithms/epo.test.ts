// EPO (docs/aepo-epo-steer.md "EPO"): β_k schedules, token → turn → trajectory averaging, the hinge and
// indicator penalties against hand-computed values and tf.grad, state round trip, and the
// released code's property on real training: indicator mode updates the parameters exactly like the bonus alone.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { averagingWeights, codeEpochWeight, Epo, type EpoConfig, epoSchema, paperBeta } from '../../algorithms/epo.ts';
import { aggregateLoss } from '../../algorithms/grpo.ts';
import type { Metrics, StepInfo, TapedTokens, TokenContext } from '../../algorithms/regularizer.ts';
import type { Batch } from '../../src/base/batch.ts';
import { Rng } from '../../src/base/rng.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { PolicyInputs } from '../../src/policies/policy.ts';
import { loadCheckpoint } from '../../src/run/checkpoint.ts';
import { train } from '../../src/train/trainer.ts';
import { tokenContext } from '../helpers.ts';

const fakeInputs = (rows: number, width: number): PolicyInputs => ({
  rows,
  width,
  selectRows: (r) => fakeInputs(r.length, width),
});

/**
 * Three rows of width 3. Row 0: tokens in turns [0, 0, 1]; row 1: one token (turn 0); row 2:
 * empty. Trajectory weights: B = 2 rows; row 0 turn 0 → 1/(2·2·2) = 0.125 each, turn 1 →
 * 1/(2·2·1) = 0.25; row 1 → 1/(2·1·1) = 0.5.
 */
function handBatch(): Batch {
  const mask = Float32Array.from([1, 1, 1, 1, 0, 0, 0, 0, 0]);
  return {
    rows: 3,
    width: 3,
    inputs: fakeInputs(3, 3),
    actions: new Int32Array(9),
    mask,
    turnIndex: Int32Array.from([0, 0, 1, 0, 0, 0, 0, 0, 0]),
    oldLogProbs: new Float32Array(9),
    oldEntropy: Float32Array.from([0.3, 0.5, 0.7, 0.9, 0, 0, 0, 0, 0]),
    numActions: 4,
    advantages: new Float32Array(9),
    groupId: Int32Array.from([0, 0, 1]),
    reward: new Float64Array(3),
    success: new Uint8Array(3),
    length: Int32Array.from([3, 1, 0]),
    turns: Int32Array.from([2, 1, 0]),
    temperature: Float32Array.from([1, 1, 1]),
    isExtra: new Uint8Array(3),
  };
}

const H = [0.2, 0.6, 1.0, 1.5, 0, 0, 0, 0, 0];
const info: StepInfo = { step: 2, totalSteps: 10, rng: new Rng('epo'), promptsPerStep: 2, groupSize: 2 };

function ctxFor(batch: Batch, entropy: number[]): TokenContext {
  return tokenContext(batch, info, {
    logProbs: new Float32Array(batch.mask.length),
    entropy: Float32Array.from(entropy),
  });
}

function taped(batch: Batch, entropy: tf.Tensor1D): TapedTokens {
  return {
    logProbs: tf.zerosLike(entropy),
    entropy,
    mask: tf.tensor1d(batch.mask),
    aggregate: (t) => aggregateLoss(t, batch.mask, batch.rows, batch.width, 'token-mean'),
  };
}

/** An EPO whose history is [0.4, 0.6] (H̄ = 0.5, k = 2), band [0.25, 0.75] with κ = 0.5 / 1.5. */
function epoAtStep2(over: Partial<EpoConfig> = {}): Epo {
  const reg = new Epo(epoSchema.parse({ coef: 0.1, alpha: 0.1, kappa_low: 0.5, kappa_high: 1.5, ...over }));
  reg.setState({ history: [0.4, 0.6], k: 2 });
  reg.prepareBatch(handBatch());
  return reg;
}

/** loss(H) and ∂loss/∂H of one lossTerm call at the entropies `H`. */
function lossAndGrad(reg: Epo, batch = handBatch()): { loss: number; grad: number[]; metrics: Metrics } {
  const ctx = ctxFor(batch, H);
  const f = (h: tf.Tensor1D) => reg.lossTerm(ctx, taped(batch, h));
  const h = tf.tensor1d(H);
  const { value, metrics = {} } = f(h);
  return {
    loss: value.dataSync()[0],
    grad: Array.from(
      tf
        .grad((x) => f(x as tf.Tensor1D).value)(h)
        .dataSync(),
    ),
    metrics,
  };
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe("EPO phase weight β_k (paper Eq. 5 and the reference code's epoch weight)", () => {
  it('paper: γ = 3, K = 150 → 2.0, 1.368, 1.050, 1.003', () => {
    expect(paperBeta(0, 150, 3)).toBe(2);
    expect(paperBeta(25, 150, 3)).toBeCloseTo(1.368, 3);
    expect(paperBeta(75, 150, 3)).toBeCloseTo(1 + Math.exp(-3), 12);
    expect(paperBeta(75, 150, 3)).toBeCloseTo(1.05, 3);
    expect(paperBeta(149, 150, 3)).toBeCloseTo(1.003, 3);
  });

  it(
    'code epoch weight at 0, 25, 75, 76, 149, 150, 200 of 150 ' + '→ 1.0, 0.903, 0.827, 0.769, 0.0415, 0.040, 0.040',
    () => {
      // Appendix A prints 0.042 at 149; the code's formula gives 0.8·e^{−3·74/75} = 0.041455
      const want = [1.0, 0.903, 0.827, 0.769, 0.041455, 0.0398, 0.0398];
      [0, 25, 75, 76, 149, 150, 200].forEach((k, i) => expect(codeEpochWeight(k, 150)).toBeCloseTo(want[i], 3));
      expect(codeEpochWeight(149, 150)).toBeCloseTo(0.8 * Math.exp((-3 * 74) / 75), 12);
    },
  );
});

describe('EPO averaging and loss (paper Eqs. 2–4, 6)', () => {
  it("trajectory weights average a turn's tokens, then turns, then rows; token weights are 1/N", () => {
    expect(Array.from(averagingWeights(handBatch(), 'trajectory'))).toEqual([0.125, 0.125, 0.25, 0.5, 0, 0, 0, 0, 0]);
    expect(Array.from(averagingWeights(handBatch(), 'token'))).toEqual([0.25, 0.25, 0.25, 0.25, 0, 0, 0, 0, 0]);
  });

  it('hinge: value and gradient by hand', () => {
    // band [0.25, 0.75]: P = [0.05, 0, 0.25, 0.75]; L_H = 1.1; L_smooth = 0.1·0.44375
    const beta = 1 + Math.exp(-1.2); // k = 2, ⌊K/2⌋ = 5
    const reg = epoAtStep2();
    const { loss, grad, metrics: m } = lossAndGrad(reg);
    expect(loss).toBeCloseTo(-0.1 * (1.1 - beta * 0.044375), 6);
    const s = 0.1 * beta * 0.1; // λ·β·α
    const want = [-0.1 * 0.125 - s * 0.125, -0.1 * 0.125, -0.1 * 0.25 + s * 0.25, -0.1 * 0.5 + s * 0.5, 0, 0, 0, 0, 0];
    grad.forEach((g, i) => expect(g).toBeCloseTo(want[i], 6));
    expect(m).toMatchObject({ H_ref: 0.5, frac_tokens_below: 0.25, frac_tokens_above: 0.5, frac_in_corridor: 0.25 });
    expect(m.beta_k).toBeCloseTo(beta, 12);
    expect(m.L_H).toBeCloseTo(1.1, 6);
    expect(m.L_smooth).toBeCloseTo(0.044375, 6);
  });

  it("smooth_grad_norm is the norm of ∂(λβ·L_smooth)/∂H: the hinge's share, 0 for the indicator", () => {
    const base = lossAndGrad(epoAtStep2({ alpha: 0 })).grad;
    const hinge = epoAtStep2();
    const { grad: hingeGrad, metrics: hingeMetrics } = lossAndGrad(hinge);
    const diffNorm = Math.sqrt(hingeGrad.reduce((s, g, i) => s + (g - base[i]) ** 2, 0));
    expect(diffNorm).toBeGreaterThan(1e-3);
    expect(hingeMetrics.smooth_grad_norm).toBeCloseTo(diffNorm, 6);
    const indicator = epoAtStep2({ smoothing: 'indicator' });
    const { loss, grad, metrics: indicatorMetrics } = lossAndGrad(indicator);
    // the value moves (L_smooth = 0.1·(0.125 + 0.25 + 0.5)) but the gradient is the bonus's, bit for bit
    expect(loss).toBeCloseTo(-0.1 * (1.1 - (1 + Math.exp(-1.2)) * 0.0875), 6);
    const positiveZero = (xs: number[]) => xs.map((x) => x + 0);
    expect(positiveZero(grad)).toEqual(positiveZero(base));
    expect(indicatorMetrics.smooth_grad_norm).toBe(0);
  });

  it('token aggregation is the plain token-mean', () => {
    const { loss } = lossAndGrad(epoAtStep2({ aggregate: 'token', alpha: 0 }));
    expect(loss).toBeCloseTo((-0.1 * (0.2 + 0.6 + 1.0 + 1.5)) / 4, 6);
  });

  it('no reference at k = 0 (paper); the code reference includes the current step', () => {
    const paper = new Epo(epoSchema.parse({ coef: 0.1 }));
    paper.prepareBatch(handBatch());
    expect(paper.reference()).toBeUndefined();
    const first = lossAndGrad(paper);
    expect(first.loss).toBeCloseTo(-0.1 * 1.1, 6);
    expect(first.metrics.H_ref).toBeUndefined();
    expect(first.metrics.L_smooth).toBe(0);

    const code = new Epo(epoSchema.parse({ reference: 'including_current' }));
    code.prepareBatch(handBatch());
    expect(code.reference()).toBeCloseTo((0.3 + 0.5 + 0.7 + 0.9) / 4, 6); // token-mean of H_old
    code.setState({ history: [1.0], k: 1 });
    code.prepareBatch(handBatch());
    expect(code.reference()).toBeCloseTo((1.0 + 0.6) / 2, 6);
  });

  it('history and k round-trip through getState/setState', () => {
    const a = new Epo(epoSchema.parse({}));
    for (const h of [1.3, 1.1, 0.9]) {
      a.prepareBatch(handBatch());
      a.afterStep({ step: 0, rolloutEntropy: h, updateNll: 0, updateEntropy: 0, batch: handBatch() });
    }
    const b = new Epo(epoSchema.parse({}));
    b.setState(JSON.parse(JSON.stringify(a.getState())));
    expect(b.getState()).toEqual({ history: [1.3, 1.1, 0.9], k: 3 });
    expect(b.reference()).toBeCloseTo(1.1, 12);
    expect(b.beta(10)).toBe(a.beta(10));
  });
});

describe('EPO on the gridworld (configs/epo.yaml)', () => {
  const run = async (sets: string[]) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'entrolab-epo-'));
    await train(loadConfig('configs/epo.yaml', ['steps=3', ...sets]), { runDir: dir, log: () => {} });
    const rows = fs
      .readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, number>);
    return { rows, weights: JSON.stringify(loadCheckpoint(dir).policy.weights) };
  };
  // a corridor shrunk to the point H̄ (the hinge becomes |H − H̄|) around a reference that
  // includes the current step: the penalty acts on every token from step 1 on
  const narrow = [
    'regularizers.0.reference=including_current',
    'regularizers.0.kappa_low=1',
    'regularizers.0.kappa_high=1',
    'regularizers.0.alpha=0.5',
  ];

  it('trains with sane epo/ metrics; indicator mode updates exactly like the bonus alone', async () => {
    const hinge = await run(narrow);
    const indicator = await run([...narrow, 'regularizers.0.smoothing=indicator']);
    const bonus = await run([...narrow, 'regularizers.0.alpha=0']);
    for (const r of hinge.rows) {
      expect(r['epo/frac_tokens_below'] + r['epo/frac_tokens_above'] + r['epo/frac_in_corridor']).toBeCloseTo(1, 12);
      expect(r['epo/L_H']).toBeGreaterThan(0);
      expect(r['epo/L_H']).toBeLessThanOrEqual(Math.log(4) + 1e-6);
    }
    expect(hinge.rows.map((r) => r['epo/beta_k'])).toEqual([0, 1, 2].map((k) => paperBeta(k, 3, 3)));
    expect(hinge.rows[1]['epo/H_ref']).toBeCloseTo(
      (hinge.rows[0]['entropy/rollout'] + hinge.rows[1]['entropy/rollout']) / 2,
      6,
    );
    expect(indicator.rows.every((r) => r['epo/L_smooth'] > 0 && r['epo/frac_in_corridor'] < 1)).toBe(true);
    expect(indicator.rows.every((r) => r['epo/smooth_grad_norm'] === 0)).toBe(true);
    expect(hinge.rows.every((r) => r['epo/smooth_grad_norm'] > 0)).toBe(true);

    expect(indicator.weights).toBe(bonus.weights);
    expect(indicator.rows.map((r) => r['entropy/after_update'])).toEqual(
      bonus.rows.map((r) => r['entropy/after_update']),
    );
    // the hinge does change the update, so the comparison above can fail
    expect(hinge.weights).not.toBe(bonus.weights);
  });
});

describe('composition with the other regularizers', () => {
  it('AEPO (additive) + KL-Cov + EPO + STEER train together; each logs its metrics', async () => {
    const regs =
      '[{name: aepo, target_entropy: 0.9, reinforce_samples: 16, mode: additive, alpha: 0.1}, ' +
      '{name: kl_cov, ratio: 0.02, coef: 1}, {name: epo, coef: 0.02}, {name: steer}]';
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'entrolab-combo-'));
    await train(loadConfig('configs/epo.yaml', ['steps=2', `regularizers=${regs}`]), { runDir: dir, log: () => {} });
    const last = JSON.parse(fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n')[1]) as Record<
      string,
      number
    >;
    for (const key of ['aepo/n_reg', 'epo/beta_k', 'epo/H_ref', 'steer/w_mean'])
      expect(Number.isFinite(last[key])).toBe(true);
    expect(Object.keys(last).some((k) => k.startsWith('kl_cov/'))).toBe(true);
    expect(last['aepo/temperature']).toBe(0.8); // the first step's entropy (≈ ln 4) is above 0.9
  });
});
