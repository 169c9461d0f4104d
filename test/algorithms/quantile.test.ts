// The float32 linear-interpolation quantile (algorithms/quantile.ts) against values numpy/torch give.
import { describe, expect, it } from 'vitest';
import { quantile, rowQuantile } from '../../algorithms/quantile.ts';

describe('quantile (torch.quantile, linear, float32)', () => {
  it('hand values: interpolates between order statistics at q·(n − 1)', () => {
    expect(quantile([4, 1, 3, 2], 0.5)).toBe(2.5);
    // [0.1 … 0.9] (7 values), q = 0.7: position 4.2 → 0.7 + 0.2·(0.8 − 0.7) = 0.72
    expect(quantile([0.1, 0.9, 0.4, 0.8, 0.2, 0.7, 0.3], 0.7)).toBeCloseTo(0.72, 6);
    // q = 0.8 of [0.1, 0.2, 0.3, 0.4, 1.0]: position 3.2 → 0.4 + 0.2·0.6 = 0.52
    expect(quantile([0.1, 0.2, 0.3, 0.4, 1.0], 0.8)).toBeCloseTo(0.52, 6);
  });

  it('ends and ties return an input value exactly (as float32)', () => {
    const xs = [0.3, 0.1, 0.7, 0.7];
    expect(quantile(xs, 0)).toBe(Math.fround(0.1));
    expect(quantile(xs, 1)).toBe(Math.fround(0.7));
    // position 2.4 lies between two equal values: exactly that value, so "≥ τ" keeps both
    expect(quantile(xs, 0.8)).toBe(Math.fround(0.7));
    expect(quantile([0.5], 0.3)).toBe(0.5);
  });

  it('an empty set gives NaN (nanquantile of an all-padding row); rowQuantile reads one row', () => {
    expect(quantile([], 0.5)).toBeNaN();
    const values = [9, 1, 2, 3, 0, 0];
    const mask = [0, 1, 1, 1, 0, 0];
    expect(rowQuantile(values, mask, 0, 3, 0.5)).toBe(1.5);
    expect(rowQuantile(values, mask, 1, 3, 0.5)).toBe(3);
    expect(rowQuantile([1, 2], [0, 0], 0, 2, 0.5)).toBeNaN();
  });
});
