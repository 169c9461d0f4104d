// The token-selection building block (algorithms/token-selection.ts): the top-k count's approximate
// ceiling, top-k with index-ordered ties, the quantile rule with ties kept (or not, strict), the
// per-row scope, and the weights that give the aggregation the kept-token denominator.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { aggregateLoss } from '../../algorithms/aggregate.ts';
import { selectionWeights, selectTokens, topKCount } from '../../algorithms/token-selection.ts';
import { selectBackend } from '../../src/backend/backend.ts';

beforeAll(async () => {
  await selectBackend('cpu');
});

const f32 = (xs: number[]) => Float32Array.from(xs);
const kept = (keep: Uint8Array) => Array.from(keep.keys()).filter((i) => keep[i]);

describe('topKCount: max(1, ⌊n·ρ + 0.9999⌋)', () => {
  it('is a ceiling except within 1e-4 above an integer; ρ = 0 keeps one; n = 0 none', () => {
    expect(topKCount(7, 0.3)).toBe(3);
    expect(topKCount(10, 0.2)).toBe(2);
    expect(topKCount(10, 0.21)).toBe(3);
    // 10·0.2000001 = 2.000001: the true ceiling is 3, the code's rule gives 2
    expect(topKCount(10, 0.2000001)).toBe(2);
    expect(topKCount(10, 0)).toBe(1);
    expect(topKCount(10, 1)).toBe(10);
    expect(topKCount(0, 0.5)).toBe(0);
  });
});

describe('selectTokens', () => {
  const H = f32([0.1, 0.9, 0.4, 0.8, 0.2, 0.7, 0.3]);
  const all7 = [1, 1, 1, 1, 1, 1, 1];

  it('top_k keeps exactly K, the K-th value is the threshold', () => {
    const sel = selectTokens(H, all7, 1, 7, 'mini_batch', { rule: 'top_k', ratio: 0.3 });
    expect(kept(sel.keep)).toEqual([1, 3, 5]);
    expect(sel).toMatchObject({ kept: 3, valid: 7, tiesAtThreshold: 1, rowsWithoutKept: 0 });
    expect(sel.thresholds).toEqual([Math.fround(0.7)]);
  });

  it('quantile ≥ τ keeps the tokens above the interpolated threshold', () => {
    const sel = selectTokens(H, all7, 1, 7, 'mini_batch', { rule: 'quantile', level: 0.7, strict: false });
    expect(kept(sel.keep)).toEqual([1, 3]);
    expect(sel.thresholds[0]).toBeCloseTo(0.72, 6);
  });

  it('ties: top_k keeps the lower index, quantile keeps every tie, strict keeps none', () => {
    const flat = f32([0.5, 0.5, 0.5, 0.5]);
    const m = [1, 1, 1, 1];
    expect(kept(selectTokens(flat, m, 1, 4, 'mini_batch', { rule: 'top_k', ratio: 0.25 }).keep)).toEqual([0]);
    const q = selectTokens(flat, m, 1, 4, 'mini_batch', { rule: 'quantile', level: 0.75, strict: false });
    expect(kept(q.keep)).toEqual([0, 1, 2, 3]);
    expect(q.tiesAtThreshold).toBe(4);
    expect(selectTokens(flat, m, 1, 4, 'mini_batch', { rule: 'quantile', level: 0.8, strict: true }).kept).toBe(0);
    // 4 tokens tied at the 0.8-quantile of 10 (TRL): 5 of 10 kept, not 2
    const ten = f32([0.1, 0.2, 0.3, 0.4, 0.5, 0.7, 0.7, 0.7, 0.7, 0.9]);
    const trl = selectTokens(ten, Array(10).fill(1), 1, 10, 'mini_batch', {
      rule: 'quantile',
      level: 0.8,
      strict: false,
    });
    expect(kept(trl.keep)).toEqual([5, 6, 7, 8, 9]);
  });

  it('padding is never kept, even with the largest score; a fully masked batch keeps nothing', () => {
    const s = f32([5, 0.2, 0.1, 9]);
    const sel = selectTokens(s, [0, 1, 1, 0], 2, 2, 'mini_batch', { rule: 'top_k', ratio: 0.5 });
    expect(kept(sel.keep)).toEqual([1]);
    const none = selectTokens(s, [0, 0, 0, 0], 2, 2, 'mini_batch', { rule: 'quantile', level: 0.8, strict: false });
    expect(none).toMatchObject({ kept: 0, valid: 0, rowsWithoutKept: 0 });
    expect(none.thresholds[0]).toBeNaN();
  });

  it('row scope: one ranking per row; an empty row has a NaN threshold and keeps nothing', () => {
    // rows [0.9, 0.1 | 0.2, 0.3 | pad, pad]
    const s = f32([0.9, 0.1, 0.2, 0.3, 0, 0]);
    const m = [1, 1, 1, 1, 0, 0];
    const sel = selectTokens(s, m, 3, 2, 'row', { rule: 'top_k', ratio: 0.25 });
    expect(kept(sel.keep)).toEqual([0, 3]);
    expect(sel.thresholds.slice(0, 2)).toEqual([Math.fround(0.9), Math.fround(0.3)]);
    expect(sel.thresholds[2]).toBeNaN();
    // strict > per-row 0.8-quantile (Archer's split): a one-token row and a row of ties have none
    const strict = selectTokens(f32([0.4, 0.5, 0.5, 0.7, 0]), [1, 1, 1, 1, 0], 1, 5, 'row', {
      rule: 'quantile',
      level: 0.8,
      strict: true,
    });
    expect(kept(strict.keep)).toEqual([3]);
    const one = selectTokens(f32([0.4, 0, 0.5, 0.5]), [1, 0, 1, 1], 2, 2, 'row', {
      rule: 'quantile',
      level: 0.8,
      strict: true,
    });
    expect(one).toMatchObject({ kept: 0, rowsWithoutKept: 2 });
  });
});

