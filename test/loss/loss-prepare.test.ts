// `entrolab loss --prepare`: the prepareBatch hooks of Clip_B and CANON on a given batch, checked by
// hand — the dropped token leaves the loss and its token-mean, CANON's advantages replace the given
// ones — through the CLI and the library; a row-changing hook is refused. Reward shaping (ARES's
// hwe_reward, the worked example of docs/hwe-reward.md): the shaped rewards, the advantages from
// them, the state from the batch file and after the step; the fields it needs, in one line each.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadLossConfig } from '../../src/config/loss-config.ts';
import { parseLossBatch } from '../../src/loss/loss-batch.ts';
import { computeLoss } from '../../src/loss/loss-check.ts';
import { tempDir } from '../helpers.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const ln = Math.log;
// one group of four responses, one token each, ρ = 1: p = [0.5, 0.3, 0.2, 0.5] with H = 1.029653, so
// S = [0.168, −0.052, −0.116, 0.168]; rewards [1, 0, 0, 1] with old_entropy = [0.3, 0.1, 0.2, 0.9]
// per row for CANON (its split reads old_entropy; Clip_B reads it too — both are set per case).
const p = [0.5, 0.3, 0.2, 0.5];
const H = 1.029653;
const base = {
  log_probs: p.map((x) => [ln(x)]),
  old_log_probs: p.map((x) => [ln(x)]),
  advantages: [[1], [-1], [-1], [1]],
  mask: [[1], [1], [1], [1]],
  group_ids: [0, 0, 0, 0],
  rewards: [1, 0, 0, 1],
};

describe('entrolab loss --prepare', () => {
  it('Clip_B (μ = 1) drops token (2, 0): out of the loss and of the token-mean denominator', () => {
    // S − mean = [0.126, −0.094, −0.158, 0.126], σ_S = 0.1343: only row 2 (A < 0) is below −σ_S
    const doc = { ...base, old_entropy: p.map(() => [H]) };
    const config = loadLossConfig(undefined, ['regularizers=[{name: entropy_clip, mu: 1}]']);
    const plain = computeLoss(parseLossBatch(doc, 'b'), config);
    const out = computeLoss(parseLossBatch(doc, 'b'), config, { prepare: true });
    expect(plain.prepared).toBeUndefined();
    expect(plain.loss).toBeCloseTo((-1 + 1 + 1 - 1) / 4, 6);
    expect(out.prepared?.mask).toEqual([[1], [1], [0], [1]]);
    expect(out.selections.entropy_clip.tokens).toEqual([[2, 0]]);
    // token-mean of −A·ρ over the three kept tokens; the dropped one has no gradient
    expect(out.loss).toBeCloseTo((-1 + 1 - 1) / 3, 6);
    expect(out.grad_log_probs.map((r) => r[0])).toEqual([-1 / 3, 1 / 3, 0, -1 / 3].map((x) => expect.closeTo(x, 6)));
    expect(out.metrics['entropy_clip/frac_clipped']).toBeCloseTo(0.25, 6);
  });

  it('CANON (μ = 1) through the CLI: the given advantages are replaced by the inter-group ones', () => {
    // e = [0.3, 0.1, 0.2, 0.9]: Low = rows {1, 2} (r̄_L = 0), High = rows {0, 3} (r̄_H = 1)
    // High: r − r̄_L = [1, 1]; Low: r − r̄_H = [−1, −1]
    const dir = tempDir('entrolab-loss-prepare-');
    const file = path.join(dir, 'batch.json');
    fs.writeFileSync(
      file,
      JSON.stringify({ ...base, advantages: [[9], [9], [9], [9]], old_entropy: [[0.3], [0.1], [0.2], [0.9]] }),
    );
    const run = (...extra: string[]) =>
      spawnSync(
        process.execPath,
        ['bin/entrolab.js', 'loss', file, '--compact', '--set', 'regularizers=[{name: canon}]', ...extra],
        {
          encoding: 'utf8',
        },
      );
    const res = run('--prepare');
    expect(res.status, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout);
    expect(out.prepared.advantages).toEqual([[1], [-1], [-1], [1]]);
    expect(out.loss).toBeCloseTo(0, 6);
    expect(out.grad_log_probs).toEqual([[-0.25], [0.25], [0.25], [-0.25]]);
    expect(out.metrics['canon/gap']).toBe(1);
    // without --prepare the hook does not run: the given advantages (9) are used
    expect(JSON.parse(run().stdout).grad_log_probs).toEqual([[-2.25], [-2.25], [-2.25], [-2.25]]);
  });

  it('refuses a hook that changes the rows (AEPO in replace mode with extra rows)', () => {
    const doc = { ...base, is_extra: [0, 0, 1, 1], old_entropy: p.map(() => [H]) };
    const config = loadLossConfig(undefined, [
      'regularizers=[{name: aepo, target_entropy: 0.5, select_threshold: -10, reinforce_samples: 1}]',
    ]);
    expect(() =>
      computeLoss(parseLossBatch({ ...doc, old_log_policy: p.map((x) => [[ln(x), ln(1 - x)]]) }, 'b'), config, {
        prepare: true,
      }),
    ).toThrow(/aepo' changes the batch's rows/);
  });
});

