import { describe, expect, it } from 'vitest';
import {
  logPolicyEntropy,
  logSoftmax,
  logSoftmaxAt,
  maskedMean,
  mean,
  populationStats,
  sampleStd,
  softmaxEntropy,
} from '../../src/base/numerics.ts';

// logits [0, ln 3] give softmax [1/4, 3/4]; its entropy is ln 4 − (3/4)·ln 3
const LN3 = Math.log(3);
const H = Math.log(4) - 0.75 * LN3;

describe('log-softmax and entropy of a logits row', () => {
  it('logSoftmaxAt: log(1/4) and log(3/4), at T = 1 and on doubled logits at T = 2, read at an offset', () => {
    const row = [9, 9, 0, LN3, 9];
    expect(logSoftmaxAt(row, 2, 2, 1, 0)).toBeCloseTo(Math.log(0.25), 14);
    expect(logSoftmaxAt(row, 2, 2, 1, 1)).toBeCloseTo(Math.log(0.75), 14);
    expect(logSoftmaxAt([0, 2 * LN3], 0, 2, 2, 0)).toBeCloseTo(Math.log(0.25), 14);
    // shift invariance: adding 1000 to every logit changes nothing (the max is subtracted first)
    expect(logSoftmaxAt([1000, 1000 + LN3], 0, 2, 1, 1)).toBeCloseTo(Math.log(0.75), 12);
  });

  it('logSoftmax: the whole row in float32, each entry the float32 of log softmax', () => {
    const out = logSoftmax([7, 0, LN3], 1, 2, 1);
    expect(out).toBeInstanceOf(Float32Array);
    expect(out[0]).toBe(Math.fround(Math.log(0.25)));
    expect(out[1]).toBe(Math.fround(Math.log(0.75)));
  });

  it('softmaxEntropy: ln 4 − ¾ ln 3; a −∞ logit counts as probability 0; uniform gives ln n', () => {
    expect(softmaxEntropy([0, LN3], 0, 2, 1)).toBeCloseTo(H, 14);
    expect(softmaxEntropy([0, LN3, -Infinity], 0, 3, 1)).toBeCloseTo(H, 14);
    expect(softmaxEntropy([0, 2 * LN3], 0, 2, 2)).toBeCloseTo(H, 14);
    expect(softmaxEntropy([5, 5, 5, 5], 0, 4, 0.7)).toBeCloseTo(Math.log(4), 14);
  });

  it('logPolicyEntropy: −Σ p·log p of a stored log-distribution row', () => {
    expect(logPolicyEntropy([1, Math.log(0.25), Math.log(0.75)], 1, 2)).toBeCloseTo(H, 14);
    expect(logPolicyEntropy([0], 0, 1)).toBe(0);
  });
});

describe('means and population statistics', () => {
  it('mean: 0 for no values; sums left to right from 0 (the order is part of the contract)', () => {
    expect(mean([1, 2, 3, 6])).toBe(3);
    expect(mean(new Uint8Array([1, 0, 1, 1]))).toBe(0.75);
    expect(mean([])).toBe(0);
    // 1e16 + 1 rounds back to 1e16, so the order decides: a reordered or compensated sum would differ
    expect(mean([1e16, 1, -1e16])).toBe(0);
    expect(mean([1e16, -1e16, 1])).toBe(1 / 3);
  });

  it('maskedMean: Σ v·m / Σ m over non-zero mask, rows filtered by include, 0 when nothing counts', () => {
    expect(maskedMean([1, 2, 100, 4], [1, 1, 0, 1])).toBe(7 / 3);
    // a weight of 0.5: (2·0.5 + 4·1) / 1.5
    expect(maskedMean([2, 4], [0.5, 1])).toBeCloseTo(10 / 3, 14);
    // width 2: rows [1, 2] and [3, 5]; only row 1 counts
    expect(maskedMean([1, 2, 3, 5], [1, 1, 1, 1], { width: 2, row: (r) => r === 1 })).toBe(4);
    expect(maskedMean([1, 2], [0, 0])).toBe(0);
    // a padded slot holding NaN is skipped, not multiplied by 0
    expect(maskedMean([1, Number.NaN, 3], [1, 0, 1])).toBe(2);
  });

  it('populationStats: mean 5, variance 4, std 2 for the textbook eight; masked slots left out; zeros for none', () => {
    expect(populationStats([2, 4, 4, 4, 5, 5, 7, 9])).toEqual({ count: 8, mean: 5, variance: 4, std: 2 });
    expect(populationStats([2, 100, 4], [1, 0, 1])).toEqual({ count: 2, mean: 3, variance: 1, std: 1 });
    expect(populationStats([])).toEqual({ count: 0, mean: 0, variance: 0, std: 0 });
    expect(populationStats([3, 4], [0, 0])).toEqual({ count: 0, mean: 0, variance: 0, std: 0 });
  });

  it('sampleStd: Bessel-corrected (32/7 for the textbook eight); NaN under two values', () => {
    expect(sampleStd([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(Math.sqrt(32 / 7), 14);
    expect(sampleStd([1, 3])).toBe(Math.SQRT2);
    expect(sampleStd([1])).toBeNaN();
  });
});
