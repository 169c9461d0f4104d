// docs/grpo.md "Entropy dynamics": H(z + Δz) − H(z) = −Cov_{a∼π}(log π(a), Δz_a) + O(|Δz|²).
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/base/rng.ts';
import { entropyChange, logProbAdvantageCovariance } from '../../src/core/entropy-diagnostics.ts';

function logSoftmax(z: number[]): number[] {
  const m = Math.max(...z);
  const lse = m + Math.log(z.reduce((s, x) => s + Math.exp(x - m), 0));
  return z.map((x) => x - lse);
}

describe('entropy change diagnostics', () => {
  it('predicts the exact change of a natural-policy-gradient step to first order', () => {
    const rng = new Rng('npg');
    const z = Array.from({ length: 6 }, () => 2 * rng.normal());
    const reward = Array.from({ length: 6 }, () => rng.next());
    const p = logSoftmax(z).map(Math.exp);
    const baseline = reward.reduce((s, r, a) => s + p[a] * r, 0);
    const relErrors: number[] = [];
    for (const eta of [0.001, 0.01, 0.1]) {
      const zNew = z.map((x, a) => x + eta * (reward[a] - baseline)); // Δz_a = η·A(a)
      const before = Float32Array.from(logSoftmax(z));
      const after = Float32Array.from(logSoftmax(zNew));
      const { measured, predicted } = entropyChange(before, after, Float32Array.of(1), 6);
      // hand formula: −η·Cov_{a∼π}(log π(a), A(a))
      const logp = logSoftmax(z);
      const meanLog = p.reduce((s, q, a) => s + q * logp[a], 0);
      const cov = p.reduce((s, q, a) => s + q * (logp[a] - meanLog) * (reward[a] - baseline), 0);
      expect(predicted).toBeCloseTo(-eta * cov, 6);
      relErrors.push(Math.abs(measured - predicted) / Math.abs(measured));
    }
    expect(relErrors[0]).toBeLessThan(0.01);
    // the error grows about linearly with η (second-order remainder)
    expect(relErrors[1]).toBeGreaterThan(relErrors[0] * 3);
  });

  it('ignores masked slots and averages over valid ones', () => {
    const before = Float32Array.from([...logSoftmax([0, 0]), ...logSoftmax([1, 0])]);
    const after = Float32Array.from([...logSoftmax([5, 0]), ...logSoftmax([1, 0])]);
    expect(entropyChange(before, after, Float32Array.of(0, 1), 2)).toEqual({ measured: 0, predicted: 0 });
  });

  it('batch covariance of log-prob and advantage matches a hand computation', () => {
    // valid tokens lp = [-1, -2, -3], A = [1, 0, -1] → means -2, 0 → cov = (1·1 + 0 + (-1)(-1))/3 = 2/3
    expect(logProbAdvantageCovariance([-1, -2, 99, -3], [1, 0, 5, -1], [1, 1, 0, 1])).toBeCloseTo(2 / 3, 12);
  });
});
