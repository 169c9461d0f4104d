// AEPO's adaptive T_high (entrolab's addition, not in arXiv 2510.08141 or its code; docs/aepo-epo-steer.md
// "Adaptive T_high"). The bang-bang rule stays as the authors wrote it; only the value of T_high moves.
// An integral term on the relative entropy error raises T_high while the entropy sits below the target
// and lowers it back while it sits above:
//   s_k = clamp(s_{k−1} + g·(H* − H_k)/H*, 0, ln(T_max/T_high)),   T_high,k = T_high·e^{s_k}
// With g = 0, s stays 0 and T_high is the configured value (the fixed controller).

/** One integral step on the log-scale s of T_high, clamped to [0, sMax]. */
export function adaptLogScale(logScale: number, measured: number, target: number, gain: number, sMax: number): number {
  const next = logScale + (gain * (target - measured)) / target;
  return Math.min(sMax, Math.max(0, next));
}

/** The largest log-scale: T_high·e^{sMax} = T_max (0 when T_max ≤ T_high). */
export function maxLogScale(high: number, max: number): number {
  return Math.max(0, Math.log(max / high));
}

/** T_high·e^{s}; exactly T_high at s = 0. */
export function adaptedHighTemperature(high: number, logScale: number): number {
  return logScale === 0 ? high : high * Math.exp(logScale);
}
