// The unbiased pass@k estimator (Chen et al. 2021): hand-computed values, the definition by
// enumeration of k-subsets, the naive estimate at n = k, and the edges c = 0, c = n, n − c < k.
import { describe, expect, it } from 'vitest';
import { defaultPassKs, passAtK, passAtKCurve } from '../../src/core/pass-at-k.ts';

/** Share of the k-subsets of n samples (the first c correct) that hold a correct one, by enumeration. */
function bySubsets(n: number, c: number, k: number): number {
  let hit = 0;
  let all = 0;
  const walk = (start: number, left: number, any: boolean) => {
    if (left === 0) {
      all += 1;
      if (any) hit += 1;
      return;
    }
    for (let i = start; i <= n - left; i++) walk(i + 1, left - 1, any || i < c);
  };
  walk(0, k, false);
  return hit / all;
}

describe('passAtK', () => {
  it('matches 1 − C(n−c, k)/C(n, k) worked by hand', () => {
    expect(passAtK(5, 2, 2)).toBeCloseTo(1 - 3 / 10, 14); // C(3,2)=3, C(5,2)=10
    expect(passAtK(10, 3, 4)).toBeCloseTo(1 - 35 / 210, 14); // C(7,4)=35, C(10,4)=210
    // C(60,16)/C(64,16) = (48·47·46·45)/(64·63·62·61)
    expect(passAtK(64, 4, 16)).toBeCloseTo(1 - 4669920 / 15249024, 14);
    expect(passAtK(64, 1, 16)).toBeCloseTo(16 / 64, 14); // one correct sample: k/n
    // large n stays finite and exact where C(1024, 512) overflows a double: (512·511·510)/(1024·1023·1022)
    expect(passAtK(1024, 3, 512)).toBeCloseTo(1 - 133432320 / 1070598144, 12);
  });

  it('is the share of k-subsets with a correct sample (the definition), for every c and k of n = 7', () => {
    for (let c = 0; c <= 7; c++)
      for (let k = 1; k <= 7; k++) expect(passAtK(7, c, k)).toBeCloseTo(bySubsets(7, c, k), 12);
  });

  it('pass@1 is c/n', () => {
    for (const [n, c] of [
      [64, 0],
      [64, 5],
      [10, 7],
      [3, 3],
    ])
      expect(passAtK(n, c, 1)).toBeCloseTo(c / n, 14);
  });

  it('equals the naive estimate (any of the k samples correct) when n = k', () => {
    for (const n of [1, 4, 16, 64]) {
      expect(passAtK(n, 0, n)).toBe(0);
      for (let c = 1; c <= n; c++) expect(passAtK(n, c, n)).toBe(1);
    }
  });

  it('edges: c = 0 gives 0, c = n gives 1, n − c < k gives 1', () => {
    expect(passAtK(64, 0, 1)).toBe(0);
    expect(passAtK(64, 0, 64)).toBe(0);
    expect(passAtK(64, 64, 1)).toBe(1);
    expect(passAtK(64, 64, 64)).toBe(1);
    expect(passAtK(64, 60, 8)).toBe(1); // 4 wrong samples cannot fill 8 draws
    expect(passAtK(5, 3, 3)).toBe(1);
    expect(passAtK(5, 3, 2)).toBeCloseTo(1 - 1 / 10, 14); // C(2,2)/C(5,2)
  });

  it('is non-decreasing in k and in c', () => {
    for (let c = 0; c <= 16; c++)
      for (let k = 1; k < 16; k++) {
        expect(passAtK(16, c, k + 1)).toBeGreaterThanOrEqual(passAtK(16, c, k));
        if (c < 16) expect(passAtK(16, c + 1, k)).toBeGreaterThanOrEqual(passAtK(16, c, k));
      }
  });

  it('refuses k > n, c > n and non-integers', () => {
    expect(() => passAtK(4, 1, 5)).toThrow(/1 ≤ k ≤ n/);
    expect(() => passAtK(4, 5, 1)).toThrow();
    expect(() => passAtK(4, 1.5, 1)).toThrow();
    expect(() => passAtK(4, 1, 0)).toThrow();
  });
});

describe('passAtKCurve', () => {
  it('averages over prompts for each k', () => {
    // two prompts of n = 4: c = 1 and c = 0; pass@1 = (1/4 + 0)/2, pass@2 = (1 − C(3,2)/C(4,2))/2 = (1/2)/2
    const curve = passAtKCurve([1, 0], 4, [1, 2, 4]);
    expect(curve).toEqual({ '1': 0.125, '2': 0.25, '4': 0.5 });
  });
});

describe('defaultPassKs', () => {
  it('is the powers of two up to n, with n and the extra k', () => {
    expect(defaultPassKs(64)).toEqual([1, 2, 4, 8, 16, 32, 64]);
    expect(defaultPassKs(4, [4])).toEqual([1, 2, 4]);
    expect(defaultPassKs(6, [3])).toEqual([1, 2, 3, 4, 6]);
    expect(defaultPassKs(1)).toEqual([1]);
  });
});
