// CANON against hand-worked groups: the High/Low split, μ = 1 / 0 / ½ (½ is Dr.GRPO exactly on even
// groups), odd and singleton groups, sort ties, the μ_t schedules at hand-computed steps, the
// prepareBatch hook, and a gridworld run where μ = ½ trains exactly like Dr.GRPO.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  Canon,
  canonAdvantages,
  canonSchema,
  cosineWithRestart,
  interWeight,
  rowMeans,
} from '../../algorithms/canon.ts';
import { groupAdvantages } from '../../algorithms/grpo.ts';
import { Rng } from '../../src/base/rng.ts';
import { loadConfig } from '../../src/config/load.ts';
import { parseLossBatch } from '../../src/loss/loss-batch.ts';
import { loadCheckpoint } from '../../src/run/checkpoint.ts';
import { train } from '../../src/train/trainer.ts';
import { readJsonl, tempDir } from '../helpers.ts';

const plain = { mu: 1, alpha: 1, beta: 0 };
const adv = (r: number[], e: number[], over: Partial<typeof plain> = {}, groups = r.map(() => 0)) =>
  Array.from(canonAdvantages(r, groups, e, { ...plain, ...over }).advantages);

describe('CANON advantages', () => {
  // r = [1, 1, 0, 1], e = [0.3, 0.1, 0.2, 0.9]: Low = rows {1, 2} (r̄_L = ½), High = rows {0, 3} (r̄_H = 1)
  const r = [1, 1, 0, 1];
  const e = [0.3, 0.1, 0.2, 0.9];

  it('splits at the median of the metric', () => {
    const { groups } = canonAdvantages(r, [0, 0, 0, 0], e, plain);
    expect(groups).toEqual([{ high: [0, 3], low: [1, 2], highMean: 1, lowMean: 0.5 }]);
  });

  it('μ = 1 (inter only), μ = 0 (intra only), μ = ½ (Dr.GRPO)', () => {
    expect(adv(r, e)).toEqual([0.5, 0, -1, 0.5]);
    expect(adv(r, e, { mu: 0 })).toEqual([0, 0.5, -0.5, 0]);
    expect(adv(r, e, { mu: 0.5 })).toEqual([0.25, 0.25, -0.75, 0.25]);
  });

  it('α and β in the inter term', () => {
    // High: r − α·r̄_L + β; Low: α·r − r̄_H − β (μ = 1)
    expect(adv(r, e, { alpha: 2, beta: 0.1 })).toEqual(
      [1 - 1 + 0.1, 2 - 1 - 0.1, 0 - 1 - 0.1, 1 - 1 + 0.1].map((x) => expect.closeTo(x, 12)),
    );
  });

  it('odd n: High has the extra member', () => {
    // r = [1, 0, 1], e = [0.5, 0.1, 0.9]: Low = {row 1}, High = {rows 0, 2}
    expect(adv([1, 0, 1], [0.5, 0.1, 0.9])).toEqual([1, -1, 1]);
  });

  it('singleton group: both half means are 0', () => {
    expect(adv([0.7], [0.3], { mu: 0.25, beta: 0.2 })).toEqual([expect.closeTo(0.25 * (0.7 + 0.2) + 0.75 * 0.7, 12)]);
  });

  it('equal rewards give 0 whatever the split', () => {
    expect(adv([1, 1, 1, 1], [0.4, 0.1, 0.3, 0.2])).toEqual([0, 0, 0, 0]);
  });

  it('ties in the metric keep row order (stable on the row index)', () => {
    const { groups } = canonAdvantages([1, 0, 1, 0], [0, 0, 0, 0], [0.2, 0.2, 0.2, 0.2], plain);
    expect(groups[0].low).toEqual([0, 1]);
    expect(groups[0].high).toEqual([2, 3]);
  });

  it('μ = ½ reproduces Dr.GRPO (mean-only group advantages) on random even groups', () => {
    const rng = new Rng('canon-drgrpo');
    const n = 6;
    const groupsCount = 20;
    const rewards = Array.from({ length: n * groupsCount }, () => (rng.next() < 0.3 ? rng.next() : rng.int(2)));
    const ids = rewards.map((_, i) => Math.floor(i / n) * 7 + 3);
    const ent = rewards.map(() => rng.next());
    const canon = canonAdvantages(rewards, ids, ent, { mu: 0.5, alpha: 1, beta: 0 }).advantages;
    const dr = groupAdvantages(rewards, ids, { normByStd: false, epsilon: 1e-6 });
    for (let i = 0; i < rewards.length; i++) expect(Math.abs(canon[i] - dr[i])).toBeLessThan(1e-12);
    expect(Float32Array.from(canon)).toEqual(Float32Array.from(dr));
  });

  it('rows left out keep NaN and do not enter any group', () => {
    const out = canonAdvantages([1, 0, 1, 0, 5], [0, 0, 0, 0, 0], [0.1, 0.2, 0.3, 0.4, 0.5], plain, (i) => i < 4);
    // Low = rows {0, 1}, High = rows {2, 3}, both half means ½; row 4 (r = 5) would have raised r̄_H
    expect(Array.from(out.advantages.slice(0, 4))).toEqual([0.5, -0.5, 0.5, -0.5]);
    expect(out.advantages[4]).toBeNaN();
  });
});

