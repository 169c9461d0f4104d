// src/core/clip-by-entropy.ts: the PPO clip fraction split by token entropy, on hand-worked arrays,
// through `entrolab loss` (the split adds up to actor/pg_clipfrac; the threshold is
// diagnostics.high_entropy_nats) and in a real run (a step with two epochs clips in the second).
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/backend.ts';
import { loadConfig } from '../../src/config/load.ts';
import { loadLossConfig } from '../../src/config/loss-config.ts';
import { clipFractionsByEntropy } from '../../src/core/clip-by-entropy.ts';
import { parseLossBatch } from '../../src/loss/loss-batch.ts';
import { computeLoss } from '../../src/loss/loss-check.ts';
import { train } from '../../src/train/trainer.ts';
import { readJsonl, tempDir } from '../helpers.ts';

beforeAll(async () => {
  await selectBackend('wasm');
});

const HIGH = 'actor/pg_clipfrac_high_entropy';
const LOW = 'actor/pg_clipfrac_low_entropy';

describe('clipFractionsByEntropy (hand)', () => {
  it('splits at the threshold (equal counts as low) over valid tokens only', () => {
    // valid: 0..5; slot 6 is padding (clipped, high entropy: must not count)
    const clipped = [1, 0, 0, 1, 1, 1, 1];
    const entropy = [2, 0.5, 1.5, 0.2, 3, 1, 9];
    const mask = [1, 1, 1, 1, 1, 1, 0];
    // high (> 1): tokens 0, 2, 4 → clipped 0 and 4 → 2/3; low (≤ 1): 1, 3, 5 → clipped 3 and 5 → 2/3
    expect(clipFractionsByEntropy(clipped, entropy, mask, 1)).toEqual({ [HIGH]: 2 / 3, [LOW]: 2 / 3 });
    // threshold 1.75: high = {0, 4}, both clipped → 1; low = {1, 2, 3, 5}, clipped 3 and 5 → 1/2
    expect(clipFractionsByEntropy(clipped, entropy, mask, 1.75)).toEqual({ [HIGH]: 1, [LOW]: 0.5 });
  });

  it('a set without tokens reports nothing (not 0, not NaN)', () => {
    expect(clipFractionsByEntropy([1, 0], [0.1, 0.2], [1, 1], 1)).toEqual({ [LOW]: 0.5 });
    expect(clipFractionsByEntropy([1, 0], [5, 6], [1, 1], 1)).toEqual({ [HIGH]: 0.5 });
    expect(clipFractionsByEntropy([1], [5], [0], 1)).toEqual({});
  });
});

describe('through entrolab loss', () => {
  // one row of 4: A = +1, ρ = 1.5 on tokens 0 and 2 (clipped at 1 + 0.28), 1 elsewhere
  const lp0 = Math.log(0.4);
  const batch = {
    log_probs: [[lp0 + Math.log(1.5), lp0, lp0 + Math.log(1.5), lp0]],
    old_log_probs: [[lp0, lp0, lp0, lp0]],
    advantages: [[1, 1, 1, 1]],
    mask: [[1, 1, 1, 1]],
    entropy: [[1.2, 1.4, 0.3, 0.6]],
  };
  const run = (sets: string[]) => computeLoss(parseLossBatch(batch, 'b.json'), loadLossConfig(undefined, sets));

  it('high {0, 1} has one clipped of two, low {2, 3} one of two; the split averages to pg_clipfrac', () => {
    const out = run(['grpo.clip_ratio_high=0.28']);
    expect(out.metrics['actor/pg_clipfrac']).toBeCloseTo(0.5, 12);
    expect(out.metrics[HIGH]).toBeCloseTo(0.5, 12);
    expect(out.metrics[LOW]).toBeCloseTo(0.5, 12);
  });

  it('diagnostics.high_entropy_nats moves the split: at 1.3 only token 1 is high (not clipped)', () => {
    const out = run(['grpo.clip_ratio_high=0.28', 'diagnostics.high_entropy_nats=1.3']);
    expect(out.metrics[HIGH]).toBe(0);
    // low {0, 2, 3}: tokens 0 and 2 clipped
    expect(out.metrics[LOW]).toBeCloseTo(2 / 3, 6);
  });
});

describe('in a training run', () => {
  it('logs both keys each step, in [0, 1], with the step clip fraction between them', async () => {
    const config = loadConfig('configs/quickstart.yaml', [
      'steps=3',
      'grpo.epochs=3',
      'grpo.mini_batches=1',
      'optim.lr=0.03',
      'eval.episodes=2',
      // the gridworld's 4 actions: entropies up to ln 4 = 1.39; split at 1.3 so both sets are seen
      'diagnostics.high_entropy_nats=1.3',
    ]);
    const dir = tempDir();
    await train(config, { runDir: dir, log: () => {} });
    const rows = readJsonl(path.join(dir, 'metrics.jsonl'));
    expect(rows).toHaveLength(3);
    let clippedSomewhere = false;
    for (const m of rows) {
      const pair = [m[HIGH], m[LOW]].filter((v) => v !== undefined);
      expect(pair.length).toBeGreaterThan(0);
      for (const v of pair) expect(v).toBeGreaterThanOrEqual(0);
      for (const v of pair) expect(v).toBeLessThanOrEqual(1);
      // one mini-batch per epoch: the step's fraction is a weighted mean of the two sets' fractions
      if (pair.length === 2) {
        expect(m['actor/pg_clipfrac']).toBeGreaterThanOrEqual(Math.min(...pair) - 1e-12);
        expect(m['actor/pg_clipfrac']).toBeLessThanOrEqual(Math.max(...pair) + 1e-12);
      }
      if (m['actor/pg_clipfrac'] > 0) clippedSomewhere = true;
    }
    expect(clippedSomewhere).toBe(true);
  });
});
