// SPEAR against hand-worked numbers: the buffer (T1), the replay loss schedule (T2), the tool-call
// bonus (T3), the replay size rule, stale rows, the baseline history cap, the decay mode, the state
// through a JSON checkpoint, and a guess-number run that replays rows as extra mini-batches and
// resumes exactly.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  groupStats,
  median,
  planReplay,
  replayScale,
  replaySize,
  spearSchema,
  toolcallRatio,
} from '../../algorithms/spear.ts';
import { selectBackend } from '../../src/backend/backend.ts';
import { Rng } from '../../src/base/rng.ts';
import { loadConfig } from '../../src/config/load.ts';
import { createRegularizers } from '../../src/core/regularizer-set.ts';
import { decodeDataOnlyInputs, parseLossBatch } from '../../src/loss/loss-batch.ts';
import { runSft } from '../../src/train/sft.ts';
import { train } from '../../src/train/trainer.ts';
import { readJsonl, stopAfter, tempDir } from '../helpers.ts';

beforeAll(async () => {
  await selectBackend('wasm');
});

const make = (entry: object = {}) => createRegularizers([{ name: 'spear', ...entry }], { seed: 0, where: 'x' })[0];
const info = (step: number, seed = 'r') => ({
  step,
  totalSteps: 10,
  promptsPerStep: 1,
  groupSize: 4,
  rng: new Rng(seed),
});

/**
 * One group of rows, two tokens each; a row with `turns` 2 has its second token in turn 1 (one tool
 * call). Advantages are given per row.
 */
function batchOf(rewards: number[], advantages: number[], turns: number[] = rewards.map(() => 2), group = 0) {
  const doc = {
    log_probs: rewards.map(() => [-0.5, -0.7]),
    old_log_probs: rewards.map((_, r) => [-0.1 * (r + 1), -0.2]),
    advantages: advantages.map((a) => [a, a]),
    mask: rewards.map(() => [1, 1]),
    turn_index: turns.map((t) => [0, t - 1]),
    group_ids: rewards.map(() => group),
    rewards,
  };
  return parseLossBatch(doc, 'b').batch;
}
const summary = (step: number, batch: ReturnType<typeof batchOf>) => ({
  step,
  rolloutEntropy: 0,
  updateNll: 0,
  updateEntropy: 0,
  batch,
});

describe('schedules and sizes (T2, T3)', () => {
  it('T2: the replay loss scale rises as (1 − cos(π·s/S))/2, then stays at coef', () => {
    expect(replayScale(75, 1, 300)).toBeCloseTo(0.146447, 6);
    expect(replayScale(300, 1, 300)).toBe(1);
    expect(replayScale(400, 0.5, 300)).toBe(0.5);
    expect(replayScale(0, 1, 300)).toBe(0);
    expect(replayScale(3, 1, 0)).toBe(1);
  });

  it('T3: 3 tool calls at step 100 of 200 earn 0.3·0.5 = 0.15; after step 200, 0', () => {
    expect(Math.min(0.1 * 3, 1) * toolcallRatio(100, 'cosine', 200)).toBeCloseTo(0.15, 12);
    expect(toolcallRatio(201, 'cosine', 200)).toBe(0);
    expect(toolcallRatio(201, 'constant', 200)).toBe(1);
    expect(toolcallRatio(1, 'none', 200)).toBe(0);
  });

  it('replay size: the largest power of two up to n, capped; one candidate replays nothing', () => {
    expect([0, 1, 2, 3, 4, 7, 8, 100].map((n) => replaySize(n, 16))).toEqual([0, 0, 2, 2, 4, 4, 8, 16]);
    expect(replaySize(2, 1)).toBe(1);
  });

  it('group statistics: mean and unbiased std; median of an even list averages the middle two', () => {
    expect(groupStats([1, 0, 0, 1, 5], [0, 0, 0, 0, 1], [0, 1, 2, 3, 4])).toEqual({
      means: [0.5, 5],
      stds: [Math.sqrt(1 / 3), 0],
    });
    expect(median([3, 1, 2, 10])).toBe(2.5);
  });
});

