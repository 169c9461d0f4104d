import { describe, expect, it } from 'vitest';
import { mean, meanCi95, normalizedArea, sampleStd, studentTCdf, studentTQuantile } from '../../src/report/stats.ts';

describe('Student t quantiles', () => {
  // Reference values: standard t tables (two-sided 95% ⇒ p = 0.975), 9 significant digits.
  const table: [number, number][] = [
    [1, 12.7062047],
    [2, 4.30265273],
    [3, 3.18244631],
    [4, 2.77644511],
    [9, 2.26215716],
    [29, 2.04522964],
    [1000, 1.96233908],
  ];
  for (const [df, t] of table) {
    it(`t(0.975, ${df}) = ${t}`, () => expect(studentTQuantile(0.975, df)).toBeCloseTo(t, 6));
  }

  it('is symmetric and the CDF inverts it', () => {
    expect(studentTQuantile(0.025, 5)).toBeCloseTo(-studentTQuantile(0.975, 5), 10);
    expect(studentTQuantile(0.5, 7)).toBe(0);
    expect(studentTCdf(studentTQuantile(0.9, 3), 3)).toBeCloseTo(0.9, 10);
    // df = 1 is the Cauchy distribution: CDF(1) = 3/4.
    expect(studentTCdf(1, 1)).toBeCloseTo(0.75, 12);
  });
});

describe('mean and 95% CI', () => {
  it('matches a hand computation for three seeds', () => {
    // mean 0.5; deviations −0.3, −0.1, 0.4 → Σ² = 0.26; s = √0.13; half = 4.30265273·s/√3.
    const r = meanCi95([0.2, 0.4, 0.9]);
    expect(r.n).toBe(3);
    expect(r.mean).toBeCloseTo(0.5, 12);
    expect(r.std).toBeCloseTo(Math.sqrt(0.13), 12);
    expect(r.halfWidth).toBeCloseTo((4.30265273 * Math.sqrt(0.13)) / Math.sqrt(3), 6);
    expect(r.halfWidth).toBeCloseTo(0.895669, 5);
  });

  it('two seeds use t = 12.706', () => {
    const r = meanCi95([1, 3]);
    expect(r.mean).toBe(2);
    // s = √2, s/√n = 1, so the half-width is the t quantile itself.
    expect(r.halfWidth).toBeCloseTo(12.7062047, 5);
  });

  it('one value has no interval; non-finite values are dropped', () => {
    expect(meanCi95([0.7])).toMatchObject({ n: 1, mean: 0.7 });
    expect(meanCi95([0.7]).halfWidth).toBeNaN();
    expect(meanCi95([1, NaN, 3]).n).toBe(2);
    expect(meanCi95([]).mean).toBeNaN();
  });

  it('identical values give a zero-width interval', () => {
    expect(meanCi95([0.25, 0.25, 0.25, 0.25]).halfWidth).toBe(0);
    expect(sampleStd([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(mean([1, 2, 3, 4])).toBe(2.5);
  });
});

describe('normalizedArea', () => {
  it('is the trapezoid area over the x span', () => {
    // Steps 1..5, success 0, 0, 0.5, 1, 1: trapezoids 0 + 0.25 + 0.75 + 1 = 2 over a span of 4.
    expect(normalizedArea([1, 2, 3, 4, 5], [0, 0, 0.5, 1, 1])).toBeCloseTo(0.5, 12);
    expect(normalizedArea([0, 10], [1, 1])).toBe(1);
    expect(normalizedArea([3], [0.4])).toBe(0.4);
  });
});
