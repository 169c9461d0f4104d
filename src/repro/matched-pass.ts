// pass@64 at a given pass@1 along a training run's held-out evaluations (entrolab repro
// pass-at-64): how much a policy still solves with 64 samples when it is as good with one sample
// as another policy, read off the run's own trajectory from the warm start on.

/** One held-out evaluation: pass@1 and pass@64 (unbiased estimator, 64 samples per prompt). */
export interface PassPoint {
  pass1: number;
  pass64: number;
}

export interface MatchedPass {
  /** pass@64 of the trajectory at the requested pass@1. */
  pass64: number;
  /** The requested pass@1 lay outside the trajectory's range: the nearest end of the range was used. */
  clamped: boolean;
}

/**
 * pass@64 where the trajectory (points in training order) reaches pass@1 = `pass1`: linear
 * interpolation on the first segment whose ends bracket it (a flat segment gives its first point).
 * Outside the range of the trajectory's pass@1, the pass@64 of the point with the lowest or highest
 * pass@1 (the first such point), marked `clamped`.
 */
export function pass64AtPass1(points: readonly PassPoint[], pass1: number): MatchedPass {
  if (points.length === 0 || !Number.isFinite(pass1)) return { pass64: NaN, clamped: false };
  for (let i = 0; i + 1 < points.length; i++) {
    const a = points[i];
    const b = points[i + 1];
    if (pass1 < Math.min(a.pass1, b.pass1) || pass1 > Math.max(a.pass1, b.pass1)) continue;
    if (a.pass1 === b.pass1) return { pass64: a.pass64, clamped: false };
    const t = (pass1 - a.pass1) / (b.pass1 - a.pass1);
    return { pass64: a.pass64 + t * (b.pass64 - a.pass64), clamped: false };
  }
  if (points.length === 1 && points[0].pass1 === pass1) return { pass64: points[0].pass64, clamped: false };
  let low = points[0];
  let high = points[0];
  for (const p of points) {
    if (p.pass1 < low.pass1) low = p;
    if (p.pass1 > high.pass1) high = p;
  }
  return { pass64: (pass1 < low.pass1 ? low : high).pass64, clamped: true };
}
