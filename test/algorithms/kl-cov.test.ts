// KL-Cov against verl `compute_policy_loss_kl_cov` (docs/bonus-clipcov-klcov-loss.md): top-k
// selection (k rule, tie-breaking), loss values and gradients by hand, the |δ| tolerance, the
// on-policy no-op (exactly unclipped vanilla PG, both on a hand batch and for whole training runs),
// the one-epoch/one-mini-batch warning, metrics.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KlCov, type KlCovConfig, klCovSchema, selectKlCov } from '../../algorithms/kl-cov.ts';
import type { StepInfo } from '../../algorithms/regularizer.ts';
import { Rng } from '../../src/base/rng.ts';
import { loadConfig } from '../../src/config/load.ts';
import { grpoSchema } from '../../src/config/schema.ts';
import { composeLoss } from '../../src/core/update.ts';
import { parseLossBatch } from '../../src/loss/loss-batch.ts';
import { train } from '../../src/train/trainer.ts';
import { active } from '../helpers.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'entrolab-kl-cov-'));
beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const config = (over: Partial<KlCovConfig> = {}): KlCovConfig => klCovSchema.parse(over);
const info: StepInfo = { step: 0, totalSteps: 1, rng: new Rng('t'), promptsPerStep: 1, groupSize: 2 };

// Same batch as the Clip-Cov hand example: N = 5, cov = [2, 3, −4, 6, −4.5] (Ā = 0, L̄P = −2),
// δ = lp − lp_old = [0, 0.4, 0, 0, 1.5].
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

