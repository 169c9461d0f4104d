// EDGE-GRPO's entropy-driven advantage (arXiv 2507.21848): A' = A·H̄_batch/H̄_row on the toy
// A = [+1, −1], H̄ = [0.5, 1.5] → [2, −0.666667]; with the row entropy on the tape the loss's
// gradient wrt entropy has the sign of A (sharpening good rows), detached it has none; padding
// rows and a short training run in both modes.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { edaFactors, rowEntropies } from '../../algorithms/edge-eda.ts';
import { selectBackend } from '../../src/backend/backend.ts';
import { loadConfig } from '../../src/config/load.ts';
import { loadLossConfig } from '../../src/config/loss-config.ts';
import { parseLossBatch } from '../../src/loss/loss-batch.ts';
import { computeLoss } from '../../src/loss/loss-check.ts';
import { train } from '../../src/train/trainer.ts';
import { readJsonl, tempDir } from '../helpers.ts';

beforeAll(async () => {
  await selectBackend('wasm');
});

// one token per row, ρ = 1: ℓ = −A' → token-mean L = (−2 + 0.666667)/2
const toy = {
  log_probs: [[-1], [-1]],
  old_log_probs: [[-1], [-1]],
  advantages: [[1], [-1]],
  mask: [[1], [1]],
  entropy: [[0.5], [1.5]],
};
const loss = (reg: string) =>
  computeLoss(parseLossBatch(toy, 'b.json'), loadLossConfig(undefined, [`regularizers=[${reg}]`]));

describe('EDGE-GRPO factors', () => {
  it('H̄ = [0.5, 1.5] → H̄_batch = 1 → factors [2, 0.666667]', () => {
    const rows = rowEntropies([0.5, 1.5], Float32Array.from([1, 1]), 2, 1, false);
    expect(rows.batch).toBe(1);
    expect(Array.from(edaFactors(rows)).map((f) => +f.toFixed(6))).toEqual([2, 0.666667]);
  });
  it('valid tokens only by default; include_padding averages the whole width; an empty row gets 1', () => {
    const mask = Float32Array.from([1, 0, 0, 0]);
    const entropy = [0.4, 2, 9, 9];
    expect(rowEntropies(entropy, mask, 2, 2, false).row[0]).toBeCloseTo(0.4, 12);
    expect(rowEntropies(entropy, mask, 2, 2, true).row[0]).toBeCloseTo(1.2, 12);
    const rows = rowEntropies(entropy, mask, 2, 2, false);
    expect(rows.batch).toBeCloseTo(0.4, 12);
    expect(edaFactors(rows)[1]).toBe(1);
  });
});

describe('the loss through entrolab loss', () => {
  it('entropy_grad (the code): loss −0.666667, d/dlp = −A′/2, d/dH = A·H̄_batch/(2·H̄²) with the sign of A', () => {
    const out = loss('{name: edge_eda}');
    expect(out.loss).toBeCloseTo(-0.666667, 5);
    expect(out.grad_log_probs.flat()).toEqual([expect.closeTo(-1, 5), expect.closeTo(0.333333, 5)]);
    expect(out.grad_entropy.flat()).toEqual([expect.closeTo(2, 5), expect.closeTo(-0.222222, 5)]);
    expect(out.metrics).toMatchObject({ 'edge_eda/factor_min': expect.closeTo(0.666667, 5), 'edge_eda/factor_max': 2 });
  });
  it('entropy_grad: false is a token weight with the same loss and no entropy gradient', () => {
    const out = loss('{name: edge_eda, entropy_grad: false}');
    expect(out.loss).toBeCloseTo(-0.666667, 5);
    expect(out.grad_log_probs.flat()).toEqual([expect.closeTo(-1, 5), expect.closeTo(0.333333, 5)]);
    expect(out.grad_entropy.flat()).toEqual([0, 0]);
    expect(out.selections.edge_eda.weights).toEqual([[2], [expect.closeTo(0.666667, 5)]]);
  });
});

describe('in training', () => {
  it.each(['true', 'false'])(
    'entropy_grad: %s learns the 5×5 gridworld',
    async (grad) => {
      const dir = tempDir();
      const sets = ['steps=25', 'rollout.prompts_per_step=8', 'eval.episodes=4', `regularizers.0.entropy_grad=${grad}`];
      await train(loadConfig('configs/edge-eda.yaml', sets), { runDir: dir, log: () => {} });
      const rows = readJsonl(path.join(dir, 'metrics.jsonl'));
      const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
      expect(mean(rows.slice(-5).map((r) => r.success_rate))).toBeGreaterThan(
        mean(rows.slice(0, 3).map((r) => r.success_rate)) + 0.15,
      );
      expect(rows.at(-1)!['edge_eda/factor_max']).toBeGreaterThan(1);
    },
    120_000,
  );
});
