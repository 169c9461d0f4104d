// The t-based seed counts against numbers worked by hand from t tables (and checked with scipy's
// noncentral t: at the counts below the exact power is 0.803 and, one seed fewer, 0.748).
import { describe, expect, it } from 'vitest';
import { seedsForEquivalence, seedsToDecide, seedsToDetect } from '../../src/repro/power.ts';

const SPEC = { alpha: 0.05, power: 0.8 };

describe('seeds from a power calculation', () => {
  it('detects an effect of one standard deviation with 10 seeds at α 0.05, power 0.8', () => {
    // n = 9: (t(0.975, 8) + t(0.8, 8))² = (2.3060 + 0.8889)² = 10.21 > 9
    // n = 10: (t(0.975, 9) + t(0.8, 9))² = (2.2622 + 0.8834)² = 9.89 ≤ 10
    expect(seedsToDetect(1, 1, SPEC)).toBe(10);
    // only s/δ matters
    expect(seedsToDetect(0.3, 0.3, SPEC)).toBe(10);
    // half the effect: 34 (scipy: exact power 0.808 at 34, 0.795 at 33)
    expect(seedsToDetect(1, 0.5, SPEC)).toBe(34);
    expect(seedsToDetect(0.1, 0.05, SPEC)).toBe(34);
  });

  it('shows equivalence within ±δ = s with 11 seeds (TOST, true effect 0)', () => {
    // n = 10: (t(0.95, 9) + t(0.9, 9))² = (1.8331 + 1.3830)² = 10.34 > 10
    // n = 11: (t(0.95, 10) + t(0.9, 10))² = (1.8125 + 1.3722)² = 10.14 ≤ 11
    expect(seedsForEquivalence(1, 1, SPEC)).toBe(11);
    expect(seedsForEquivalence(1, 0.5, SPEC)).toBe(36);
    expect(seedsToDecide(1, 1, SPEC)).toBe(11);
  });

  it('a stricter α needs more seeds; no spread needs two; no δ or no spread known is NaN', () => {
    // α 0.025: n = 12 gives (t(0.9875, 11) + t(0.8, 11))² = 12.03 > 12; n = 13 gives 11.78 ≤ 13
    expect(seedsToDetect(1, 1, { alpha: 0.025, power: 0.8 })).toBe(13);
    expect(seedsToDetect(0, 0.1, SPEC)).toBe(2);
    expect(seedsToDetect(Number.NaN, 0.1, SPEC)).toBeNaN();
    expect(seedsToDetect(1, 0, SPEC)).toBeNaN();
  });
});
