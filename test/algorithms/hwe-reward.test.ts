// ARES's high-window-entropy reward against hand-worked numbers: the window test (T1), the score
// branches (T2), the threshold EMA (T3), per-response thresholds, the top-k + tail entropy, Python's
// rounding of the targets, a whole batch (fully masked and one-token rows included), the state on
// resume, and short gridworld runs that train on the shaped rewards.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveActions } from '../../algorithms/action-symbols.ts';
import {
  bucketOf,
  entropyScore,
  hweRewardSchema,
  hweStep,
  percentile,
  roundHalfEven,
  topkEntropy,
  windowCounts,
  windowThreshold,
} from '../../algorithms/hwe-reward.ts';
import { selectBackend } from '../../src/backend/backend.ts';
import { loadConfig } from '../../src/config/load.ts';
import { createRegularizers } from '../../src/core/regularizer-set.ts';
import { parseLossBatch } from '../../src/loss/loss-batch.ts';
import { loadCheckpoint } from '../../src/run/checkpoint.ts';
import { runSft } from '../../src/train/sft.ts';
import { train } from '../../src/train/trainer.ts';
import { readJsonl, stopAfter, tempDir } from '../helpers.ts';

beforeAll(async () => {
  await selectBackend('wasm');
});

const T = (n: number) => n > 0; // trigger flags from 0/1
const flags = (xs: number[]) => xs.map(T);

describe('windows after triggers (T1)', () => {
  it('a trigger with a full window counts, one without is ignored', () => {
    // H = [0.2, 1.5, 1.4, 1.6, 1.3, 0.1, 0.2], triggers at 0 and 4, w = 4, τ = 1.0
    const H = [0.2, 1.5, 1.4, 1.6, 1.3, 0.1, 0.2];
    const out = windowCounts(H, flags([1, 0, 0, 0, 1, 0, 0]), 4, 1.0);
    // trigger 0: W = (1.5 + 1.4 + 1.6 + 1.3)/4 = 1.45 ≥ 1 → high, soft cost 0.45; trigger 4 has 2 after it
    expect(out.high).toBe(1);
    expect(out.low).toBe(0);
    expect(out.softCost).toBeCloseTo(0.45, 12);
  });

  it('W = τ counts as high; below it as low with no soft cost', () => {
    expect(windowCounts([0, 0.5, 1.5], flags([1, 0, 0]), 2, 1)).toEqual({ high: 1, low: 0, softCost: 0 });
    expect(windowCounts([0, 0.5, 1.4], flags([1, 0, 0]), 2, 1)).toEqual({ high: 0, low: 1, softCost: 0 });
  });

  it('a one-token response and an empty one count nothing', () => {
    expect(windowCounts([0.7], [true], 1, 0)).toEqual({ high: 0, low: 0, softCost: 0 });
    expect(windowCounts([], [], 1, 0)).toEqual({ high: 0, low: 0, softCost: 0 });
  });
});

describe('thresholds', () => {
  it("numpy's linear percentile", () => {
    expect(percentile([3, 1, 2, 4], 50)).toBe(2.5);
    expect(percentile([0.1, 0.1, 0.1, 0.7, 0.9, 1.0, 1.2, 1.5], 95)).toBeCloseTo(1.2 + 0.65 * 0.3, 12);
    expect(percentile([5], 95)).toBe(5);
  });

  it('per response: window means, then the mean so far where no window is left, then the percentile', () => {
    // H = [1, 2, 3, 4], w = 2: windows after 0 and 1 are 2.5 and 3.5; positions 2 and 3 append the
    // mean so far: 3, then mean(2.5, 3.5, 3) = 3; 50th percentile of [2.5, 3, 3, 3.5] = 3
    expect(windowThreshold([1, 2, 3, 4], 2, 50)).toBe(3);
    expect(windowThreshold([1, 2, 3, 4], 2, 100)).toBe(3.5);
    // no full window anywhere: the first position's own entropy starts the list
    expect(windowThreshold([0.4, 0.8], 4, 50)).toBeCloseTo(0.4, 12);
    expect(windowThreshold([], 4, 95)).toBe(0);
  });

  it('T3: τ = 1.0, batch median 2.0, ema 0.99 → 1.01', () => {
    // two one-token rows with entropies 1.5 and 2.5: their thresholds are their own entropies, median 2
    const batch = lossBatch({ old_entropy: [[1.5], [2.5]], actions: [[0], [0]], mask: [[1], [1]] });
    const config = hweRewardSchema.parse({ trigger_tokens: [1], trigger_on: 'sampled', ema: 0.99 });
    const state = {
      threshold: 1.0,
      alpha: { easy: 0.5, medium: 0.5, hard: 0.5 },
      target: { easy: 0, medium: 0, hard: 0 },
    };
    expect(hweStep({ batch, triggers: [1], config, state }).state.threshold).toBeCloseTo(1.01, 12);
    // the first step has no τ: it starts at the batch median
    const first = hweStep({ batch, triggers: [1], config, state: { ...state, threshold: null } });
    expect(first.state.threshold).toBe(2);
    expect(first.metrics.threshold).toBe(2);
  });
});

