// Two one-sided tests against hand-worked numbers (checked with scipy.stats.t).
import { describe, expect, it } from 'vitest';
import { tost } from '../../src/repro/tost.ts';

describe('TOST', () => {
  // mean 0, s = √0.00625 = 0.079057, se = s/√5 = 0.035355; t(0.95, 4) = 2.1318 → 90% CI ±0.075372
  const values = [-0.1, 0.1, 0, 0.05, -0.05];

  it('equivalent when the 90% CI lies inside the band, with the larger one-sided p-value', () => {
    const eq = tost(values, -0.1, 0.1, 0.05);
    expect(eq.ci[0]).toBeCloseTo(-0.075372, 5);
    expect(eq.ci[1]).toBeCloseTo(0.075372, 5);
    // t = 0.1/se = 2.8284 on 4 df: one-sided p = 0.023710
    expect(eq.pValue).toBeCloseTo(0.02371, 5);
    expect(eq.equivalent).toBe(true);
  });

  it('not equivalent when the band is narrower than the CI', () => {
    const eq = tost(values, -0.07, 0.07, 0.05);
    // t = 0.07/se = 1.9799: p = 0.059408 > 0.05
    expect(eq.pValue).toBeCloseTo(0.059408, 5);
    expect(eq.equivalent).toBe(false);
  });

  it('an off-centre mean: the nearer edge decides', () => {
    // [0.2, 0.3, 0.25, 0.35]: mean 0.275, se 0.032275; band [0, 0.4]: t = (0.275 − 0.4)/se = −3.873, p = 0.015233
    const eq = tost([0.2, 0.3, 0.25, 0.35], 0, 0.4, 0.05);
    expect(eq.pValue).toBeCloseTo(0.015233, 5);
    expect(eq.equivalent).toBe(true);
    expect(tost([0.2, 0.3, 0.25, 0.35], 0, 0.4, 0.01).equivalent).toBe(false);
  });

  it('one value cannot show anything; equal values are equivalent exactly when inside', () => {
    expect(tost([0.01], -1, 1, 0.05).equivalent).toBe(false);
    expect(tost([0.5, 0.5, 0.5], 0, 1, 0.05).equivalent).toBe(true);
    expect(tost([1.5, 1.5, 1.5], 0, 1, 0.05).equivalent).toBe(false);
  });
});