describe('selectionWeights: the kept-token denominator through the run aggregation', () => {
  const agg = (
    values: number[],
    mask: number[],
    rows: number,
    width: number,
    mode: Parameters<typeof aggregateLoss>[4],
  ) => tf.tidy(() => aggregateLoss(tf.tensor1d(values), Float32Array.from(mask), rows, width, mode).dataSync()[0]);

  it('token-mean: w = k·N/K, so the mean of w·ℓ is the mean over kept tokens', () => {
    const keep = Uint8Array.from([0, 1, 0, 1, 0, 1, 0]);
    const mask = [1, 1, 1, 1, 1, 1, 1];
    const w = selectionWeights(keep, mask, 1, 7, 'token-mean', 'kept');
    expect(Array.from(w)).toEqual([0, 7 / 3, 0, 7 / 3, 0, 7 / 3, 0].map(Math.fround));
    const loss = [0.3, -1, 2, -2, 5, -3, 7];
    expect(
      agg(
        loss.map((l, i) => l * w[i]),
        mask,
        1,
        7,
        'token-mean',
      ),
    ).toBeCloseTo((-1 - 2 - 3) / 3, 6);
    expect(Array.from(selectionWeights(keep, mask, 1, 7, 'token-mean', 'all'))).toEqual(Array.from(keep));
  });

  it('seq-mean-token-mean: w = k·n_i/K_i; a row without kept tokens counts as 0 (the code: NaN)', () => {
    // rows [0.9, 0.1 | 0.2, 0.3], K = 1 (the 0.9 token): weights [2, 0 | 0, 0], loss (ℓ00 + 0)/2
    const keep = Uint8Array.from([1, 0, 0, 0]);
    const mask = [1, 1, 1, 1];
    const w = selectionWeights(keep, mask, 2, 2, 'seq-mean-token-mean', 'kept');
    expect(Array.from(w)).toEqual([2, 0, 0, 0]);
    const loss = [-0.8, 4, 3, 1];
    expect(
      agg(
        loss.map((l, i) => l * w[i]),
        mask,
        2,
        2,
        'seq-mean-token-mean',
      ),
    ).toBeCloseTo(-0.4, 6);
  });

  it('the token-sum modes and a fully masked batch: w = k; nothing kept gives weights 0, not NaN', () => {
    const keep = Uint8Array.from([1, 0, 1, 0]);
    for (const mode of ['seq-mean-token-sum', 'seq-mean-token-sum-norm'] as const)
      expect(Array.from(selectionWeights(keep, [1, 1, 1, 1], 2, 2, mode, 'kept'))).toEqual([1, 0, 1, 0]);
    const w = selectionWeights(new Uint8Array(4), [1, 1, 0, 0], 2, 2, 'token-mean', 'kept');
    expect(Array.from(w)).toEqual([0, 0, 0, 0]);
    expect(Array.from(selectionWeights(new Uint8Array(4), [0, 0, 0, 0], 2, 2, 'seq-mean-token-mean', 'kept'))).toEqual([
      0, 0, 0, 0,
    ]);
  });
});