describe('entropy score (T2 and every branch)', () => {
  it('easy correct, T = 4, n = 7, α = 0.5: −0.166667 (reward 0.833333)', () => {
    // M = max(1, 0.15·4) = 1, over = 3 − 1 = 2, h(2) = 4/4 = 1 → −min(0.5, 1·0.5/3)
    expect(entropyScore('easy', true, 7, 4, 0.5)).toBeCloseTo(-1 / 6, 6);
  });

  it('hard correct, T = 10, n = 8, α = 0.5: σ_3(1.5)·0.6 = 0.373476', () => {
    expect(entropyScore('hard', true, 8, 10, 0.5)).toBeCloseTo(0.373476, 6);
  });

  it('hard correct far below the target: a Huber penalty at half weight', () => {
    // T = 10, n = 2: δ = −8 < −M = −3.5; h(4.5) with κ = 4 is 4.5 − 2 = 2.5 → −min(0.6, 0.5·2.5·0.6/7.5)
    expect(entropyScore('hard', true, 2, 10, 0.5)).toBeCloseTo(-0.1, 12);
  });

  it('medium correct is penalised on both sides of the target', () => {
    // T = 8, M = max(1, 2) = 2, κ = 3: n = 12 and n = 4 are both 2 outside → h(2) = 4/6 → −(4/6)·0.5/5
    expect(entropyScore('medium', true, 12, 8, 0.5)).toBeCloseTo(-(4 / 6) * 0.1, 12);
    expect(entropyScore('medium', true, 4, 8, 0.5)).toBeCloseTo(-(4 / 6) * 0.1, 12);
    expect(entropyScore('medium', true, 9, 8, 0.5)).toBe(-0);
  });

  it('the penalty is capped at c', () => {
    expect(entropyScore('easy', true, 1000, 0, 0.5)).toBe(-0.5);
  });

  it('a wrong answer always gets at least σ(0)·c·weight', () => {
    expect(entropyScore('easy', false, 0, 4, 0.5)).toBeCloseTo(0.15, 12);
    expect(entropyScore('medium', false, 0, 4, 0.5)).toBeCloseTo(0.2, 12);
    expect(entropyScore('hard', false, 0, 4, 0.5)).toBeCloseTo(0.3, 12);
    // far above the target: σ → 1, so easy wrong → c·0.6
    expect(entropyScore('easy', false, 1000, 4, 0.5)).toBeCloseTo(0.3, 12);
  });

  it('buckets by pass rate and Python rounding of the targets', () => {
    expect([1, 2 / 3, 0.5, 1 / 3, 0.2, 0].map(bucketOf)).toEqual(['easy', 'easy', 'medium', 'medium', 'hard', 'hard']);
    expect([0.5, 1.5, 2.5, 2.4, 2.6, 0].map(roundHalfEven)).toEqual([0, 2, 2, 2, 3, 0]);
  });
});

