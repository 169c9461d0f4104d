// The small numerics every layer shares, on plain arrays in doubles: log-softmax and entropy of one
// row of logits at a temperature, the entropy of a stored log-distribution, means, masked means and
// population statistics. Each rule is written here once. The order of every sum is part of the
// contract (metrics are compared bit for bit between versions): left to right from 0, as written.

/** max_a logits[offset + a] / T over a row of n logits. */
function scaledMax(logits: ArrayLike<number>, offset: number, n: number, temperature: number): number {
  let max = -Infinity;
  for (let a = 0; a < n; a++) max = Math.max(max, logits[offset + a] / temperature);
  return max;
}

/** Σ_a exp(logits[offset + a] / T − shift). */
function sumExpScaled(logits: ArrayLike<number>, offset: number, n: number, temperature: number, shift: number) {
  let sum = 0;
  for (let a = 0; a < n; a++) sum += Math.exp(logits[offset + a] / temperature - shift);
  return sum;
}

/** log softmax(logits / T)[action] of the row logits[offset .. offset+n): x_k/T − max − log Σ exp(x/T − max). */
export function logSoftmaxAt(
  logits: ArrayLike<number>,
  offset: number,
  n: number,
  temperature: number,
  action: number,
): number {
  const max = scaledMax(logits, offset, n, temperature);
  const sum = sumExpScaled(logits, offset, n, temperature, max);
  return logits[offset + action] / temperature - max - Math.log(sum);
}

/** log softmax(logits / T) over the whole row: x/T − log Z with log Z = max + log Σ exp(x/T − max). */
export function logSoftmax(logits: ArrayLike<number>, offset: number, n: number, temperature: number): Float32Array {
  const max = scaledMax(logits, offset, n, temperature);
  const logZ = max + Math.log(sumExpScaled(logits, offset, n, temperature, max));
  const out = new Float32Array(n);
  for (let a = 0; a < n; a++) out[a] = logits[offset + a] / temperature - logZ;
  return out;
}

/**
 * Full entropy of softmax(logits / T) over the row: log Σ e^z − Σ e^z·z / Σ e^z with z = x/T − max;
 * a −∞ logit (filtered out by top-k / top-p) counts as probability 0.
 */
export function softmaxEntropy(logits: ArrayLike<number>, offset: number, n: number, temperature: number): number {
  const max = scaledMax(logits, offset, n, temperature);
  let sum = 0;
  let weighted = 0;
  for (let a = 0; a < n; a++) {
    const z = logits[offset + a] / temperature - max;
    if (z === -Infinity) continue;
    const e = Math.exp(z);
    sum += e;
    weighted += e * z;
  }
  return Math.log(sum) - weighted / sum;
}

/** H = −Σ_a exp(lp_a)·lp_a of a stored log-distribution row logPolicy[offset .. offset+n). */
export function logPolicyEntropy(logPolicy: ArrayLike<number>, offset: number, n: number): number {
  let h = 0;
  for (let a = 0; a < n; a++) {
    const lp = logPolicy[offset + a];
    h -= Math.exp(lp) * lp;
  }
  return h;
}

/** Σ x / n; 0 for no values. */
export function mean(xs: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < xs.length; i++) sum += xs[i];
  return xs.length ? sum / xs.length : 0;
}

/** Σ v·m / Σ m over the slots with m ≠ 0 (and `include(row)` when given); 0 when nothing counts. */
export function maskedMean(
  values: ArrayLike<number>,
  mask: ArrayLike<number>,
  include?: { width: number; row: (row: number) => boolean },
): number {
  let sum = 0;
  let count = 0;
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i] || (include && !include.row(Math.floor(i / include.width)))) continue;
    sum += values[i] * mask[i];
    count += mask[i];
  }
  return count > 0 ? sum / count : 0;
}

export interface PopulationStats {
  /** Values counted (the slots with a non-zero mask, or all). */
  count: number;
  mean: number;
  /** Σ (x − mean)² / count: the population variance (divided by n, not n − 1). */
  variance: number;
  std: number;
}

/** Mean, population variance and std of the values (of the slots with mask ≠ 0 when a mask is given); zeros when none. */
export function populationStats(values: ArrayLike<number>, mask?: ArrayLike<number>): PopulationStats {
  const n = mask ? mask.length : values.length;
  let count = 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    if (mask && !mask[i]) continue;
    count += 1;
    sum += values[i];
  }
  if (count === 0) return { count, mean: 0, variance: 0, std: 0 };
  const m = sum / count;
  let squares = 0;
  for (let i = 0; i < n; i++) if (!mask || mask[i]) squares += (values[i] - m) ** 2;
  const variance = squares / count;
  return { count, mean: m, variance, std: Math.sqrt(variance) };
}

/** Sample standard deviation (Bessel's n − 1); NaN for fewer than two values. */
export function sampleStd(values: ArrayLike<number>): number {
  if (values.length < 2) return NaN;
  const m = mean(values);
  let squares = 0;
  for (let i = 0; i < values.length; i++) squares += (values[i] - m) ** 2;
  return Math.sqrt(squares / (values.length - 1));
}
