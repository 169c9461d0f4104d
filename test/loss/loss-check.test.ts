// src/loss/loss-check.ts (`entrolab loss`): the sampled tokens a method reads come from the batch's
// `actions`, a batch that lacks a field a method needs is one line naming it, the current
// log-distribution reaches the tape from `log_policy` with its gradient, and each loss hook runs once.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineRegularizer } from '../../algorithms/regularizer.ts';
import { loadLossConfig } from '../../src/config/loss-config.ts';
import { parseLossBatch } from '../../src/loss/loss-batch.ts';
import { computeLoss } from '../../src/loss/loss-check.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const ln = Math.log;
const errorOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
};

describe('Clip_V reads the sampled token from `actions`', () => {
  // Every slot has π_old = (0.8, 0.15, 0.05), so H = 0.61287, S_k = p_k(H + ln p_k) = (0.31178, −0.19264,
  // −0.11914), E[S] = Σ p_v²(H + ln p_v) = 0.21457 and D_k = E[S] − S_k = (−0.09721, 0.40721, 0.33371).
  // Row 0 (A = −1) sampled tokens 2, 0, 1, 0 → D = (0.33371, −0.09721, 0.40721, −0.09721); row 1 (A = +1)
  // sampled 0, 2, 0, 1. σ_D over the 8 tokens = 0.23527, so μ = 1 drops the A < 0 tokens with D > 0.23527:
  // (0, 0) and (0, 2). Reading token 0 everywhere (what the loss command did without `actions`) makes D
  // constant, σ_D = 0, and drops nothing.
  const dist = [ln(0.8), ln(0.15), ln(0.05)];
  const doc = {
    log_probs: [
      [ln(0.05), ln(0.8), ln(0.15), ln(0.8)],
      [ln(0.8), ln(0.05), ln(0.8), ln(0.15)],
    ],
    old_log_probs: [
      [ln(0.05), ln(0.8), ln(0.15), ln(0.8)],
      [ln(0.8), ln(0.05), ln(0.8), ln(0.15)],
    ],
    advantages: [
      [-1, -1, -1, -1],
      [1, 1, 1, 1],
    ],
    mask: [
      [1, 1, 1, 1],
      [1, 1, 1, 1],
    ],
    old_log_policy: [0, 1].map(() => [0, 1, 2, 3].map(() => dist)),
  };
  const actions = [
    [2, 0, 1, 0],
    [0, 2, 0, 1],
  ];
  const config = loadLossConfig(undefined, ['regularizers=[{name: entropy_clip, variant: vocab, mu: 1, max_frac: 1}]']);
  const prepared = (batch: object) => computeLoss(parseLossBatch(batch, 'b.json'), config, { prepare: true });

  it('drops the tokens the hand computation drops', () => {
    const out = prepared({ ...doc, actions });
    expect(out.prepared!.mask).toEqual([
      [0, 1, 0, 1],
      [1, 1, 1, 1],
    ]);
    expect(out.selections.entropy_clip.tokens).toEqual([
      [0, 0],
      [0, 2],
    ]);
    expect(out.metrics['entropy_clip/D_std']).toBeCloseTo(0.23527, 5);
  });

  it('token 0 everywhere (the old reading) gives the wrong, empty selection', () => {
    const zeros = actions.map((row) => row.map(() => 0));
    expect(prepared({ ...doc, actions: zeros }).prepared!.mask).toEqual(doc.mask);
  });

  it('without `actions` it is one line naming the field', () => {
    const message = errorOf(() => prepared(doc));
    expect(message).toBe(
      "batch: field 'actions' is required: regularizer 'entropy_clip' reads the sampled token of each slot " +
        '(a [B][L] array of integers, the index of the token taken at each slot)',
    );
    // STEER's first-order estimator reads it in a loss hook, so even without --prepare
    const steer = loadLossConfig(undefined, ['regularizers=[{name: steer, estimator: first_order}]']);
    expect(errorOf(() => computeLoss(parseLossBatch(doc, 'b.json'), steer))).toMatch(
      /^batch: field 'actions' is required: regularizer 'steer' reads/,
    );
    // a method that never reads it does not ask for it
    expect(() => computeLoss(parseLossBatch(doc, 'b.json'), config)).not.toThrow();
  });

  it('an action outside the distribution is one line naming the entry', () => {
    const bad = [
      [2, 0, 3, 0],
      [0, 2, 0, 1],
    ];
    expect(errorOf(() => parseLossBatch({ ...doc, actions: bad }, 'b.json'))).toBe(
      "b.json: field 'actions' must hold token indices 0 <= a < 3 (the last dimension of 'old_log_policy'); " +
        '[0][2] is 3',
    );
  });
});

// Σ_v p_v² per slot, aggregated like the PG loss: d/dz_k = 2·p_k·(p_k − Σ p²) per slot, over N.
defineRegularizer({
  name: 'test_collision',
  summary: 'collision probability of the current distribution (test only)',
  schema: z.object({}).strict(),
  needsLogPolicy: true,
  create: () => ({
    lossTerm: (ctx, taped) => ({
      value: taped.aggregate(tf.sum(tf.square(tf.exp(taped.logPolicy!)), 1) as tf.Tensor1D),
      metrics: { p0: Math.exp(ctx.logPolicy![0]) },
    }),
  }),
});

