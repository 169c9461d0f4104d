// Branching-rollout rules against hand-worked numbers: ARPO's and entropy-balanced PO's branch
// probabilities (closed form and 10⁵ seeded draws), the pre-monitoring budget, segment entropy, and
// hard attribution over shared prefixes.
import { describe, expect, it } from 'vitest';
import {
  arpoBranches,
  arpoBranchProbability,
  balancedBranches,
  balancedBranchProbability,
  globalRolloutBudget,
  hardAttribution,
  segmentEntropy,
} from '../../algorithms/branch-rules.ts';
import { Rng } from '../../src/base/rng.ts';

const draws = (decide: (u: number) => boolean, seed: string) => {
  const rng = new Rng(seed);
  let hits = 0;
  for (let i = 0; i < 100_000; i++) if (decide(rng.next())) hits += 1;
  return hits / 100_000;
};

describe('ARPO branch rule (τ = 0.5, w = 0.2)', () => {
  it.each([
    [0, 0.5],
    [0.5, 0.6],
    [-1, 0.3],
    [2.5, 1],
    [4, 1],
  ])('Δ = %f → P(branch) = %f, closed form and by sampling', (delta, want) => {
    expect(arpoBranchProbability(delta, 0.5, 0.2)).toBeCloseTo(want, 12);
    expect(Math.abs(draws((u) => arpoBranches(u, delta, 0.5, 0.2), `arpo${delta}`) - want)).toBeLessThan(0.005);
  });
});

describe('entropy-balanced branch rule with the consecutive-branching penalty (τ = 0.5, w = 0.2, Δ = 0.5)', () => {
  it.each([
    [0, 0.6],
    [1, 0.573684],
    [2, 0.544444],
    [5, 0.433333],
  ])('l = %i → P(branch) = %f', (l, want) => {
    expect(balancedBranchProbability(0.5, l, 0.5, 0.2)).toBeCloseTo(want, 6);
    expect(Math.abs(draws((u) => balancedBranches(u, 0.5, l, 0.5, 0.2), `bal${l}`) - want)).toBeLessThan(0.005);
  });

  it('the penalty factor reaches 0 at l = 20: no more branching', () => {
    expect(balancedBranchProbability(3, 20, 0.5, 0.2)).toBe(0);
    expect(balancedBranches(0.999, 3, 20, 0.5, 0.2)).toBe(false);
  });
});

describe('pre-monitoring budget and segment entropy', () => {
  it('n = 16, H_root = 0.6, H̄ = 0.2: σ(0.2) = 0.549834 → m = ⌊8.797⌋ + 1 = 9', () => {
    expect(globalRolloutBudget(16, 0.6, 0.2)).toBe(9);
    expect(globalRolloutBudget(16, 0.3, 0.3)).toBe(9); // n/2 + 1
    expect(globalRolloutBudget(16, 100, 0)).toBe(16);
    expect(globalRolloutBudget(16, 0, 100)).toBe(1);
  });

  it("mean over the first k positions / ln|V|, or the code's sum", () => {
    const h = [Math.log(4), 0, Math.log(2), 99];
    expect(segmentEntropy(h, 4, 3)).toBeCloseTo((1 + 0 + 0.5) / 3, 12);
    expect(segmentEntropy(h, 4, 3, 'sum')).toBeCloseTo(1.5, 12);
    expect(segmentEntropy([], 4)).toBe(0);
  });
});

describe('hard attribution', () => {
  it('a shared prefix gets the mean advantage of the rows sharing it and weight 1/count', () => {
    // group 0: rows 0–2 share token 0; rows 0, 1 also share token 1. Row 3 (group 1) has row 0's actions.
    const actions = [1, 2, 3, 1, 2, 4, 1, 5, 6, 1, 2, 3];
    const mask = new Array(12).fill(1);
    const { advantages, weights } = hardAttribution(actions, mask, [1, 0, -1, 2], [0, 0, 0, 1], 3);
    expect(Array.from(advantages)).toEqual([0, 0.5, 1, 0, 0.5, 0, 0, -1, -1, 2, 2, 2]);
    expect(Array.from(weights)).toEqual([1 / 3, 0.5, 1, 1 / 3, 0.5, 1, 1 / 3, 1, 1, 1, 1, 1].map(Math.fround));
    // the shared tokens' total weight is 1 each, as one trained copy
    expect(weights[0] + weights[3] + weights[6]).toBeCloseTo(1, 6);
  });

  it('padded slots are skipped and keep weight 0', () => {
    const { advantages, weights } = hardAttribution([1, 9, 1, 0], [1, 0, 1, 1], [1, 3], [0, 0], 2);
    expect(Array.from(advantages)).toEqual([2, 0, 2, 3]);
    expect(Array.from(weights)).toEqual([0.5, 0, 0.5, 1]);
  });
});
