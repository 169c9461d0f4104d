// Entropy bonus (verl's "− entropy_coeff · agg(entropy)"; sign as in docs/grpo.md "Sign conventions"): the loss
// term and its gradient by hand, the adaptive controller and its gate, state save/restore, and short
// training runs (metrics, and a resumed run equal to an uninterrupted one).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EntropyBonus, type EntropyBonusConfig, entropyBonusSchema, nextCoef } from '../../algorithms/entropy-bonus.ts';
import type { StepInfo, StepSummary } from '../../algorithms/regularizer.ts';
import { Rng } from '../../src/base/rng.ts';
import { loadConfig } from '../../src/config/load.ts';
import { grpoSchema } from '../../src/config/schema.ts';
import { composeLoss } from '../../src/core/update.ts';
import { parseLossBatch } from '../../src/loss/loss-batch.ts';
import { train } from '../../src/train/trainer.ts';
import { active, stopAfter } from '../helpers.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'entrolab-entropy-bonus-'));
beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const config = (over: Partial<EntropyBonusConfig> = {}): EntropyBonusConfig => entropyBonusSchema.parse(over);
const info: StepInfo = { step: 0, totalSteps: 1, rng: new Rng('t'), promptsPerStep: 1, groupSize: 2 };
const summary = (rolloutEntropy: number, updateEntropy = rolloutEntropy): StepSummary =>
  ({ step: 0, rolloutEntropy, updateEntropy, updateNll: 0, batch: undefined as never }) as StepSummary;

// 2 rows × 3 slots, N = 4 valid tokens; entropies carry the gradient
const DOC = {
  log_probs: [
    [-1, -1, 0],
    [-1, -1, 0],
  ],
  old_log_probs: [
    [-1, -1, 0],
    [-1, -1, 0],
  ],
  advantages: [
    [1, 1, 0],
    [-1, -1, 0],
  ],
  mask: [
    [1, 1, 0],
    [1, 1, 0],
  ],
  entropy: [
    [0.5, 1, 9],
    [1.5, 2, 9],
  ],
};

/** Loss and d loss / d entropy through composeLoss with the given regularizer and grpo settings. */
function lossAndEntropyGrad(reg: EntropyBonus | null, grpoOver: object = {}) {
  const input = parseLossBatch(DOC, 'test');
  const lp = tf.tensor1d(input.logProbs);
  const ent = tf.tensor1d(input.entropy);
  let loss = 0;
  let metrics: Record<string, number> = {};
  const grad = tf.grad((h: tf.Tensor) => {
    const out = composeLoss({
      logProbs: lp,
      entropy: h as tf.Tensor1D,
      batch: input.batch,
      regularizers: reg ? [active('entropy_bonus', reg)] : [],
      grpo: grpoSchema.parse(grpoOver),
      step: info,
      position: { epoch: 0, miniBatch: 0 },
    });
    metrics = out.metrics;
    loss = out.loss.dataSync()[0];
    return tf.add(out.loss, tf.mul(tf.sum(h), 0));
  })(ent);
  const out = { loss, metrics, grad: Array.from(grad.dataSync(), (g) => g + 0) };
  tf.dispose([lp, ent, grad]);
  return out;
}

describe('loss term', () => {
  it('adds −coef·token-mean(H): value and gradient −coef/N on valid tokens', () => {
    const base = lossAndEntropyGrad(null);
    const withBonus = lossAndEntropyGrad(new EntropyBonus(config({ coef: 0.1 })));
    // token-mean of H over valid tokens = (0.5 + 1 + 1.5 + 2)/4 = 1.25 (the 9s are padding)
    expect(withBonus.loss - base.loss).toBeCloseTo(-0.1 * 1.25, 6);
    expect(withBonus.grad).toEqual([-0.025, -0.025, 0, -0.025, -0.025, 0].map(Math.fround));
  });

  it('equals the core grpo.entropy_coeff term with the same coefficient', () => {
    const core = lossAndEntropyGrad(null, { entropy_coeff: 0.1 });
    const reg = lossAndEntropyGrad(new EntropyBonus(config({ coef: 0.1 })));
    expect(reg.loss).toBeCloseTo(core.loss, 7);
    expect(reg.grad).toEqual(core.grad);
  });

  it('follows loss_agg_mode (seq-mean-token-mean: mean of row means)', () => {
    const base = lossAndEntropyGrad(null, { loss_agg_mode: 'seq-mean-token-mean' });
    const out = lossAndEntropyGrad(new EntropyBonus(config({ coef: 1 })), { loss_agg_mode: 'seq-mean-token-mean' });
    expect(out.loss - base.loss).toBeCloseTo(-(0.75 + 1.75) / 2, 6);
  });
});