const HWE_DOC = fs.readFileSync('docs/hwe-reward.md', 'utf8');
function hweBlock(name: string): Record<string, unknown> {
  const m = new RegExp(`\`\`\`json ${name}\\n([\\s\\S]*?)\`\`\``).exec(HWE_DOC);
  if (!m) throw new Error(`docs/hwe-reward.md has no block 'json ${name}'`);
  return JSON.parse(m[1]);
}

describe('entrolab loss --prepare with reward shaping (docs/hwe-reward.md)', () => {
  const batch = hweBlock('hwe-batch');
  const expected = hweBlock('hwe-output') as {
    prepared: { rewards: number[]; advantages: number[][] };
    state: { hwe_reward: { threshold: number; alpha: object; target: object } };
  };
  const HWE = "regularizers=[{name: hwe_reward, trigger_tokens: ['='], trigger_on: sampled, window_size: 1}]";

  it('the documented example through the CLI: shaped rewards, advantages from them, the state after', () => {
    const dir = tempDir('entrolab-loss-prepare-');
    const file = path.join(dir, 'hwe-batch.json');
    fs.writeFileSync(file, JSON.stringify(batch));
    const res = spawnSync(process.execPath, ['bin/entrolab.js', 'loss', file, '--prepare', '--set', HWE], {
      encoding: 'utf8',
    });
    expect(res.status, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout);
    // the doc's numbers, and the hand computation behind them
    expect(out.prepared.rewards).toEqual(expected.prepared.rewards);
    out.prepared.rewards.forEach((r: number, i: number) =>
      expect(r).toBeCloseTo([1 - (0.25 * 0.5) / 3, 1, 0.3, 0.3][i], 6),
    );
    expect(out.prepared.advantages).toEqual(expected.prepared.advantages);
    const a = 0.0208333333 / (Math.SQRT2 * 0.0208333333 + 1e-6);
    expect(out.prepared.advantages[1][0]).toBeCloseTo(a, 6);
    const state = out.state.hwe_reward;
    expect(state.threshold).toBeCloseTo(expected.state.hwe_reward.threshold, 6);
    expect(state.threshold).toBeCloseTo(0.9 * 0.8 + 0.1 * 0.84, 6);
    expect(state.alpha).toEqual(expected.state.hwe_reward.alpha);
    expect(state.target).toEqual(expected.state.hwe_reward.target);
    expect(out.metrics['hwe_reward/threshold']).toBeCloseTo(0.8, 6);
    expect(out.metrics['hwe_reward/soft_cost_mean']).toBeCloseTo(1.55 / 4, 6);
    expect(out.metrics['reward/raw']).toBe(0.5);
    // token-mean over 26 valid tokens with ρ = 1: d loss / d lp = −A/26
    expect(out.grad_log_probs[0][0]).toBeCloseTo(a / 26, 6);
  }, 30_000);

  it('without --prepare the hook does not run: the given advantages and no reward metrics', () => {
    const out = computeLoss(parseLossBatch(batch, 'b'), loadLossConfig(undefined, [HWE]));
    expect(out.prepared).toBeUndefined();
    expect(out.loss).toBe(0);
    expect(Object.keys(out.metrics).some((k) => k.startsWith('reward/'))).toBe(false);
  });

  it("needs 'rewards' and 'success' with --prepare; a state that does not fit is one line naming the field", () => {
    const config = loadLossConfig(undefined, [HWE]);
    const prepare = (doc: Record<string, unknown>) => () =>
      computeLoss(parseLossBatch(doc, 'b'), config, { prepare: true });
    const { rewards: _r, ...noRewards } = batch;
    expect(prepare(noRewards)).toThrow("batch: field 'rewards' is required with --prepare: regularizer 'hwe_reward'");
    const { success: _s, ...noSuccess } = batch;
    expect(prepare(noSuccess)).toThrow("batch: field 'success' is required with --prepare: regularizer 'hwe_reward'");
    expect(prepare({ ...batch, state: { hwe_reward: { threshold: 1 } } })).toThrow(
      /^batch: field 'state.hwe_reward': saved state .* does not match at 'alpha'/,
    );
    expect(prepare({ ...batch, state: { canon: {} } })).toThrow(
      "batch: field 'state' names regularizer 'canon', which the config does not list (listed: hwe_reward)",
    );
    expect(() => parseLossBatch({ ...batch, success: [1, 2, 0, 0] }, 'b')).toThrow("field 'success' must hold 0 or 1");
    expect(() => parseLossBatch({ ...batch, action_names: 'a=' }, 'b')).toThrow(
      "field 'action_names' must be a non-empty [A] array of strings",
    );
  });
});

