// Entropy-balanced PO (loss part) against hand-worked values: the stop-gradient upper clip's value and
// per-token gradient in every case of the table (tf.grad), vanilla mode ≡ PPO-clip, the z-score
// advantage factors, the clip metrics, the policyLoss hook, and gridworld runs.
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  EntropyBalanced,
  entropyAdvantageFactors,
  entropyBalancedSchema,
  entropyBalancedStats,
  entropyBalancedTokenLoss,
} from '../../algorithms/entropy-balanced.ts';
import { ppoClipTokenLoss } from '../../algorithms/grpo.ts';
import type { PolicyLossResult } from '../../algorithms/regularizer.ts';
import { Rng } from '../../src/base/rng.ts';
import { loadConfig } from '../../src/config/load.ts';
import { parseLossBatch } from '../../src/loss/loss-batch.ts';
import { loadCheckpoint } from '../../src/run/checkpoint.ts';
import { train } from '../../src/train/trainer.ts';
import { readJsonl, tempDir, tokenContext } from '../helpers.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const opts = { clipRatioLow: 0.2, clipRatioHigh: 0.2, clipRatioC: 3 };
const ln = Math.log;

/** Per-token loss values and d(Σ loss)/d lp, with lp_old chosen so that ρ = ratio. */
function lossAndGrad(ratios: number[], advantages: number[], stopGradient: boolean, lp = ratios.map(() => ln(0.3))) {
  const old = tf.tensor1d(lp.map((x, i) => x - ln(ratios[i])));
  const a = tf.tensor1d(advantages);
  const lpT = tf.tensor1d(lp);
  const detached = tf.tensor1d(lpT.dataSync());
  const f = (x: tf.Tensor) => entropyBalancedTokenLoss(x as tf.Tensor1D, detached, old, a, opts, stopGradient);
  const value = Array.from(f(lpT).dataSync());
  const grad = Array.from(
    tf
      .grad((x: tf.Tensor) => tf.sum(f(x)))(lpT)
      .dataSync(),
  );
  return { value, grad };
}

describe('stop-gradient upper clip (ε_l = ε_h = 0.2, c = 3)', () => {
  it('(a) A = +1, ρ = 1.5: value −1.2 and gradient −1.2 (vanilla: −1.2 and 0)', () => {
    const sg = lossAndGrad([1.5], [1], true);
    expect(sg.value[0]).toBeCloseTo(-1.2, 6);
    expect(sg.grad[0]).toBeCloseTo(-1.2, 6);
    const vanilla = lossAndGrad([1.5], [1], false);
    expect(vanilla.value[0]).toBeCloseTo(-1.2, 6);
    expect(vanilla.grad[0]).toBe(0);
  });

  it('(b) A = +1, ρ = 1.1: value −1.1, gradient −A·ρ = −1.1 in both modes', () => {
    for (const mode of [true, false]) {
      const r = lossAndGrad([1.1], [1], mode);
      expect(r.value[0]).toBeCloseTo(-1.1, 6);
      expect(r.grad[0]).toBeCloseTo(-1.1, 6);
    }
  });

  it('(c) A = −1, ρ = 0.5: value 0.8, gradient 0 (the lower clip stays hard)', () => {
    const r = lossAndGrad([0.5], [-1], true);
    expect(r.value[0]).toBeCloseTo(0.8, 6);
    expect(r.grad[0]).toBe(0);
  });

  it('(d) A = −1, ρ = 1.5: value 1.5, gradient +1.5 (unclipped branch, as vanilla)', () => {
    const r = lossAndGrad([1.5], [-1], true);
    expect(r.value[0]).toBeCloseTo(1.5, 6);
    expect(r.grad[0]).toBeCloseTo(1.5, 6);
  });

  it('dual clip: A = −2, ρ = 4: value −A·c = 6, gradient 0', () => {
    const r = lossAndGrad([4], [-2], true);
    expect(r.value[0]).toBeCloseTo(6, 5);
    expect(r.grad[0]).toBe(0);
  });

  it('A = +1, ρ = 0.5: the unclipped branch wins, gradient −A·ρ = −0.5', () => {
    const r = lossAndGrad([0.5], [1], true);
    expect(r.value[0]).toBeCloseTo(-0.5, 6);
    expect(r.grad[0]).toBeCloseTo(-0.5, 6);
  });

  it('per token on a mixed batch: only A > 0 tokens above 1 + ε_h differ from PPO-clip, by −(1 + ε_h)·A', () => {
    const rng = new Rng('eb-mixed');
    const ratios = Array.from({ length: 40 }, () => Math.exp(0.8 * rng.normal()));
    const adv = ratios.map(() => (rng.next() < 0.5 ? -1 : 1) * (0.2 + 2 * rng.next()));
    const lp = ratios.map(() => ln(0.05 + 0.9 * rng.next()));
    const sg = lossAndGrad(ratios, adv, true, lp);
    const old = tf.tensor1d(lp.map((x, i) => x - ln(ratios[i])));
    const ref = tf
      .grad((x: tf.Tensor) => tf.sum(ppoClipTokenLoss(x as tf.Tensor1D, old, tf.tensor1d(adv), opts)))(tf.tensor1d(lp))
      .dataSync();
    let changed = 0;
    for (let i = 0; i < ratios.length; i++) {
      if (adv[i] > 0 && ratios[i] > 1.2) {
        changed += 1;
        expect(ref[i]).toBe(0);
        expect(sg.grad[i]).toBeCloseTo(-1.2 * adv[i], 5);
      } else {
        expect(sg.grad[i]).toBeCloseTo(ref[i], 5);
      }
    }
    expect(changed).toBeGreaterThan(3);
  });

  it('vanilla mode is PPO-clip (values and gradients) when the log-ratio is within ±20', () => {
    const rng = new Rng('eb-vanilla');
    const ratios = Array.from({ length: 30 }, () => Math.exp(rng.normal()));
    const adv = ratios.map(() => rng.normal());
    const lp = ratios.map(() => ln(0.5));
    const mine = lossAndGrad(ratios, adv, false, lp);
    const old = tf.tensor1d(lp.map((x, i) => x - ln(ratios[i])));
    const lpT = tf.tensor1d(lp);
    const refValue = ppoClipTokenLoss(lpT, old, tf.tensor1d(adv), opts).dataSync();
    const refGrad = tf
      .grad((x: tf.Tensor) => tf.sum(ppoClipTokenLoss(x as tf.Tensor1D, old, tf.tensor1d(adv), opts)))(lpT)
      .dataSync();
    for (let i = 0; i < ratios.length; i++) {
      expect(mine.value[i]).toBeCloseTo(refValue[i], 6);
      expect(mine.grad[i]).toBeCloseTo(refGrad[i], 6);
    }
  });
});

