// How per-token values become one number: the run's loss aggregation (verl `core_algos.agg_loss`,
// docs/bonus-clipcov-klcov-loss.md "Aggregation") and the plain masked mean (written once in
// src/base/numerics.ts, re-exported here). Every loss, metric and regularizer reduces through these,
// so the rule is written once.
import * as tf from '@tensorflow/tfjs';
import { maskedMean } from '../src/base/numerics.ts';

export { maskedMean };

export const AGG_MODES = [
  'token-mean',
  'seq-mean-token-sum',
  'seq-mean-token-mean',
  'seq-mean-token-sum-norm',
  // verl's seq-mean-token-sum-norm since its PR #5417: Σ(ℓ·m) / (S·L); entrolab's name above keeps Σ/L
  'seq-mean-token-sum-norm-rows',
] as const;
export type AggMode = (typeof AGG_MODES)[number];

/** Valid tokens per row and overall: what every aggregation mode divides by. */
export interface MaskCounts {
  rowCounts: Float32Array;
  tokens: number;
  /** Rows with at least one valid token (empty rows are left out of seq-mean counts, as in verl). */
  nonEmptyRows: number;
}

export function maskCounts(mask: ArrayLike<number>, rows: number, width: number): MaskCounts {
  const rowCounts = new Float32Array(rows);
  let tokens = 0;
  for (let i = 0; i < mask.length; i++) {
    rowCounts[Math.floor(i / width)] += mask[i];
    tokens += mask[i];
  }
  let nonEmptyRows = 0;
  for (const c of rowCounts) if (c > 0) nonEmptyRows += 1;
  return { rowCounts, tokens, nonEmptyRows };
}

/**
 * The outer denominator of a mode: tokens (token-mean), non-empty rows (seq-mean-*), the width
 * (seq-mean-token-sum-norm) or both (seq-mean-token-sum-norm-rows). Two token sets aggregate to the
 * same scale when their denominators agree.
 */
export function aggDenominator(counts: MaskCounts, width: number, mode: AggMode): number {
  if (mode === 'token-mean') return counts.tokens;
  if (mode === 'seq-mean-token-sum-norm') return width;
  if (mode === 'seq-mean-token-sum-norm-rows') return counts.nonEmptyRows * width;
  return counts.nonEmptyRows;
}

/** Modes whose value is Σ(ℓ·m) over one denominator (no per-row step). */
const flatModes: readonly AggMode[] = ['token-mean', 'seq-mean-token-sum-norm', 'seq-mean-token-sum-norm-rows'];

/** Aggregate a per-token loss [rows*width] with mask m (data) following verl's agg_loss. */
export function aggregateLoss(
  tokenLoss: tf.Tensor1D,
  mask: Float32Array,
  rows: number,
  width: number,
  mode: AggMode,
): tf.Scalar {
  return tf.tidy(() => {
    const counts = maskCounts(mask, rows, width);
    const masked = tf.mul(tokenLoss, tf.tensor1d(mask));
    const denominator = aggDenominator(counts, width, mode);
    if (flatModes.includes(mode)) {
      return denominator > 0 ? tf.div(tf.sum(masked), denominator) : tf.mul(tf.sum(masked), 0);
    }
    const rowSums = tf.sum(tf.reshape(masked, [rows, width]), 1);
    const perRow =
      mode === 'seq-mean-token-sum' ? rowSums : tf.div(rowSums, tf.tensor1d(counts.rowCounts.map((c) => c + 1e-8)));
    // rows with no valid token contribute 0 to the sum and are left out of the count (verl)
    return denominator > 0 ? tf.div(tf.sum(perRow), denominator) : tf.mul(tf.sum(perRow), 0);
  });
}

/** The same aggregation on plain numbers, for metrics (e.g. `actor/entropy`). */
export function aggregateValues(
  values: ArrayLike<number>,
  mask: ArrayLike<number>,
  rows: number,
  width: number,
  mode: AggMode,
): number {
  if (mode === 'token-mean') return maskedMean(values, mask);
  if (mode === 'seq-mean-token-sum-norm' || mode === 'seq-mean-token-sum-norm-rows') {
    let sum = 0;
    for (let i = 0; i < mask.length; i++) sum += values[i] * mask[i];
    if (mode === 'seq-mean-token-sum-norm') return sum / width;
    const denominator = aggDenominator(maskCounts(mask, rows, width), width, mode);
    return denominator > 0 ? sum / denominator : 0;
  }
  let total = 0;
  let nonEmpty = 0;
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    let count = 0;
    for (let t = 0; t < width; t++) {
      sum += values[r * width + t] * mask[r * width + t];
      count += mask[r * width + t];
    }
    if (count === 0) continue;
    nonEmpty += 1;
    total += mode === 'seq-mean-token-sum' ? sum : sum / (count + 1e-8);
  }
  return nonEmpty > 0 ? total / nonEmpty : 0;
}
