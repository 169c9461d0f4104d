// pass@64 at matched pass@1 along a trajectory, against hand-interpolated values.
import { describe, expect, it } from 'vitest';
import { pass64AtPass1 } from '../../src/repro/matched-pass.ts';

const trajectory = [
  { pass1: 0.05, pass64: 0.98 },
  { pass1: 0.1, pass64: 0.95 },
  { pass1: 0.2, pass64: 0.85 },
];

describe('pass64AtPass1', () => {
  it('interpolates linearly on the segment that brackets the pass@1', () => {
    // 0.95 + (0.15 − 0.10) / (0.20 − 0.10) · (0.85 − 0.95) = 0.90
    expect(pass64AtPass1(trajectory, 0.15)).toEqual({ pass64: expect.closeTo(0.9, 12), clamped: false });
    // 0.98 + (0.07 − 0.05) / 0.05 · (0.95 − 0.98) = 0.968
    expect(pass64AtPass1(trajectory, 0.07).pass64).toBeCloseTo(0.968, 12);
    expect(pass64AtPass1(trajectory, 0.1)).toEqual({ pass64: 0.95, clamped: false });
  });

  it('clamps to the point with the nearest pass@1 outside the range', () => {
    expect(pass64AtPass1(trajectory, 0.3)).toEqual({ pass64: 0.85, clamped: true });
    expect(pass64AtPass1(trajectory, 0.01)).toEqual({ pass64: 0.98, clamped: true });
  });

  it('takes the first bracketing segment in training order when pass@1 goes back and forth', () => {
    const wobbly = [
      { pass1: 0.05, pass64: 0.98 },
      { pass1: 0.2, pass64: 0.8 },
      { pass1: 0.1, pass64: 0.9 },
    ];
    // first segment 0.05 → 0.2: 0.98 + (0.10 / 0.15) · (0.80 − 0.98) = 0.86, not the later 0.85
    expect(pass64AtPass1(wobbly, 0.15).pass64).toBeCloseTo(0.86, 12);
    const flat = [
      { pass1: 0.1, pass64: 0.9 },
      { pass1: 0.1, pass64: 0.7 },
    ];
    expect(pass64AtPass1(flat, 0.1).pass64).toBe(0.9);
  });

  it('is NaN without points or without a pass@1', () => {
    expect(pass64AtPass1([], 0.1).pass64).toBeNaN();
    expect(pass64AtPass1(trajectory, NaN).pass64).toBeNaN();
  });
});