describe('entropy-aware advantage factor 1 + κ·z(H)', () => {
  it('H = [1, 2, 3]: unbiased std 1, factors [0.8, 1, 1.2]; padded slots ignored and left at 1', () => {
    const r = entropyAdvantageFactors([1, 9, 2, 3], [1, 0, 1, 1], 0.2, true);
    expect(Array.from(r.factors)).toEqual([0.8, 1, 1, 1.2].map(Math.fround));
    expect(r.zAbsMean).toBeCloseTo(2 / 3, 12);
    expect(r.clamped).toBe(0);
  });

  it('constant H, or fewer than two valid tokens: all factors 1 (no NaN)', () => {
    expect(Array.from(entropyAdvantageFactors([0.7, 0.7, 0.7], [1, 1, 1], 0.2, true).factors)).toEqual([1, 1, 1]);
    expect(Array.from(entropyAdvantageFactors([0.7, 0.1], [1, 0], 0.2, true).factors)).toEqual([1, 1]);
  });

  it('a factor below 0 is clamped (and counted) unless clamp_factor is off', () => {
    // 30 tokens at H = 1 and one at H = 0: the outlier sits at z = −mean/σ ≈ −5.48
    const H = [...new Array(30).fill(1), 0];
    const mask = H.map(() => 1);
    const mean = 30 / 31;
    const std = Math.sqrt((30 * (1 - mean) ** 2 + mean ** 2) / 30);
    const zOut = -mean / std;
    expect(zOut).toBeLessThan(-5); // 1 + 0.2·z < 0
    const on = entropyAdvantageFactors(H, mask, 0.2, true);
    expect(on.factors[30]).toBe(0);
    expect(on.clamped).toBe(1);
    const off = entropyAdvantageFactors(H, mask, 0.2, false);
    expect(off.factors[30]).toBeCloseTo(1 + 0.2 * zOut, 6);
    expect(off.clamped).toBe(0);
  });
});

describe('clip metrics', () => {
  it('counts v > u, the dual cap, and the A > 0 tokens above the band', () => {
    // tokens: (ρ, A) = (1.5, +1) upper-clipped pos; (0.5, −1) clipped; (4, −2) dual-capped; (1.0, +1) none; padded
    const ratios = [1.5, 0.5, 4, 1, 7];
    const lp = ratios.map(() => ln(0.3));
    const old = lp.map((x, i) => x - ln(ratios[i]));
    const s = entropyBalancedStats(lp, old, [1, -1, -2, 1, 5], [1, 1, 1, 1, 0], opts);
    expect(s.pgClipfrac).toBeCloseTo(2 / 4, 12);
    expect(s.pgClipfracLower).toBeCloseTo(1 / 4, 12);
    expect(s.upperClippedPos).toBeCloseTo(1 / 4, 12);
    expect(s.ppoKl).toBeCloseTo(-(ln(1.5) + ln(0.5) + ln(4)) / 4, 6);
  });
});