describe('the current log-distribution on the tape (log_policy)', () => {
  // one row, slots 0 and 1 valid: p = (0.5, 0.25, 0.25) and (0.2, 0.3, 0.5); advantages 0, so only the term
  const doc = {
    log_probs: [[ln(0.5), ln(0.5), ln(1 / 3)]],
    old_log_probs: [[ln(0.5), ln(0.5), ln(1 / 3)]],
    advantages: [[0, 0, 0]],
    mask: [[1, 1, 0]],
    actions: [[0, 2, 0]],
    log_policy: [
      [
        [ln(0.5), ln(0.25), ln(0.25)],
        [ln(0.2), ln(0.3), ln(0.5)],
        [ln(1 / 3), ln(1 / 3), ln(1 / 3)],
      ],
    ],
  };
  const config = loadLossConfig(undefined, ['regularizers=[{name: test_collision}]']);

  it('value and gradient d loss / d z by hand', () => {
    const out = computeLoss(parseLossBatch(doc, 'b.json'), config);
    // Σp² = 0.375 and 0.38, token-mean over 2
    expect(out.loss).toBeCloseTo(0.3775, 6);
    expect(out.metrics['test_collision/p0']).toBeCloseTo(0.5, 6);
    // p_k·(p_k − Σp²): (0.0625, −0.03125, −0.03125), (−0.036, −0.024, 0.06), the padded slot 0
    const expected = [
      [0.0625, -0.03125, -0.03125],
      [-0.036, -0.024, 0.06],
      [0, 0, 0],
    ];
    out.grad_log_policy![0].forEach((slot, t) => {
      slot.forEach((g, k) => expect(g, `[0][${t}][${k}]`).toBeCloseTo(expected[t][k], 6));
    });
    expect(out.grad_log_probs).toEqual([[0, 0, 0]]);
  });

  it('is printed for any batch that has it, and asked for by name when a method needs it', () => {
    const plain = computeLoss(parseLossBatch(doc, 'b.json'), loadLossConfig(undefined, []));
    expect(plain.grad_log_policy).toEqual([[0, 1, 2].map(() => [0, 0, 0])]);
    const { log_policy: _lp, ...without } = doc;
    expect(errorOf(() => computeLoss(parseLossBatch(without, 'b.json'), config))).toBe(
      "batch: field 'log_policy' is required: regularizer 'test_collision' reads the current log-distribution " +
        "(a [B][L][A] array, with 'actions'; 'log_probs' is its entry at the taken action)",
    );
    expect(computeLoss(parseLossBatch(without, 'b.json'), loadLossConfig(undefined, [])).grad_log_policy).toBe(
      undefined,
    );
  });

  it('needs actions, and log_probs equal to its entry at the action', () => {
    const { actions: _a, ...noActions } = doc;
    expect(errorOf(() => parseLossBatch(noActions, 'b.json'))).toBe(
      "b.json: field 'actions' is required with 'log_policy': a [B][L] array of integers, the token taken at each slot",
    );
    expect(errorOf(() => parseLossBatch({ ...doc, actions: [[0, 1, 0]] }, 'b.json'))).toMatch(
      /^b\.json: field 'log_probs' must equal 'log_policy' at the taken action; at \[0\]\[1\] it is -0\.69314/,
    );
    const unnormalised = { ...doc, log_policy: [[doc.log_policy[0][0], [0, 0, 0], doc.log_policy[0][2]]] };
    expect(errorOf(() => parseLossBatch(unnormalised, 'b.json'))).toBe(
      "b.json: field 'log_policy' must hold log-distributions; the probabilities at [0][1] sum to 3",
    );
  });
});

const calls = { policyLoss: 0, tokenWeights: 0, lossTerm: 0 };
defineRegularizer({
  name: 'test_loss_counter',
  summary: 'counts its loss-hook calls (test only)',
  schema: z.object({}).strict(),
  create: () => ({
    policyLoss: (_ctx, taped) => {
      calls.policyLoss += 1;
      return { value: tf.zerosLike(taped.logProbs), actor: { pgClipfrac: 0, pgClipfracLower: 0, ppoKl: 0 } };
    },
    tokenWeights: (ctx) => {
      calls.tokenWeights += 1;
      return { value: new Float32Array(ctx.batch.mask.length).fill(1) };
    },
    lossTerm: () => {
      calls.lossTerm += 1;
      return { value: tf.scalar(0) };
    },
  }),
});

describe('one `entrolab loss` call', () => {
  it('calls each loss hook exactly once', () => {
    computeLoss(
      parseLossBatch(doc2(), 'b.json'),
      loadLossConfig(undefined, ['regularizers=[{name: test_loss_counter}]']),
    );
    expect(calls).toEqual({ policyLoss: 1, tokenWeights: 1, lossTerm: 1 });
  });
});

function doc2() {
  return { log_probs: [[-1, -2]], old_log_probs: [[-1, -2]], advantages: [[1, 1]], mask: [[1, 1]] };
}