describe('the buffer (T1)', () => {
  it('rows with A > 0 and a tool call enter; count 2 > 1.5 fills it; the next step replays A = r − 0.5, one row', () => {
    const reg = make({ buffer_size: 1, toolcall_bonus: 'none' });
    const out = reg.hooks.afterStep!(summary(0, batchOf([1, 0, 0, 1], [0.5, -0.5, -0.5, 0.5])));
    expect(out!.metrics).toMatchObject({
      buffer_rows: 2,
      buffer_count: 2,
      added_rows: 2,
      baseline_median: 0.5,
      full: 1,
    });
    const replay = reg.hooks.replayBatch!(info(1))!;
    expect(replay.value.batch.rows).toBe(1);
    expect(Array.from(replay.value.batch.advantages)).toEqual([0.5, 0.5]);
    expect(replay.metrics).toMatchObject({ replayed_rows: 1, replay_candidates: 2, replay_baseline: 0.5 });
    // their own stored old log-probs: row 0's or row 3's
    expect([-0.1, -0.4].map(Math.fround)).toContain(replay.value.batch.oldLogProbs[0]);
    // the buffer is emptied by the replay
    expect(reg.hooks.replayBatch!(info(2))).toBeUndefined();
    expect(reg.hooks.getState!()).toMatchObject({ segments: [], full: false });
  });

  it('a row without a tool call, or with A ≤ 0, stays out (keep: nonnegative admits A = 0)', () => {
    const reg = make({ buffer_size: 1 });
    const out = reg.hooks.afterStep!(summary(0, batchOf([1, 1, 0, 0.5], [0.5, 0.5, -0.5, 0], [1, 2, 2, 2])));
    expect(out!.metrics!.added_rows).toBe(1); // row 1 only: row 0 has no tool call, row 3 has A = 0
    const loose = make({ buffer_size: 1, keep: 'nonnegative' });
    expect(
      loose.hooks.afterStep!(summary(0, batchOf([1, 1, 0, 0.5], [0.5, 0.5, -0.5, 0], [1, 2, 2, 2])))!.metrics!
        .added_rows,
    ).toBe(2);
    const anyRow = make({ buffer_size: 1, require_tool_call: false });
    expect(
      anyRow.hooks.afterStep!(summary(0, batchOf([1, 1, 0, 0.5], [0.5, 0.5, -0.5, 0], [1, 2, 2, 2])))!.metrics!
        .added_rows,
    ).toBe(2);
  });

  it('rows more than tolerate_steps older than the newest kept ones are dropped (before the new rows come in)', () => {
    const reg = make({ buffer_size: 8, tolerate_steps: 2 });
    reg.hooks.afterStep!(summary(0, batchOf([1, 0], [0.5, -0.5])));
    reg.hooks.afterStep!(summary(3, batchOf([1, 0], [0.5, -0.5])));
    // newest before step 3's rows: step 0, so nothing is stale yet; at step 4 the newest is 3: step 0 goes
    expect(reg.hooks.getState!()).toMatchObject({ segments: [{ step: 0 }, { step: 3 }] });
    const out = reg.hooks.afterStep!(summary(4, batchOf([0, 0], [0, 0])));
    expect(out!.metrics!.stale_dropped).toBe(1);
    expect((reg.hooks.getState!() as { segments: { step: number }[] }).segments.map((s) => s.step)).toEqual([3]);
  });

  it('the baseline history drops its oldest steps while it holds more than baseline_buffer_size means', () => {
    const reg = make({ baseline_buffer_size: 2 });
    for (let s = 0; s < 4; s++) reg.hooks.afterStep!(summary(s, batchOf([s, s], [0, 0])));
    // checked before appending: [0, 1] (2 means) is kept when step 2 comes, so 3 can be held
    const history = (reg.hooks.getState!() as { history: { step: number }[] }).history;
    expect(history.map((h) => h.step)).toEqual([1, 2, 3]);
  });

  it('decay mode replays the stored advantages × the factor, all rows as candidates', () => {
    const config = spearSchema.parse({ recalibration: 0.9, buffer_size: 4 });
    const plan = planReplay([1, 1, 1], [0.5, 0.25, 1], [{ step: 0, means: [0.5], stds: [0.5] }], config, (n) =>
      Array.from({ length: n }, (_, i) => i),
    );
    expect(plan).toEqual({ rows: [0, 1], advantages: [0.45, 0.225], candidates: 3, baseline: 0.5 });
  });

  it('std normalisation divides by the median group std + 1e-6', () => {
    const config = spearSchema.parse({ norm_adv_by_std: true });
    const id = (n: number) => Array.from({ length: n }, (_, i) => i);
    const plan = planReplay([1, 1], [0, 0], [{ step: 0, means: [0.5, 0], stds: [0.5, 0.3] }], config, id);
    expect(plan.advantages[0]).toBeCloseTo((1 - 0.25) / (0.4 + 1e-6), 12);
  });
});