describe('top-k entropy with the tail bucket', () => {
  const logs = (ps: number[]) => ps.map(Math.log);
  it('with at most k symbols it is the exact entropy; beyond, the missing mass is one symbol', () => {
    const exact = -(0.5 * Math.log(0.5) + 0.3 * Math.log(0.3) + 0.2 * Math.log(0.2));
    expect(topkEntropy(logs([0.5, 0.3, 0.2]), 0, true)).toBeCloseTo(exact, 12);
    // k = 2, sampled 0: returned {0, 1}, tail 0.2 → the same value with the tail, less without it
    expect(topkEntropy(logs([0.5, 0.3, 0.2]), 0, true, 2)).toBeCloseTo(exact, 12);
    expect(topkEntropy(logs([0.5, 0.3, 0.2]), 0, false, 2)).toBeCloseTo(
      -(0.5 * Math.log(0.5) + 0.3 * Math.log(0.3)),
      12,
    );
    // k = 1, sampled 2 (not in the top 1): returned {0, 2}, tail 0.3
    expect(topkEntropy(logs([0.5, 0.3, 0.2]), 2, true, 1)).toBeCloseTo(exact, 12);
  });

  it('zero probabilities add nothing (no 0·log 0 = NaN)', () => {
    expect(topkEntropy([0, -Infinity, -Infinity], 0, true)).toBe(0);
  });
});

/** A Batch from loss-file fields (old_entropy as both entropies, zero log-probs and advantages). */
function lossBatch(f: Record<string, unknown>) {
  const H = f.old_entropy as number[][];
  const zeros = H.map((r) => r.map(() => 0));
  return parseLossBatch({ log_probs: zeros, old_log_probs: zeros, advantages: zeros, ...f }, 'x').batch;
}

