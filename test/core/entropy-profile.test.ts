// The entropy profile of a rollout against hand-computed arrays.
import { describe, expect, it } from 'vitest';
import { entropyProfile, quantileSorted } from '../../src/core/entropy-profile.ts';

const f32 = (xs: number[]) => Float32Array.from(xs);
// two rows of width 4: row 0 answers in two turns (2 tokens, then 1), row 1 in two turns of 1 token
const batch = {
  width: 4,
  mask: f32([1, 1, 1, 0, 1, 1, 0, 0]),
  entropy: f32([0.5, 1.5, 2.0, 9, 0.1, 1.2, 9, 9]),
  turnIndex: Int32Array.from([0, 0, 1, 0, 0, 1, 0, 0]),
};

describe('entropyProfile', () => {
  it('quantiles (linear between order statistics), share above the threshold, by position and by turn', () => {
    const p = entropyProfile(batch, { positions: 8, highNats: 1 });
    // valid tokens sorted: 0.1 0.5 1.2 1.5 2.0; p10 at 0.4 → 0.1 + 0.4·0.4; p90 at 3.6 → 1.5 + 0.6·0.5
    expect(p['entropy/p10']).toBeCloseTo(0.26, 6);
    expect(p['entropy/p50']).toBeCloseTo(1.2, 6);
    expect(p['entropy/p90']).toBeCloseTo(1.8, 6);
    expect(p['entropy/frac_high']).toBeCloseTo(3 / 5, 12); // 1.5, 2.0, 1.2
    // first tokens of each answer: 0.5, 2.0, 0.1, 1.2; second: 1.5
    expect(p['entropy/by_position/1']).toBeCloseTo(0.95, 6);
    expect(p['entropy/by_position/2']).toBeCloseTo(1.5, 6);
    expect(p['entropy/by_position/3']).toBeUndefined();
    // turn 1: 0.5, 1.5, 0.1; turn 2: 2.0, 1.2
    expect(p['entropy/by_turn/1']).toBeCloseTo(0.7, 6);
    expect(p['entropy/by_turn/2']).toBeCloseTo(1.6, 6);
    expect(p['entropy/kl_ref']).toBeUndefined(); // no reference kept
  });

  it('caps positions and turns, and leaves out by_position when every answer is one token', () => {
    const capped = entropyProfile(batch, { positions: 1, highNats: 1 });
    expect(
      Object.keys(capped)
        .filter((k) => k.includes('/by_'))
        .sort(),
    ).toEqual(['entropy/by_position/1', 'entropy/by_turn/1']);
    // a gridworld: one token per turn
    const grid = { width: 3, mask: f32([1, 1, 1]), entropy: f32([1, 0.5, 0.3]), turnIndex: Int32Array.from([0, 1, 2]) };
    const g = entropyProfile(grid, { positions: 8, highNats: 0.4 });
    expect(Object.keys(g).some((k) => k.includes('by_position'))).toBe(false);
    expect([g['entropy/by_turn/1'], g['entropy/by_turn/2'], g['entropy/by_turn/3']]).toEqual([1, 0.5, f32([0.3])[0]]);
    expect(g['entropy/frac_high']).toBeCloseTo(2 / 3, 12);
  });

  it('KL to the reference (k3) per nat of entropy; nothing for an empty rollout', () => {
    const old = f32([-1, -1, -1, 0, -1, -1, 0, 0]);
    const ref = f32([-1, -1, -1 + Math.LN2, 0, -1, -1, 0, 0]); // one token with log π_ref − log π_old = ln 2
    const p = entropyProfile({ ...batch, oldLogProbs: old, refLogProbs: ref }, { positions: 8, highNats: 1 });
    const k3 = (2 - Math.LN2 - 1) / 5; // exp(ln 2) − ln 2 − 1 on one of five tokens
    expect(p['entropy/kl_ref']).toBeCloseTo(k3, 6);
    expect(p['entropy/kl_ref_per_nat']).toBeCloseTo(k3 / 1.06, 6); // mean entropy (0.5+1.5+2+0.1+1.2)/5
    expect(entropyProfile({ ...batch, mask: new Float32Array(8) }, { positions: 8, highNats: 1 })).toEqual({});
    expect(quantileSorted([3], 0.9)).toBe(3);
  });
});
