// Archer (algorithms/archer.ts, docs/archer.md): the per-row entropy split with the strict quantile,
// per-token clip bounds and their gradient (T1), the KL split with separate denominators (T2), ties
// (T3) and the empty-set and NaN-prone cases, all through `entrolab loss`; and gridworld runs: with
// GRPO's bounds and no KL it trains exactly like GRPO, and the shipped config logs a sane split.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { archerSchema } from '../../algorithms/archer.ts';
import { selectBackend } from '../../src/backend/backend.ts';
import type { UserError } from '../../src/base/errors.ts';
import { loadConfig } from '../../src/config/load.ts';
import { loadLossConfig } from '../../src/config/loss-config.ts';
import { parseLossBatch } from '../../src/loss/loss-batch.ts';
import { computeLoss } from '../../src/loss/loss-check.ts';
import { loadCheckpoint } from '../../src/run/checkpoint.ts';
import { train } from '../../src/train/trainer.ts';
import { readJsonl, tempDir } from '../helpers.ts';

beforeAll(async () => {
  await selectBackend('wasm');
});

const loss = (doc: object, sets: string[]) =>
  computeLoss(parseLossBatch(doc, 'b.json'), loadLossConfig(undefined, sets));
const reg = (keys = '') => `regularizers=[{name: archer${keys ? `, ${keys}` : ''}}]`;

// T1: one row, H = [0.1, 0.2, 0.3, 0.4, 1.0] (q = 0.52 → high = {4}); A = +1; ρ = 1.3 on tokens 3, 4
const lp0 = Math.log(0.5);
const T1 = {
  log_probs: [[lp0, lp0, lp0, lp0 + Math.log(1.3), lp0 + Math.log(1.3)]],
  old_log_probs: [[lp0, lp0, lp0, lp0, lp0]],
  advantages: [[1, 1, 1, 1, 1]],
  mask: [[1, 1, 1, 1, 1]],
  entropy: [[0.1, 0.2, 0.3, 0.4, 1.0]],
  // lp − lp_ref = 0.1 on every token (T2)
  ref_log_probs: [[lp0 - 0.1, lp0 - 0.1, lp0 - 0.1, lp0 + Math.log(1.3) - 0.1, lp0 + Math.log(1.3) - 0.1]],
};

describe('T1: split and per-token clip (hand)', () => {
  it('token 3 (low) is clipped at 1.2 (gradient 0); token 4 (high) stays at 1.3 inside 1.5 (gradient −1.3/5)', () => {
    const out = loss(T1, [reg('kl_coef: 0')]);
    expect(out.selections.archer.tokens).toEqual([[0, 4]]);
    const tl = out.token_loss[0];
    [-1, -1, -1, -1.2, -1.3].forEach((v, t) => expect(tl[t], `t=${t}`).toBeCloseTo(v, 5));
    expect(out.loss).toBeCloseTo((-3 - 1.2 - 1.3) / 5, 5);
    [-0.2, -0.2, -0.2, 0, -0.26].forEach((g, t) => expect(out.grad_log_probs[0][t], `t=${t}`).toBeCloseTo(g, 5));
    expect(out.metrics['archer/frac_high']).toBeCloseTo(0.2, 6);
    expect(out.metrics['archer/clipfrac_low']).toBeCloseTo(0.25, 6);
    expect(out.metrics['archer/clipfrac_high']).toBe(0);
    expect(out.metrics['actor/pg_clipfrac']).toBeCloseTo(0.2, 6);
    expect(out.metrics['archer/high_entropy_mean']).toBeCloseTo(1, 6);
  });

  it('with GRPO-wide bounds on both sets the loss is the core PPO-clip, token by token', () => {
    const same = loss(T1, [reg('kl_coef: 0, low_clip: [0.2, 0.28], high_clip: [0.2, 0.28]')]);
    const core = loss(T1, ['grpo.clip_ratio_high=0.28']);
    expect(same.token_loss).toEqual(core.token_loss);
    expect(same.grad_log_probs).toEqual(core.grad_log_probs);
  });
});