// Rows (w = 1, τ = 0.8 given, trigger action 1 taken at the slot, hand-worked):
//   group 0 (both correct → easy): row 0 triggers at 0, 2, 4, 6 with next entropies 1.0, 1.2, 0.9, 1.5 → n = 4;
//     row 1 has no trigger → n = 0; prompt mean 2 → T_easy = 2, α_easy = 0.5 + 0.05·(2 − 2) = 0.5.
//     Row 0: δ = 2, M = 1, over 1, h(1) = 1/4 → score −0.25·0.5/3 = −0.041667; row 1: 0.
//   group 1 (all wrong → hard): row 2 triggers at 0, 1, 2 with next 0.9, 0.7, 0.2 → n = 1; row 3 has
//     two tokens, a trigger at 0 with next 0.85 → n = 1; row 4 is fully masked → n = 0. Prompt mean
//     2/3 → T_hard = 1, α_hard = 0.5 + 0.05·(1 − 2/3) = 0.516667, c = 0.62; wrong answers get
//     σ_3(max(δ − M, 0))·c = 0.5·0.62 = 0.31 (δ ≤ 0 for all three).
const HAND_BATCH = {
  old_entropy: [
    [0.1, 1.0, 0.1, 1.2, 0.1, 0.9, 0.1, 1.5],
    [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
    [0.3, 0.9, 0.7, 0.2, 0.2, 0.2, 0.2, 0.2],
    [0.2, 0.85, 0, 0, 0, 0, 0, 0],
    [0, 0, 0, 0, 0, 0, 0, 0],
  ],
  actions: [
    [1, 0, 1, 0, 1, 0, 1, 0],
    [0, 0, 0, 0, 0, 0, 0, 0],
    [1, 1, 1, 0, 0, 0, 0, 0],
    [1, 0, 0, 0, 0, 0, 0, 0],
    [0, 0, 0, 0, 0, 0, 0, 0],
  ],
  mask: [
    [1, 1, 1, 1, 1, 1, 1, 1],
    [1, 1, 1, 1, 1, 1, 1, 1],
    [1, 1, 1, 1, 1, 1, 1, 1],
    [1, 1, 0, 0, 0, 0, 0, 0],
    [0, 0, 0, 0, 0, 0, 0, 0],
  ],
  group_ids: [0, 0, 1, 1, 1],
  rewards: [1, 1, 0, 0, 0],
  success: [1, 1, 0, 0, 0],
};
const HAND_STATE = {
  threshold: 0.8,
  alpha: { easy: 0.5, medium: 0.5, hard: 0.5 },
  target: { easy: 0, medium: 0, hard: 0 },
};

describe('one step over a batch', () => {
  const config = hweRewardSchema.parse({ trigger_tokens: [1], trigger_on: 'sampled', window_size: 1 });
  const out = hweStep({ batch: lossBatch(HAND_BATCH), triggers: [1], config, state: HAND_STATE });

  it('counts, buckets, targets, caps and rewards as worked by hand', () => {
    expect(Array.from(out.high)).toEqual([4, 0, 1, 1, 0]);
    expect(out.buckets).toEqual(['easy', 'easy', 'hard', 'hard', 'hard']);
    expect(out.state.target).toEqual({ easy: 2, medium: 0, hard: 1 });
    expect(out.state.alpha.easy).toBe(0.5);
    expect(out.state.alpha.medium).toBe(0.5); // no medium prompt: unchanged
    expect(out.state.alpha.hard).toBeCloseTo(0.5 + 0.05 / 3, 12);
    const expected = [1 - (0.25 * 0.5) / 3, 1, 0.31, 0.31, 0.31];
    Array.from(out.rewards).forEach((r, i) => expect(r).toBeCloseTo(expected[i], 6));
  });

  it('metrics: the τ counted with, counts per bucket, soft cost', () => {
    expect(out.metrics.threshold).toBe(0.8);
    expect(out.metrics.high_triggers_mean).toBeCloseTo(6 / 5, 12);
    expect(out.metrics.low_triggers_mean).toBeCloseTo(2 / 5, 12); // row 2's windows 0.7 and 0.2
    // soft cost: row 0 0.2 + 0.4 + 0.1 + 0.7, row 2 0.1, row 3 0.05
    expect(out.metrics.soft_cost_mean).toBeCloseTo(1.55 / 5, 6); // the entropies are float32
    expect(out.metrics.high_triggers_easy).toBe(2);
    expect(out.metrics.high_triggers_hard).toBeCloseTo(2 / 3, 12);
    expect(out.metrics).toMatchObject({ frac_easy: 0.4, frac_medium: 0, frac_hard: 0.6, target_easy: 2 });
    for (const v of Object.values(out.metrics)) expect(Number.isFinite(v)).toBe(true);
  });

  it('argmax triggers read π_old; the sampled token does not matter then', () => {
    // one row, A = 2: π_old's argmax is action 1 at slot 0 although action 0 was taken
    const logPolicy = [
      [Math.log(0.2), Math.log(0.8)],
      [Math.log(0.5), Math.log(0.5)],
      [Math.log(0.5), Math.log(0.5)],
    ];
    const batch = lossBatch({
      old_entropy: [[0.5, 0.69, 0.69]],
      old_log_policy: [logPolicy],
      actions: [[0, 0, 0]],
      mask: [[1, 1, 1]],
    });
    const argmaxConfig = hweRewardSchema.parse({ trigger_tokens: [1], window_size: 2 });
    const state = { ...HAND_STATE, threshold: 0.6 };
    expect(Array.from(hweStep({ batch, triggers: [1], config: argmaxConfig, state }).high)).toEqual([1]);
    const sampled = { ...argmaxConfig, trigger_on: 'sampled' as const };
    expect(Array.from(hweStep({ batch, triggers: [1], config: sampled, state }).high)).toEqual([0]);
  });
});

describe('the hwe_reward regularizer', () => {
  const make = (entry: object) => createRegularizers([{ name: 'hwe_reward', ...entry }], { seed: 0, where: 'x' })[0];
  const info = { step: 0, totalSteps: 1, promptsPerStep: 2, groupSize: 2, rng: undefined as never };

  it('resolves trigger names through the action names and refuses unknown ones in one line', () => {
    const reg = make({ trigger_tokens: ['b'], trigger_on: 'sampled', window_size: 1 });
    reg.hooks.setState!(HAND_STATE);
    const out = reg.hooks.shapeRewards!(lossBatch(HAND_BATCH), { ...info, actionNames: ['a', 'b'] });
    expect(out.value[0]).toBeCloseTo(1 - (0.25 * 0.5) / 3, 6);
    expect(() => reg.hooks.shapeRewards!(lossBatch(HAND_BATCH), { ...info, actionNames: ['a', 'c'] })).toThrow(
      "regularizers.hwe_reward.trigger_tokens: 'b' is not an action of this environment (its actions: a c)",
    );
    expect(() => reg.hooks.shapeRewards!(lossBatch(HAND_BATCH), info)).toThrow(/action names are unknown/);
    expect(() => resolveActions([7], undefined, 4, 'k')).toThrow(
      'k: action id 7 is outside the action space (0 <= id < 4)',
    );
    // a loss file without distributions does not say how many actions there are
    expect(resolveActions([7, 0], undefined, 0, 'k')).toEqual([7, 0]);
  });

  it('needs a trigger list; argmax needs π_old', () => {
    expect(() => make({})).toThrow(/trigger_tokens/);
    const reg = make({ trigger_tokens: [1] });
    expect(() => reg.hooks.shapeRewards!(lossBatch(HAND_BATCH), info)).toThrow(/old_log_policy/);
  });

  it('state round trip, and a malformed state is refused', () => {
    const reg = make({ trigger_tokens: [1], trigger_on: 'sampled', window_size: 1 });
    expect(reg.hooks.getState!()).toEqual({ ...HAND_STATE, threshold: null });
    reg.hooks.shapeRewards!(lossBatch(HAND_BATCH), info);
    const saved = reg.hooks.getState!();
    const copy = make({ trigger_tokens: [1], trigger_on: 'sampled', window_size: 1 });
    copy.hooks.setState!(saved);
    const a = reg.hooks.shapeRewards!(lossBatch(HAND_BATCH), info);
    const b = copy.hooks.shapeRewards!(lossBatch(HAND_BATCH), info);
    expect(Array.from(a.value)).toEqual(Array.from(b.value));
    expect(() => copy.hooks.setState!({ threshold: 'x' })).toThrow(/does not match/);
  });
});

describe('hwe_reward training on chain-sum (configs/hwe-reward.yaml)', () => {
  const small = ['rollout.prompts_per_step=4', 'rollout.group_size=4', 'eval.episodes=2', 'eval.every=0'];
  let sftDir = '';
  beforeAll(async () => {
    sftDir = tempDir();
    const sft = loadConfig('configs/sft-chain-sum.yaml', [
      'sft.steps=30',
      'sft.demos=200',
      'sft.batch_size=16',
      'eval.episodes=2',
    ]);
    await runSft(sft, { runDir: sftDir, log: () => {} });
  }, 120_000);
  const run = async (dir: string, opts = {}) => {
    const config = loadConfig('configs/hwe-reward.yaml', ['steps=4', `init_from=${sftDir}`, ...small]);
    await train(config, { runDir: dir, log: () => {}, ...opts });
    return readJsonl(path.join(dir, 'metrics.jsonl'));
  };

  it('trains on raw reward + entropy score; τ is the EMA of the medians; a resumed run repeats the metrics', async () => {
    const full = tempDir();
    const rows = await run(full);
    expect(rows).toHaveLength(4);
    for (const r of rows) {
      expect(r['reward/raw']).toBe(r['critic/score/mean']);
      expect(r['reward/shaped']).toBeCloseTo(r['reward/raw'] + r['hwe_reward/entropy_score_mean'], 9);
      // every wrong answer gets a positive score, so the shaped mean differs from the raw one
      expect(r['hwe_reward/entropy_score_mean']).not.toBe(0);
      expect(r['hwe_reward/high_triggers_mean'] + r['hwe_reward/low_triggers_mean']).toBeGreaterThan(0);
      expect(r['hwe_reward/frac_easy'] + r['hwe_reward/frac_medium'] + r['hwe_reward/frac_hard']).toBeCloseTo(1, 12);
    }
    // τ starts at the first batch's median, then moves a tenth of the way to each batch's (ema 0.9)
    const tau = rows.map((r) => r['hwe_reward/threshold']);
    const median = rows.map((r) => r['hwe_reward/batch_median']);
    expect(tau[0]).toBe(median[0]);
    expect(tau[1]).toBe(median[0]);
    for (const s of [1, 2]) expect(tau[s + 1]).toBeCloseTo(0.9 * tau[s] + 0.1 * median[s], 12);
    const saved = loadCheckpoint(full).regularizers!.hwe_reward.state as { threshold: number };
    expect(saved.threshold).toBeCloseTo(0.9 * tau[3] + 0.1 * median[3], 12);

    const cut = tempDir();
    await run(cut, stopAfter(2));
    const resumed = await run(cut, { resume: true });
    const strip = (rs: Record<string, number>[]) =>
      rs.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.startsWith('perf/'))));
    expect(strip(resumed)).toEqual(strip(rows));
  }, 120_000);
});