describe('row means and schedules', () => {
  it('row mean entropy is the per-token mean over the valid tokens', () => {
    // two rows of width 3: [0.2, 0.4, (pad 9)] and [0.6, (pad 9), (pad 9)]; an empty third row is 0
    const values = [0.2, 0.4, 9, 0.6, 9, 9, 9, 9, 9];
    const mask = [1, 1, 0, 1, 0, 0, 0, 0, 0];
    const m = rowMeans(values, mask, 3, 3);
    expect(m[0]).toBeCloseTo(0.3, 12);
    expect(m[1]).toBeCloseTo(0.6, 12);
    expect(m[2]).toBe(0);
  });

  it('cosine with restart: linear warm-up over 30 steps, then three 40-step cycles', () => {
    expect(cosineWithRestart(0, 150, 0.6, 0, 30, 3)).toBeCloseTo(0.02, 12);
    expect(cosineWithRestart(29, 150, 0.6, 0, 30, 3)).toBeCloseTo(0.6, 12);
    expect(cosineWithRestart(30, 150, 0.6, 0, 30, 3)).toBeCloseTo(0.6, 12);
    expect(cosineWithRestart(50, 150, 0.6, 0, 30, 3)).toBeCloseTo(0.3, 12);
    expect(cosineWithRestart(70, 150, 0.6, 0, 30, 3)).toBeCloseTo(0.6, 12); // restart
    expect(cosineWithRestart(69, 150, 0.6, 0, 30, 3)).toBeCloseTo(0.3 * (1 + Math.cos((Math.PI * 39) / 40)), 12);
  });

  it('μ_t per schedule', () => {
    expect(interWeight('const', 0.7, 5, 0.1)).toBe(0.7);
    expect(interWeight('anneal', 0.7, 5, 0.1)).toBe(0.1);
    expect(interWeight('cosine_restart', 0.7, 50, 0.1)).toBeCloseTo(0.7, 12);
    // cosine_restart_r: max 1, min 0.4: at step 50 the midpoint 0.7
    expect(interWeight('cosine_restart_r', 0.7, 50, 0.1)).toBeCloseTo(0.7, 12);
    expect(interWeight('cosine_restart_r', 0.7, 30, 0.1)).toBeCloseTo(1, 12);
  });
});

describe('the canon regularizer', () => {
  // T1 as a batch: rows = responses of one group, old_entropy constant per row = e, width 2
  const e = [0.3, 0.1, 0.2, 0.9];
  const doc = {
    log_probs: e.map(() => [-1, -1]),
    old_log_probs: e.map(() => [-1, -1]),
    old_entropy: e.map((x, r) => [x, r === 3 ? 5 : x]),
    advantages: e.map(() => [7, 7]),
    mask: e.map((_, r) => [1, r === 3 ? 0 : 1]),
    group_ids: [4, 4, 4, 4],
    rewards: [1, 1, 0, 1],
  };

  it('prepareBatch broadcasts the row advantages over the mask and reports the halves', () => {
    const { batch } = parseLossBatch(doc, 'test');
    const reg = new Canon(canonSchema.parse({}));
    const { value: out, metrics } = reg.prepareBatch(batch, {
      step: 0,
      totalSteps: 1,
      rng: new Rng('x'),
      promptsPerStep: 1,
      groupSize: 4,
    });
    // row 3's padded slot (entropy 5) does not count: its row mean is 0.9
    expect(Array.from(out.advantages)).toEqual([0.5, 0.5, 0, 0, -1, -1, 0.5, 0]);
    expect(Array.from(batch.advantages)).toEqual(new Array(8).fill(7)); // the input batch is unchanged
    expect(metrics).toEqual({
      mu_t: 1,
      r_high_mean: 1,
      r_low_mean: 0.5,
      gap: 0.5,
      frac_groups_tied: 0,
      adv_abs_mean: 0.5,
      entropy_high_mean: expect.closeTo(0.6, 6),
      entropy_low_mean: expect.closeTo(0.15, 6),
    });
  });

  it('rows another regularizer added keep their advantages', () => {
    const { batch } = parseLossBatch({ ...doc, is_extra: [0, 0, 0, 1] }, 'test');
    const out = new Canon(canonSchema.parse({})).prepareBatch(batch, {
      step: 0,
      totalSteps: 1,
      rng: new Rng('x'),
      promptsPerStep: 1,
      groupSize: 4,
    }).value;
    // group of 3: e = [0.3, 0.1, 0.2] → Low = {row 1}, High = {rows 2, 0}; r̄_L = 1, r̄_H = ½
    expect(Array.from(out.advantages)).toEqual([0, 0, 0.5, 0.5, -1, -1, 7, 7]);
  });

  const run = async (sets: string[]) => {
    const dir = tempDir('entrolab-canon-');
    await train(loadConfig('configs/canon.yaml', ['steps=3', ...sets]), {
      runDir: dir,
      log: () => {},
    });
    return {
      rows: readJsonl(path.join(dir, 'metrics.jsonl')),
      weights: JSON.stringify(loadCheckpoint(dir).policy.weights),
    };
  };

  it('μ = ½ trains exactly like Dr.GRPO (mean-only advantages), μ = 1 differently', async () => {
    const dr = await run(['regularizers=[]', 'grpo.norm_adv_by_std=false']);
    const half = await run(['regularizers.0.mu=0.5', 'grpo.norm_adv_by_std=false']);
    const inter = await run(['grpo.norm_adv_by_std=false']);
    expect(half.weights).toBe(dr.weights);
    expect(half.rows.map((r) => r['actor/pg_loss'])).toEqual(dr.rows.map((r) => r['actor/pg_loss']));
    expect(half.rows.every((r) => r['canon/mu_t'] === 0.5)).toBe(true);
    expect(inter.weights).not.toBe(dr.weights);
  }, 60_000);
});