function runCompose(doc: object, regs: KlCov[], metrics: Record<string, number> = {}) {
  const input = parseLossBatch(doc, 'test');
  let tokenLoss: Float32Array = new Float32Array(0);
  const lp = tf.tensor1d(input.logProbs);
  const ent = tf.tensor1d(input.entropy);
  let loss = 0;
  const grad = tf.grad((x: tf.Tensor) => {
    const out = composeLoss({
      logProbs: x as tf.Tensor1D,
      entropy: ent,
      batch: input.batch,
      regularizers: regs.map((r) => active('kl_cov', r, info.rng)),
      grpo: grpoSchema.parse({}),
      step: info,
      position: { epoch: 1, miniBatch: 0 },
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

describe('KL-Cov selection', () => {
  const flat = (d: typeof HAND) =>
    [d.log_probs.flat(), d.old_log_probs.flat(), d.advantages.flat(), d.mask.flat()] as const;

  it('n = max(1, ⌊k·N⌋) tokens with the largest covariance, whatever their advantage sign', () => {
    expect(selectKlCov(...flat(HAND), config()).selected).toEqual([3]); // k = 2e-4 → 1: cov 6 at (1,0), A < 0
    expect(selectKlCov(...flat(HAND), config({ ratio: 0.4 })).selected).toEqual([3, 1]); // 6, 3
    expect(selectKlCov(...flat(HAND), config({ ratio: 0.8 })).selected).toEqual([3, 1, 0, 2]); // 6, 3, 2, −4
    expect(selectKlCov(...flat(HAND), config({ ratio: 1 })).selected).toEqual([3, 1, 0, 2, 4]); // padded slot never
  });

  it('breaks ties by the lower flat index', () => {
    // cov = [1, 5, 1, 5] exactly (A = [1, 1, −1, −1], lp = −8 + [1, 5, −1, −5])
    const lp = [-7, -3, -9, -13];
    const adv = [1, 1, -1, -1];
    expect(selectKlCov(lp, lp, adv, [1, 1, 1, 1], config({ ratio: 0.25 })).selected).toEqual([1]);
    expect(selectKlCov(lp, lp, adv, [1, 1, 1, 1], config({ ratio: 0.75 })).selected).toEqual([1, 3, 0]);
  });

  it('penalises only selected tokens with |δ| above the tolerance', () => {
    const sel = selectKlCov(...flat(HAND), config({ ratio: 0.4 }));
    expect(Array.from(sel.penalised)).toEqual([0, 1, 0, 0, 0, 0]); // (1,0) is selected but has δ = 0
    expect(sel.meanAbsDelta).toBeCloseTo((0.4 + 1.5) / 5, 6);
  });
});

describe('KL-Cov loss through composeLoss (token-mean)', () => {
  it('the hand example: values, gradients and metrics (k = 0.4, β = 1)', () => {
    const out = runCompose(HAND, [new KlCov(config({ ratio: 0.4 }))]);
    const e04 = Math.exp(0.4);
    const e15 = Math.exp(1.5);
    // base −A·ρ everywhere (no clip, no dual clip); (0,1) selected with δ = 0.4: + |0.4|
    const expected = [-2, -2 * e04 + 0.4, -2, 3, 3 * e15];
    for (let i = 0; i < 5; i++) expect(out.tokenLoss[i]).toBeCloseTo(expected[i], 5);
    expect(out.loss).toBeCloseTo(expected.reduce((a, b) => a + b) / 5, 5);
    // gradient: −A·ρ/N, plus β·sign(δ)/N on the penalised token
    const grad = [-2, -2 * e04 + 1, -2, 3, 3 * e15].map((g) => g / 5);
    for (let i = 0; i < 5; i++) expect(out.grad[i]).toBeCloseTo(grad[i], 5);
    expect(out.grad[5]).toBe(0);
    expect(out.metrics['actor/ppo_kl']).toBeCloseTo(0.38, 6); // mean |δ|, not mean(lp_old − lp)
    expect(out.metrics['actor/pg_clipfrac']).toBe(0);
    expect(out.metrics['kl_cov/selected_frac']).toBeCloseTo(0.4, 12);
    expect(out.metrics['kl_cov/penalised_frac']).toBeCloseTo(0.2, 12);
    expect(out.metrics['kl_cov/penalty_mean']).toBeCloseTo(0.4 / 5, 6);
    expect(out.metrics['kl_cov/cov_mean']).toBeCloseTo(0.5, 6);
  });

  it('a negative δ gets the gradient −β; β scales the penalty', () => {
    const doc = { log_probs: [[-1.5, -3]], old_log_probs: [[-1, -3]], advantages: [[1, -1]], mask: [[1, 1]] };
    // cov: Ā = 0, L̄P = −2.25 → [0.75, 0.75]: tie → token 0 (δ = −0.5)
    const out = runCompose(doc, [new KlCov(config({ ratio: 0.5, coef: 0.1 }))]);
    expect(out.tokenLoss[0]).toBeCloseTo(-Math.exp(-0.5) + 0.1 * 0.5, 6);
    expect(out.grad[0]).toBeCloseTo((-Math.exp(-0.5) - 0.1) / 2, 6);
  });

  it('|δ| at or below delta_tol is treated as 0: no penalty value, no gradient', () => {
    const doc = { log_probs: [[-1 + 4e-6, -3]], old_log_probs: [[-1, -3]], advantages: [[1, -1]], mask: [[1, 1]] };
    const tolerant = runCompose(doc, [new KlCov(config({ ratio: 0.5 }))]);
    const strict = runCompose(doc, [new KlCov(config({ ratio: 0.5, delta_tol: 0 }))]);
    const rho = Math.exp(Math.fround(-1 + 4e-6) - -1);
    expect(tolerant.grad[0]).toBeCloseTo(-rho / 2, 7);
    expect(strict.grad[0]).toBeCloseTo((-rho + 1) / 2, 7); // a full-size β gradient from float noise
    expect(strict.metrics['kl_cov/penalised_frac']).toBe(0.5);
    expect(tolerant.metrics['kl_cov/penalised_frac']).toBe(0);
  });

  it('on-policy (lp_old = lp) it is exactly unclipped vanilla PG: value and gradient', () => {
    const onPolicy = { ...HAND, old_log_probs: HAND.log_probs };
    const out = runCompose(onPolicy, [new KlCov(config({ ratio: 1, delta_tol: 0 }))]);
    // the reference: token-mean of −A·exp(lp − lp_old), by tf.grad
    const input = parseLossBatch(onPolicy, 'ref');
    const mask = tf.tensor1d(input.batch.mask);
    const f = (x: tf.Tensor) =>
      tf.div(
        tf.sum(
          tf.mul(
            tf.mul(
              tf.neg(tf.tensor1d(input.batch.advantages)),
              tf.exp(tf.sub(x, tf.tensor1d(input.batch.oldLogProbs))),
            ),
            mask,
          ),
        ),
        5,
      ) as tf.Scalar;
    const lp = tf.tensor1d(input.logProbs);
    const refLoss = f(lp).dataSync()[0];
    const refGrad = tf.grad(f)(lp).dataSync();
    expect(out.loss).toBe(refLoss);
    expect(Array.from(out.grad, (g) => g + 0)).toEqual(Array.from(refGrad, (g) => g + 0)); // + 0: −0 → 0
    expect(out.metrics['kl_cov/selected_frac']).toBe(1);
    expect(out.metrics['actor/ppo_kl']).toBe(0);
    tf.dispose([mask, lp]);
  });
});

describe('warnings', () => {
  it('says it is a no-op with one epoch and one mini-batch, and only then', () => {
    const reg = new KlCov(config());
    expect(reg.warnings({ epochs: 1, miniBatches: 1, totalSteps: 10 })).toHaveLength(1);
    expect(reg.warnings({ epochs: 1, miniBatches: 1, totalSteps: 10 })[0]).toMatch(/on-policy/);
    expect(reg.warnings({ epochs: 2, miniBatches: 1, totalSteps: 10 })).toEqual([]);
    expect(reg.warnings({ epochs: 1, miniBatches: 4, totalSteps: 10 })).toEqual([]);
  });
});

describe('in the trainer', () => {
  const read = (dir: string) =>
    fs
      .readFileSync(path.join(tmp, dir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, number>);

  it('trains 3 gridworld steps with the shipped config and logs its metrics', async () => {
    await train(loadConfig('configs/kl-cov.yaml', ['steps=3']), { runDir: path.join(tmp, 'shipped'), log: () => {} });
    const lines = read('shipped');
    expect(lines).toHaveLength(3);
    for (const m of lines) {
      expect(m['actor/ppo_kl']).toBeGreaterThan(0); // mean |δ| over 2 epochs × 2 mini-batches
      expect(m['kl_cov/selected_frac']).toBeGreaterThan(0);
      expect(m['kl_cov/selected_frac']).toBeLessThanOrEqual(0.02);
      // the first mini-batch of each step is on-policy (δ = 0): its selected tokens are not penalised
      expect(m['kl_cov/penalised_frac']).toBeGreaterThan(0);
      expect(m['kl_cov/penalised_frac']).toBeLessThan(m['kl_cov/selected_frac']);
      expect(m['kl_cov/penalty_mean']).toBeGreaterThanOrEqual(0);
      expect(Number.isFinite(m['kl_cov/cov_mean'])).toBe(true);
    }
  }, 30_000);

  it('with one epoch and one mini-batch a run is identical to vanilla GRPO, and warns once', async () => {
    const sets = ['steps=3', 'grpo.epochs=1', 'grpo.mini_batches=1'];
    const warnings: string[] = [];
    await train(
      loadConfig('configs/kl-cov.yaml', [...sets, 'regularizers=[{name: kl_cov, ratio: 0.5, delta_tol: 0}]']),
      {
        runDir: path.join(tmp, 'on-policy'),
        log: (l) => warnings.push(l),
      },
    );
    await train(loadConfig('configs/kl-cov.yaml', [...sets, 'regularizers=[]']), {
      runDir: path.join(tmp, 'vanilla'),
      log: () => {},
    });
    expect(warnings.filter((l) => l.includes('warning: kl_cov'))).toHaveLength(1);
    const kl = read('on-policy');
    const vanilla = read('vanilla');
    for (let s = 0; s < 3; s++) {
      // on-policy ρ = 1: neither the PPO clip nor the dual clip bites, so vanilla is unclipped PG too
      expect(kl[s]['kl_cov/penalised_frac']).toBe(0);
      for (const [k, v] of Object.entries(vanilla[s])) {
        if (k.startsWith('perf/') || k === 'actor/ppo_kl') continue;
        expect(kl[s][k], `step ${s + 1} ${k}`).toBe(v);
      }
    }
  }, 30_000);
});