describe('adaptive controller', () => {
  const cfg = { target: 1, delta: 0.005, min_coef: 0, max_coef: 0.012 };

  it('coef ← clip(coef + delta·sign(target − H), min, max)', () => {
    expect(nextCoef(0.01, 1.2, cfg)).toBeCloseTo(0.005, 15); // above target: down
    expect(nextCoef(0.01, 0.8, cfg)).toBeCloseTo(0.012, 15); // below: up, clipped at max
    expect(nextCoef(0.004, 1.5, cfg)).toBe(0); // clipped at min
    expect(nextCoef(0.01, 1, cfg)).toBe(0.01); // at target: unchanged
  });

  it('gates the bonus off while the last measured entropy is above the target', () => {
    const reg = new EntropyBonus(config({ coef: 0.01, adaptive: true, target: 1, delta: 0.004 }));
    expect(reg.effectiveCoef()).toBe(0.01); // no measurement yet: open
    expect(reg.afterStep(summary(1.3))?.metrics).toEqual({ controller_coef: 0.006, measured_entropy: 1.3 });
    expect(reg.getState()).toEqual({ coef: 0.006, lastEntropy: 1.3 });
    expect(reg.effectiveCoef()).toBe(0); // gate closed
    const base = lossAndEntropyGrad(null);
    const gated = lossAndEntropyGrad(reg);
    expect(gated.loss).toBe(base.loss);
    expect(gated.metrics).toMatchObject({ 'entropy_bonus/coef': 0, 'entropy_bonus/active': 0 });
    reg.afterStep(summary(0.7));
    expect(reg.effectiveCoef()).toBeCloseTo(0.01, 15);
  });

  it('without the gate the (lowered) coefficient still applies', () => {
    const reg = new EntropyBonus(config({ coef: 0.01, adaptive: true, target: 1, delta: 0.004, gate: false }));
    reg.afterStep(summary(1.3));
    expect(reg.effectiveCoef()).toBeCloseTo(0.006, 15);
  });

  it("measures the rollout's entropy by default, or the update's", () => {
    const rollout = new EntropyBonus(config({ adaptive: true, target: 1 }));
    const update = new EntropyBonus(config({ adaptive: true, target: 1, measure: 'update' }));
    rollout.afterStep(summary(1.2, 0.8));
    update.afterStep(summary(1.2, 0.8));
    expect(rollout.getState().coef).toBeLessThan(0.01);
    expect(update.getState().coef).toBeGreaterThan(0.01);
  });

  it('a fixed bonus never changes', () => {
    const reg = new EntropyBonus(config({ coef: 0.02 }));
    reg.afterStep(summary(5));
    expect(reg.effectiveCoef()).toBe(0.02);
  });

  it('restores coefficient and gate from saved state (TRL #6140 review: the gate must survive a resume)', () => {
    const a = new EntropyBonus(config({ adaptive: true, target: 1 }));
    a.afterStep(summary(1.4));
    const b = new EntropyBonus(config({ adaptive: true, target: 1 }));
    b.setState(JSON.parse(JSON.stringify(a.getState())));
    expect(b.getState()).toEqual(a.getState());
    expect(b.effectiveCoef()).toBe(0);
    expect(() => b.setState({ coef: 'x' })).toThrow(/does not match at 'coef'/);
  });

  it('rejects min_coef > max_coef', () => {
    expect(entropyBonusSchema.safeParse({ min_coef: 0.5, max_coef: 0.1 }).success).toBe(false);
  });
});

describe('in the trainer', () => {
  const read = (dir: string) =>
    fs
      .readFileSync(path.join(tmp, dir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, number>);
  const strip = (ls: Record<string, number>[]) =>
    ls.map((m) => Object.fromEntries(Object.entries(m).filter(([k]) => !k.startsWith('perf/'))));

  it('trains with the shipped config, logs its metrics, and a resumed run matches an uninterrupted one', async () => {
    // target above the initial entropy (ln 4) so the controller moves the coefficient up every step
    const sets = [
      'steps=4',
      'checkpoint.every=1',
      'regularizers=[{name: entropy_bonus, coef: 0.01, adaptive: true, target: 1.5, delta: 0.002}]',
    ];
    await train(loadConfig('configs/entropy-bonus.yaml', sets), { runDir: path.join(tmp, 'full'), log: () => {} });
    const full = read('full');
    expect(full.map((m) => m['entropy_bonus/coef'])).toEqual(
      [0.01, 0.012, 0.014, 0.016].map((c) => expect.closeTo(c, 12)),
    );
    for (const m of full) {
      expect(m['entropy_bonus/active']).toBe(1);
      expect(m['entropy_bonus/measured_entropy']).toBeGreaterThan(0);
      expect(m['entropy_bonus/measured_entropy']).toBeLessThanOrEqual(Math.log(4) + 1e-6);
    }
    const cfg = loadConfig('configs/entropy-bonus.yaml', sets);
    await train(cfg, { runDir: path.join(tmp, 'resumed'), log: () => {}, ...stopAfter(2) });
    await train(cfg, { runDir: path.join(tmp, 'resumed'), log: () => {}, resume: true });
    expect(strip(read('resumed'))).toEqual(strip(full));
  }, 30_000);

  it('the shipped config runs as is', async () => {
    await train(loadConfig('configs/entropy-bonus.yaml', ['steps=3']), {
      runDir: path.join(tmp, 'shipped'),
      log: () => {},
    });
    for (const m of read('shipped')) {
      expect(m['entropy_bonus/coef']).toBeGreaterThanOrEqual(0);
      expect(m['entropy_bonus/coef']).toBeLessThanOrEqual(0.05);
      expect(m['entropy_bonus/controller_coef']).toBeLessThanOrEqual(0.05);
    }
  }, 30_000);
});