describe('the state', () => {
  it('survives a JSON round trip and replays the same rows after it', () => {
    const a = make({ buffer_size: 1 });
    a.hooks.afterStep!(summary(0, batchOf([1, 0, 0, 1], [0.5, -0.5, -0.5, 0.5])));
    const saved = JSON.parse(JSON.stringify(a.hooks.getState!()));
    const b = make({ buffer_size: 1 });
    b.hooks.setState!(saved);
    const ra = a.hooks.replayBatch!(info(1, 'same'))!;
    const rb = b.hooks.replayBatch!({ ...info(1, 'same'), decodeInputs: decodeDataOnlyInputs })!;
    expect(Array.from(rb.value.batch.oldLogProbs)).toEqual(Array.from(ra.value.batch.oldLogProbs));
    expect(Array.from(rb.value.batch.advantages)).toEqual(Array.from(ra.value.batch.advantages));
    expect(rb.value.lossScale).toBe(ra.value.lossScale);
    // restored rows need the policy's decoder
    const c = make({ buffer_size: 1 });
    c.hooks.setState!(saved);
    expect(() => c.hooks.replayBatch!(info(1))).toThrow(/cannot restore saved replay rows/);
    expect(() => c.hooks.setState!({ segments: 3 })).toThrow(/does not match/);
  });
});

describe('spear training on guess-number (configs/spear.yaml)', () => {
  const small = ['rollout.prompts_per_step=4', 'rollout.group_size=4', 'eval.episodes=2', 'eval.every=0'];
  let sftDir = '';
  beforeAll(async () => {
    sftDir = tempDir();
    const sft = loadConfig('configs/sft-guess-number.yaml', [
      'sft.steps=30',
      'sft.demos=200',
      'sft.batch_size=16',
      'eval.episodes=2',
    ]);
    await runSft(sft, { runDir: sftDir, log: () => {} });
  }, 120_000);
  const sets = (steps: number) => [
    `steps=${steps}`,
    `init_from=${sftDir}`,
    ...small,
    'regularizers=[{name: spear, buffer_size: 1, replay_warmup_steps: 2, toolcall_steps: 4}]',
  ];
  const run = async (dir: string, steps: number, opts = {}) => {
    await train(loadConfig('configs/spear.yaml', sets(steps)), { runDir: dir, log: () => {}, ...opts });
    return readJsonl(path.join(dir, 'metrics.jsonl'));
  };

  it('replays buffered rows as extra mini-batches with the scheduled scale; a resumed run repeats the metrics', async () => {
    const full = tempDir();
    const rows = await run(full, 6);
    const replayed = rows.filter((r) => (r['spear/replayed_rows'] ?? 0) > 0);
    expect(replayed.length).toBeGreaterThan(0);
    for (const r of replayed) {
      expect(r['actor/pg_loss_replay']).toBeDefined();
      expect(r['spear/replay_adv_mean']).toBeGreaterThan(0);
      expect(r['spear/replay_scale']).toBeCloseTo(replayScale(r.step, 1, 2), 12);
    }
    for (const r of rows) {
      // the bonus: 0.1 per feedback turn, decaying to 0 by step 4
      expect(r['reward/shaped']).toBeCloseTo(r['reward/raw'] + r['spear/toolcall_bonus_mean'], 9);
      if (r.step > 4) expect(r['spear/toolcall_bonus_mean']).toBe(0);
      expect(r['spear/buffer_rows']).toBeGreaterThanOrEqual(0);
    }
    const cut = tempDir();
    await run(cut, 6, stopAfter(3));
    const resumed = await run(cut, 6, { resume: true });
    const strip = (rs: Record<string, number>[]) =>
      rs.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.startsWith('perf/'))));
    expect(strip(resumed)).toEqual(strip(rows));
  }, 240_000);
});
