// UCAS (arXiv 2510.10649): the toy numbers of the reference compute_ucas_advantage (one group,
// rewards [1, 0], certainties [3, 1], raw logits [2, 0]), the clamp, the zero-advantage group's
// penalty, flat logits, self-certainty from a log-distribution, and a short training run.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { selfCertainty, ucasAdvantages, ucasDefinition, ucasSchema } from '../../algorithms/ucas.ts';
import { selectBackend } from '../../src/backend/backend.ts';
import { loadConfig } from '../../src/config/load.ts';
import { parseLossBatch } from '../../src/loss/loss-batch.ts';
import { train } from '../../src/train/trainer.ts';
import { readJsonl, tempDir } from '../helpers.ts';

beforeAll(async () => {
  await selectBackend('wasm');
});

const config = ucasSchema.parse({});
const round = (xs: ArrayLike<number>) => Array.from(xs, (x) => +x.toFixed(6));

describe('UCAS advantages', () => {
  it('rewards [1, 0], C = [3, 1], logits [2, 0] → [0.542531, −0.552080]', () => {
    const out = ucasAdvantages(
      { rows: 2, width: 1, mask: [1, 1], reward: [1, 0], groupId: [0, 0], certainty: [3, 1], logits: [2, 0] },
      config,
    );
    expect(round(out.advantages)).toEqual([0.542531, -0.55208]);
    expect(out.metrics.modifier_mean_pos).toBeCloseTo(Math.exp(-0.25 * 0.707106), 5);
    expect(out.metrics.modifier_mean_neg).toBeCloseTo(Math.exp(0.35 * -0.707106), 5);
    expect(out.metrics).toMatchObject({ logit_min: 0, logit_max: 2, clamped_frac: 0 });
  });
  it('row 0 with two tokens of logits [2, 1] (batch logits {2, 1, 0}) → [0.542531, 0.567531]', () => {
    const out = ucasAdvantages(
      {
        rows: 2,
        width: 2,
        mask: [1, 1, 1, 0],
        reward: [1, 0],
        groupId: [0, 0],
        certainty: [1.5, 1.5, 1, 0],
        logits: [2, 1, 0, 0],
      },
      config,
    );
    expect(round(out.advantages.subarray(0, 2))).toEqual([0.542531, 0.567531]);
    expect(out.advantages[3]).toBe(0);
  });
  it('a group with equal rewards gets −0.05·n per token, and flat logits give n = 0.5', () => {
    const out = ucasAdvantages(
      { rows: 2, width: 1, mask: [1, 1], reward: [1, 1], groupId: [0, 0], certainty: [3, 1], logits: [0.7, 0.7] },
      config,
    );
    expect(round(out.advantages)).toEqual([-0.025, -0.025]);
    expect(out.metrics.zero_group_penalty_mean).toBeCloseTo(-0.025, 12);
  });
  it('positive rows are clamped at 0, negative ones are not', () => {
    // mean-centred only: ŝ = [0.00667, −0.00333, −0.00333], Ĉ = [66.7, −33.3, −33.3]; row 0's
    // advantage 0.00667·exp(−16.7) minus the full token penalty 0.05 would go below 0
    const out = ucasAdvantages(
      {
        rows: 3,
        width: 1,
        mask: [1, 1, 1],
        reward: [0.01, 0, 0],
        groupId: [0, 0, 0],
        certainty: [100, 0, 0],
        logits: [2, 0, 1],
      },
      { ...config, norm_adv_by_std: false },
    );
    expect(out.advantages[0]).toBe(0);
    expect(out.advantages[1]).toBeLessThan(0);
    expect(out.metrics.clamped_frac).toBeCloseTo(1 / 3, 12);
  });
  it('self-certainty is −mean_v log π: log V for the uniform distribution', () => {
    const c = selfCertainty([Math.log(0.25), Math.log(0.25), Math.log(0.25), Math.log(0.25)], 1, 4);
    expect(c[0]).toBeCloseTo(Math.log(4), 12);
  });
  it('the hook reads oldLogPolicy and oldActionLogits from the batch (or log-probs with logit_source: logprob)', () => {
    const p = (x: number) => Math.log(x);
    const { batch } = parseLossBatch(
      {
        log_probs: [[p(0.5)], [p(0.9)]],
        old_log_probs: [[p(0.5)], [p(0.9)]],
        advantages: [[0], [0]],
        mask: [[1], [1]],
        rewards: [1, 0],
        group_ids: [0, 0],
        old_log_policy: [[[p(0.5), p(0.5)]], [[p(0.9), p(0.1)]]],
      },
      'b.json',
    );
    const hooks = ucasDefinition.create(config);
    expect(() => hooks.prepareBatch!(batch, {} as never)).toThrow(/oldActionLogits/);
    const shaped = hooks.prepareBatch!({ ...batch, oldActionLogits: Float32Array.from([3, -1]) }, {} as never);
    expect(shaped.value.advantages[0]).toBeGreaterThan(0);
    const logprob = ucasDefinition.create(ucasSchema.parse({ logit_source: 'logprob' })).prepareBatch!(
      batch,
      {} as never,
    );
    expect(logprob.metrics?.logit_min).toBeCloseTo(p(0.5), 6);
  });
});

describe('in training', () => {
  it('configs/ucas.yaml learns the 5×5 gridworld and logs the raw logit range', async () => {
    const dir = tempDir();
    await train(loadConfig('configs/ucas.yaml', ['steps=25', 'rollout.prompts_per_step=8', 'eval.episodes=4']), {
      runDir: dir,
      log: () => {},
    });
    const rows = readJsonl(path.join(dir, 'metrics.jsonl'));
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean(rows.slice(-5).map((r) => r.success_rate))).toBeGreaterThan(
      mean(rows.slice(0, 3).map((r) => r.success_rate)) + 0.15,
    );
    expect(rows.at(-1)!['ucas/logit_max']).toBeGreaterThan(rows.at(-1)!['ucas/logit_min']);
  }, 120_000);
});