const SPEAR_DOC = fs.readFileSync('docs/spear.md', 'utf8');
function spearBlock(name: string): Record<string, unknown> {
  const m = new RegExp(`\`\`\`json ${name}\\n([\\s\\S]*?)\`\`\``).exec(SPEAR_DOC);
  if (!m) throw new Error(`docs/spear.md has no block 'json ${name}'`);
  return JSON.parse(m[1]);
}

describe('entrolab loss --prepare with a replay buffer in the state (docs/spear.md)', () => {
  const SPEAR = 'regularizers=[{name: spear, buffer_size: 1, replay_warmup_steps: 4, toolcall_steps: 4}]';
  const batch = spearBlock('spear-batch');

  it('the documented example: the tool-call bonus, the replayed row with its own old log-probs and the scale', () => {
    const out = computeLoss(parseLossBatch(batch, 'b'), loadLossConfig(undefined, [SPEAR]), { prepare: true });
    const expected = spearBlock('spear-output-prepared') as { rewards: number[]; replay: Record<string, unknown> };
    expect(out.prepared!.rewards).toEqual(expected.rewards);
    expect(out.prepared!.replay).toEqual(expected.replay);
    // by hand: bonus 0.1·(cos(π/2) + 1)/2, scale (1 − cos(π/2))/2, A = 1 − median([0.5])
    expect(out.prepared!.rewards![0]).toBeCloseTo(1 + 0.1 * 0.5, 6);
    expect(out.prepared!.replay!.loss_scale).toBeCloseTo(0.5, 6);
    expect(out.metrics['spear/replay_baseline']).toBe(0.5);
    expect(out.state!.spear).toMatchObject({ segments: [], full: false });
  });

  it('a buffer that is not full replays nothing; a malformed saved row is one line naming the field', () => {
    const state = (batch.state as { spear: Record<string, unknown> }).spear;
    const config = loadLossConfig(undefined, [SPEAR]);
    const notFull = { ...batch, state: { spear: { ...state, full: false } } };
    expect(computeLoss(parseLossBatch(notFull, 'b'), config, { prepare: true }).prepared!.replay).toBeUndefined();
    const segments = state.segments as { step: number; batch: Record<string, unknown> }[];
    const broken = {
      ...batch,
      state: { spear: { ...state, segments: [{ step: 0, batch: { ...segments[0].batch, mask: [1] } }] } },
    };
    expect(() => computeLoss(parseLossBatch(broken, 'b'), config, { prepare: true })).toThrow(
      "saved batch field 'mask' must be 4 numbers",
    );
  });
});
