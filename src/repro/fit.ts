// Small statistics over one run's per-step numbers: least-squares line, correlation, rank
// correlation, percentiles and window means. Pure functions of the metrics, so every number a
// claim page shows can be recomputed from metrics.jsonl.
import { populationStats } from '../base/numerics.ts';
import { mean } from '../report/stats.ts';

export interface LineFit {
  slope: number;
  intercept: number;
  /** Coefficient of determination of the fit (1 − SS_res / SS_tot). */
  r2: number;
  n: number;
}

/** Ordinary least squares y ≈ slope·x + intercept over the pairs where both are finite. */
export function fitLine(xs: readonly number[], ys: readonly number[]): LineFit {
  const pairs = xs.map((x, i) => [x, ys[i]] as const).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const n = pairs.length;
  if (n < 2) return { slope: NaN, intercept: NaN, r2: NaN, n };
  const mx = mean(pairs.map((p) => p[0]));
  const my = mean(pairs.map((p) => p[1]));
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const [x, y] of pairs) {
    sxx += (x - mx) ** 2;
    sxy += (x - mx) * (y - my);
    syy += (y - my) ** 2;
  }
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let ssRes = 0;
  for (const [x, y] of pairs) ssRes += (y - (slope * x + intercept)) ** 2;
  return { slope, intercept, r2: syy > 0 ? 1 - ssRes / syy : NaN, n };
}

/** Pearson correlation of the finite pairs. */
export function pearson(xs: readonly number[], ys: readonly number[]): number {
  const fit = fitLine(xs, ys);
  return Math.sign(fit.slope) * Math.sqrt(Math.max(0, fit.r2));
}

/** Ranks 1..n, ties get their average rank. */
function ranks(values: readonly number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(values.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    for (let k = i; k <= j; k++) out[order[k][1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return out;
}

/** Spearman's rank correlation (Pearson on ranks). */
export function spearman(xs: readonly number[], ys: readonly number[]): number {
  return pearson(ranks(xs), ranks(ys));
}

/** Linear-interpolated percentile, p in [0, 100]. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const pos = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Mean of the last `fraction` of the values (at least one). */
export function tailMean(values: readonly number[], fraction: number): number {
  if (values.length === 0) return NaN;
  const count = Math.max(1, Math.round(values.length * fraction));
  return mean(values.slice(values.length - count));
}

/** Differences between consecutive values. */
export function diffs(values: readonly number[]): number[] {
  return values.slice(1).map((v, i) => v - values[i]);
}

/** Population variance; NaN for no values. */
export function variance(values: readonly number[]): number {
  return values.length === 0 ? NaN : populationStats(values).variance;
}