describe('T2–T3: the KL split and ties', () => {
  const k3 = Math.exp(-0.1) - 1 + 0.1; // 0.0048374

  it('T2: KL_L = KL_H = k3 (each a mean over its own set); the loss adds kl_coef·KL_L + kl_high_coef·KL_H', () => {
    const base = loss(T1, [reg('kl_coef: 0')]);
    const out = loss(T1, [reg('kl_coef: 0.1, kl_high_coef: 0.5')]);
    expect(out.metrics['archer/kl_low']).toBeCloseTo(k3, 6);
    expect(out.metrics['archer/kl_high']).toBeCloseTo(k3, 6);
    expect(out.loss - base.loss).toBeCloseTo(0.1 * k3 + 0.5 * k3, 6);
  });

  it('T3: all-equal entropies → no high token; KL_H = 0; the loss is PPO with clip 0.2 everywhere', () => {
    const flat = { ...T1, entropy: [[0.5, 0.5, 0.5, 0.5, 0.5]] };
    const out = loss(flat, [reg('kl_high_coef: 1')]);
    expect(out.selections.archer.tokens).toEqual([]);
    expect(out.metrics['archer/kl_high']).toBe(0);
    expect(out.metrics['archer/rows_without_high']).toBe(1);
    [-1, -1, -1, -1.2, -1.2].forEach((v, t) => expect(out.token_loss[0][t]).toBeCloseTo(v, 5));
  });

  it('seq-mean-token-mean with a row without high tokens: KL_H averages the other rows, no NaN (the code: NaN)', () => {
    const two = {
      log_probs: [
        [lp0, lp0, lp0],
        [lp0, lp0, 0],
      ],
      old_log_probs: [
        [lp0, lp0, lp0],
        [lp0, lp0, 0],
      ],
      advantages: [
        [1, 1, 1],
        [-1, -1, 0],
      ],
      mask: [
        [1, 1, 1],
        [1, 1, 0],
      ],
      // row 0: q = 0.46 → token 2 high; row 1: ties → none
      entropy: [
        [0.1, 0.3, 0.9],
        [0.4, 0.4, 0],
      ],
      ref_log_probs: [
        [lp0 - 0.1, lp0 - 0.1, lp0 - 0.3],
        [lp0 - 0.2, lp0 - 0.2, 0],
      ],
    };
    const out = loss(two, [reg('kl_coef: 1, kl_high_coef: 1'), 'grpo.loss_agg_mode=seq-mean-token-mean']);
    const k = (d: number) => Math.exp(-d) - 1 + d;
    expect(out.metrics['archer/kl_high']).toBeCloseTo(k(0.3), 6);
    expect(out.metrics['archer/kl_low']).toBeCloseTo((k(0.1) + k(0.2)) / 2, 6);
    expect(Number.isFinite(out.loss)).toBe(true);
  });

  it('a one-token row is all low, a fully masked batch gives 0; without ref_log_probs the command says so', () => {
    const one = { ...T1, mask: [[1, 0, 0, 0, 0]] };
    expect(loss(one, [reg()]).selections.archer.tokens).toEqual([]);
    const none = loss({ ...T1, mask: [[0, 0, 0, 0, 0]] }, [reg('kl_high_coef: 1')]);
    expect(none.loss).toBe(0);
    for (const v of Object.values(none.metrics)) expect(Number.isFinite(v)).toBe(true);
    const { ref_log_probs: _r, ...noRef } = T1;
    let message = '';
    try {
      loss(noRef, [reg()]);
    } catch (e) {
      message = (e as UserError).message;
    }
    expect(message).toBe(
      "batch: regularizer 'archer' needs it but the batch has no 'ref_log_probs' ([B][L] log-probs under the reference policy)",
    );
  });

  it('keys: bounds are [ε_low, ε_high] pairs; archer replaces the policy loss, so clip_cov cannot join it', () => {
    expect(archerSchema.parse({}).high_clip).toEqual([0.5, 0.5]);
    expect(archerSchema.safeParse({ low_clip: [0.2] }).success).toBe(false);
    expect(() => loadLossConfig(undefined, ['regularizers=[{name: archer}, {name: clip_cov}]'])).toThrow(
      /archer and clip_cov both replace the policy loss/,
    );
  });
});

describe('archer on the gridworld (configs/archer.yaml)', () => {
  const run = async (sets: string[]) => {
    const dir = tempDir('entrolab-archer-');
    await train(loadConfig('configs/archer.yaml', ['steps=3', ...sets]), { runDir: dir, log: () => {} });
    return {
      rows: readJsonl(path.join(dir, 'metrics.jsonl')),
      weights: JSON.stringify(loadCheckpoint(dir).policy.weights),
    };
  };
  // archer keeps the reference policy, so its rows also log the entropy profile's KL to it
  const core = (rows: Record<string, number>[]) =>
    rows.map((r) =>
      Object.entries(r).filter(
        ([k]) => !k.startsWith('perf/') && !k.startsWith('archer/') && !k.startsWith('entropy/kl_ref'),
      ),
    );

  it("with GRPO's bounds on both sets and no KL it trains exactly like GRPO", async () => {
    const grpo = await run(['regularizers=[]']);
    const same = await run([
      'regularizers.0.low_clip=[0.2, 0.28]',
      'regularizers.0.high_clip=[0.2, 0.28]',
      'regularizers.0.kl_coef=0',
    ]);
    expect(same.weights).toBe(grpo.weights);
    expect(core(same.rows)).toEqual(core(grpo.rows));
  });

  it('the shipped config: about a fifth of each episode is high-entropy, KLs are small and non-negative', async () => {
    const { rows } = await run([]);
    for (const r of rows) {
      expect(r['archer/frac_high']).toBeGreaterThan(0.05);
      expect(r['archer/frac_high']).toBeLessThan(0.25);
      expect(r['archer/kl_low']).toBeGreaterThanOrEqual(0);
      expect(r['archer/high_entropy_mean']).toBeGreaterThan(r['archer/low_entropy_mean']);
    }
    // the first mini-batch starts at the reference; the policy then moves away from it
    expect(rows[0]['archer/kl_low']).toBeLessThan(rows[rows.length - 1]['archer/kl_low']);
    expect(rows[rows.length - 1]['archer/kl_low']).toBeLessThan(0.05);
  });
});
