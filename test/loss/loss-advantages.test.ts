// `entrolab loss` with `rewards` (and `group_ids`) in place of `advantages`: the configured
// estimator's advantages are printed and used — the toy numbers of docs/advantages.md — with
// --prepare RENT's shaped rewards feed the estimator, ReMax and OTB ask for what they need in one
// line, and UCAS shapes the estimator's advantages.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadLossConfig } from '../../src/config/loss-config.ts';
import { parseLossBatch } from '../../src/loss/loss-batch.ts';
import { computeLoss } from '../../src/loss/loss-check.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const errorOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
};

// two rows of one group: rewards [1, 0], row 1 with one valid token; lp = lp_old
const base = {
  log_probs: [
    [-1, -1],
    [-1, 0],
  ],
  old_log_probs: [
    [-1, -1],
    [-1, 0],
  ],
  mask: [
    [1, 1],
    [1, 0],
  ],
  rewards: [1, 0],
  group_ids: [0, 0],
};
const run = (doc: object, sets: string[] = [], prepare = false) =>
  computeLoss(parseLossBatch(doc, 'b.json'), loadLossConfig(undefined, sets), { prepare });

describe('advantages from rewards', () => {
  it('grpo (the default): ±0.707106 broadcast over the valid tokens, used by the loss', () => {
    const out = run(base);
    expect(out.advantages).toEqual([
      [0.70710576, 0.70710576],
      [-0.70710576, 0],
    ]);
    // token-mean of −A·ρ over 3 tokens
    expect(out.loss).toBeCloseTo(-0.70710576 / 3, 6);
    expect(out.metrics['adv/max']).toBeCloseTo(0.70710576, 6);
  });
  it('opo: lengths [2, 1] → baseline 2/3 → [1/3, −2/3]', () => {
    const out = run(base, ['grpo.adv_estimator=opo']);
    expect(out.advantages).toEqual([
      [0.33333334, 0.33333334],
      [-0.6666667, 0],
    ]);
  });
  it('reinforce_plus_plus whitens over the three valid tokens: [[0.57735, 0.57735], [−1.154701]]', () => {
    const out = run({ ...base, group_ids: [0, 1] }, ['grpo.adv_estimator=reinforce_plus_plus']);
    expect(out.advantages!.flat().map((a) => +a.toFixed(5))).toEqual([0.57735, 0.57735, -1.1547, 0]);
  });
  it('remax needs greedy_rewards, in one line, and uses them', () => {
    expect(errorOf(() => run(base, ['grpo.adv_estimator=remax']))).toBe(
      "batch: grpo.adv_estimator remax needs field 'greedy_rewards': a [B] array, the reward of a greedy response to each row's prompt",
    );
    const out = run({ ...base, greedy_rewards: [0.5, 0.5] }, ['grpo.adv_estimator=remax']);
    expect(out.advantages).toEqual([
      [0.5, 0.5],
      [-0.5, 0],
    ]);
  });
  it('optimal_token_baseline needs old_log_policy', () => {
    expect(errorOf(() => run(base, ['grpo.adv_estimator=optimal_token_baseline']))).toMatch(
      /^batch: grpo.adv_estimator optimal_token_baseline needs field 'old_log_policy'/,
    );
  });
  it('given advantages are used as given, rewards or not', () => {
    const out = run({
      ...base,
      advantages: [
        [2, 2],
        [2, 0],
      ],
    });
    expect(out.advantages).toBeUndefined();
    expect(out.loss).toBeCloseTo(-2, 6);
  });
  it('without advantages or rewards, the error names both ways', () => {
    const { rewards: _r, ...noRewards } = base;
    expect(errorOf(() => run(noRewards))).toMatch(
      /field 'advantages' is required: a \[B\]\[L\] array .*; or give 'rewards' \(\[B\], with 'group_ids'\)/,
    );
  });
});

describe('shaping from rewards', () => {
  it('RENT (--prepare) replaces the rewards by −mean entropy before the estimator: H̄ = [0.2, 0.6] → ±0.707104', () => {
    const out = run(
      {
        ...base,
        old_entropy: [
          [0.1, 0.3],
          [0.6, 9],
        ],
      },
      ['regularizers=[{name: rent}]'],
      true,
    );
    expect(out.prepared!.rewards).toEqual([-0.2, -0.6]);
    expect(out.prepared!.advantages.flat().map((a) => +a.toFixed(5))).toEqual([0.7071, 0.7071, -0.7071, 0]);
    expect(out.metrics['rent/true_reward_mean']).toBe(0.5);
  });
  it('UCAS with --prepare rewrites the advantages from the rewards, and needs old_action_logits', () => {
    const p = Math.log;
    const doc = {
      ...base,
      old_log_policy: [
        [
          [p(0.5), p(0.5)],
          [p(0.5), p(0.5)],
        ],
        [
          [p(0.9), p(0.1)],
          [p(0.5), p(0.5)],
        ],
      ],
    };
    expect(errorOf(() => run(doc, ['regularizers=[{name: ucas}]'], true))).toMatch(
      /^batch: field 'old_action_logits' is required: regularizer 'ucas' reads/,
    );
    const out = run(
      {
        ...doc,
        old_action_logits: [
          [2, 1],
          [0, 0],
        ],
      },
      ['regularizers=[{name: ucas}]'],
      true,
    );
    // ŝ = ±0.707106; C = [2·ln 2, 1.2040] → Ĉ = ±0.707106 → A = [0.592531, −0.552080]; n = [1, 0.5, 0]
    expect(out.prepared!.advantages.flat().map((a) => +a.toFixed(5))).toEqual([0.54253, 0.56753, -0.55208, 0]);
  });
});
