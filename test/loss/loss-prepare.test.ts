// `entrolab loss --prepare`: the prepareBatch hooks of Clip_B and CANON on a given batch, checked by
// hand — the dropped token leaves the loss and its token-mean, CANON's advantages replace the given
// ones — through the CLI and the library; a row-changing hook is refused.
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
