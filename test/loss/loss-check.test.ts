// src/loss/loss-check.ts (`entrolab loss`): the sampled tokens a method reads come from the batch's
// `actions`, and a batch that lacks a field a method needs is one line naming it.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
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