describe('the entropy_balanced regularizer', () => {
  // T1's four cases as one row: (ρ, A) = (1.5, +1), (1.1, +1), (0.5, −1), (1.5, −1), plus a padded slot
  const ratios = [1.5, 1.1, 0.5, 1.5, 1];
  const lp = ratios.map(() => ln(0.3));
  const doc = (entropy: number[]) => ({
    log_probs: [lp],
    old_log_probs: [lp.map((x, i) => x - ln(ratios[i]))],
    advantages: [[1, 1, -1, -1, 0]],
    mask: [[1, 1, 1, 1, 0]],
    entropy: [entropy],
  });

  function hook(config: object, entropy: number[]) {
    const input = parseLossBatch(doc(entropy), 'test');
    const reg = new EntropyBalanced(entropyBalancedSchema.parse(config));
    const ctx = tokenContext(
      input.batch,
      { step: 0, totalSteps: 1, rng: new Rng('x'), promptsPerStep: 1, groupSize: 1 },
      { logProbs: input.logProbs, entropy: input.entropy },
    );
    const x = tf.tensor1d(input.logProbs);
    let result: PolicyLossResult | undefined;
    const f = (t: tf.Tensor) => {
      result = reg.policyLoss(ctx, {
        logProbs: t as tf.Tensor1D,
        entropy: tf.tensor1d(input.entropy),
        mask: tf.tensor1d(input.batch.mask),
        aggregate: (v) => tf.sum(v),
      });
      return tf.sum(result.value);
    };
    const grad = Array.from(tf.grad(f)(x).dataSync());
    const metrics: Record<string, number> = { ...result!.metrics, ...result!.actor };
    return { grad, metrics, selection: result!.selection };
  }

  it('per-token gradients of the four cases, advantage factor off', () => {
    const { grad, metrics, selection } = hook({ advantage_mode: 'off' }, [1, 1, 1, 1, 0]);
    [-1.2, -1.1, 0, 1.5, 0].forEach((want, i) => expect(grad[i]).toBeCloseTo(want, 5));
    expect(selection?.tokens).toEqual([0]);
    expect(metrics.frac_upper_clipped_pos).toBeCloseTo(1 / 4, 12);
    expect(metrics.pgClipfrac).toBeCloseTo(2 / 4, 12);
    expect(metrics.adv_factor_mean).toBe(1);
  });

  it('the z-score factor multiplies each token gradient: H = [1, 2, 3, 4] → factors 1 + 0.2·z', () => {
    // mean 2.5, unbiased std √(5/3): z = [−1.5, −0.5, 0.5, 1.5]/1.29099
    const { grad, metrics } = hook({}, [1, 2, 3, 4, 99]);
    const z = [-1.5, -0.5, 0.5, 1.5].map((d) => d / Math.sqrt(5 / 3));
    [-1.2, -1.1, 0, 1.5].forEach((base, i) => expect(grad[i]).toBeCloseTo(base * (1 + 0.2 * z[i]), 5));
    expect(grad[4] + 0).toBe(0);
    expect(metrics.adv_factor_min).toBeCloseTo(1 + 0.2 * z[0], 6);
    expect(metrics.adv_factor_max).toBeCloseTo(1 + 0.2 * z[3], 6);
    expect(metrics.H_z_abs_mean).toBeCloseTo((2 * (1.5 + 0.5)) / 4 / Math.sqrt(5 / 3), 6);
  });

  const run = async (sets: string[]) => {
    const dir = tempDir('entrolab-entropy-balanced-');
    await train(loadConfig('configs/entropy-balanced.yaml', ['steps=3', ...sets]), {
      runDir: dir,
      log: () => {},
    });
    return {
      rows: readJsonl(path.join(dir, 'metrics.jsonl')),
      weights: JSON.stringify(loadCheckpoint(dir).policy.weights),
    };
  };

  it('vanilla clip, factor off: exactly GRPO; the default keeps gradients above the band', async () => {
    const grpo = await run(['regularizers=[]']);
    const vanilla = await run(['regularizers.0.clip_mode=vanilla', 'regularizers.0.advantage_mode=off']);
    expect(vanilla.weights).toBe(grpo.weights);
    for (const key of ['actor/pg_loss', 'actor/pg_clipfrac', 'actor/pg_clipfrac_lower', 'actor/ppo_kl']) {
      vanilla.rows.forEach((r, i) => expect(r[key]).toBeCloseTo(grpo.rows[i][key], 6));
    }
    // 6 epochs over the same rollout push ratios past 1 + ε_h
    const on = await run(['grpo.epochs=6']);
    expect(Math.max(...on.rows.map((r) => r['entropy_balanced/frac_upper_clipped_pos']))).toBeGreaterThan(0);
    expect(on.weights).not.toBe(grpo.weights);
  }, 60_000);
});
