// Selecting the tokens a loss trains on by a per-token score (the entropy, usually) and the weights
// that give the loss the denominator the method's code uses. Three choices, each from a reference
// implementation:
//   scope        mini_batch — one ranking over every valid token of the mini-batch (the 80/20 code's
//                `get_global_entropy_top_mask`, TRL's `get_high_entropy_mask`); row — one per response
//                (Archer's and SIREN's per-row quantiles)
//   rule         top_k — the K = max(1, ⌊n·ratio + 0.9999⌋) largest, ties broken by lower flat index
//                (the 80/20 code; its ⌊· + 0.9999⌋ is an approximate ceiling); quantile — every
//                token with score ≥ τ (or > τ), τ the level-q quantile with linear interpolation
//                (TRL keeps all ties at τ; Archer and SIREN use the strict form)
//   denominator  all — kept tokens get weight 1 and the run's aggregation divides by every valid
//                token (TRL); kept — weights rescale each kept token so that the aggregation divides
//                by the kept tokens instead (the 80/20 code aggregates over the selection mask)
// Used by high_entropy_tokens (algorithms/high-entropy-tokens.ts); formulas in words:
// docs/high-entropy-tokens.md.
import type { AggMode } from './aggregate.ts';
import { quantile } from './quantile.ts';

export type SelectionScope = 'mini_batch' | 'row';
export type SelectionDenominator = 'kept' | 'all';

export type SelectionRule =
  /** The K = max(1, ⌊n·ratio + 0.9999⌋) highest scores of each unit of n valid tokens (none when n = 0). */
  | { rule: 'top_k'; ratio: number }
  /** Scores ≥ τ (`strict`: > τ), τ = the unit's level-q quantile of the valid scores. */
  | { rule: 'quantile'; level: number; strict: boolean };

export interface KeptTokens {
  /** 1 on kept slots ([rows*width]); padded slots are never kept. */
  keep: Uint8Array;
  kept: number;
  valid: number;
  /**
   * Per unit (one for mini_batch, one per row for row): top_k's K-th largest score or the quantile
   * τ; NaN for a unit without valid tokens.
   */
  thresholds: number[];
  /** Valid tokens whose score equals their unit's threshold (kept or not). */
  tiesAtThreshold: number;
  /** Rows with valid tokens of which none is kept. */
  rowsWithoutKept: number;
}

/** K of the top_k rule: max(1, ⌊n·ratio + 0.9999⌋), capped at n; 0 when n = 0. */
export function topKCount(n: number, ratio: number): number {
  if (n === 0) return 0;
  return Math.min(n, Math.max(1, Math.floor(n * ratio + 0.9999)));
}

/** The valid flat indices of each unit of the scope. */
function units(mask: ArrayLike<number>, rows: number, width: number, scope: SelectionScope): number[][] {
  const out: number[][] = scope === 'row' ? Array.from({ length: rows }, () => []) : [[]];
  for (let i = 0; i < rows * width; i++) if (mask[i]) out[scope === 'row' ? Math.floor(i / width) : 0].push(i);
  return out;
}

/** The tokens `rule` keeps from `scores` ([rows*width], float32 values) within each unit of `scope`. */
export function selectTokens(
  scores: ArrayLike<number>,
  mask: ArrayLike<number>,
  rows: number,
  width: number,
  scope: SelectionScope,
  rule: SelectionRule,
): KeptTokens {
  const keep = new Uint8Array(rows * width);
  const thresholds: number[] = [];
  let ties = 0;
  let valid = 0;
  for (const unit of units(mask, rows, width, scope)) {
    valid += unit.length;
    if (unit.length === 0) {
      thresholds.push(Number.NaN);
      continue;
    }
    let threshold: number;
    if (rule.rule === 'top_k') {
      const order = unit.slice().sort((a, b) => scores[b] - scores[a] || a - b);
      const k = topKCount(unit.length, rule.ratio);
      for (const i of order.slice(0, k)) keep[i] = 1;
      threshold = scores[order[k - 1]];
    } else {
      threshold = quantile(
        unit.map((i) => scores[i]),
        rule.level,
      );
      for (const i of unit) if (rule.strict ? scores[i] > threshold : scores[i] >= threshold) keep[i] = 1;
    }
    thresholds.push(threshold);
    for (const i of unit) if (scores[i] === threshold) ties += 1;
  }
  let kept = 0;
  const keptPerRow = new Float64Array(rows);
  const validPerRow = new Float64Array(rows);
  for (let i = 0; i < keep.length; i++) {
    kept += keep[i];
    keptPerRow[Math.floor(i / width)] += keep[i];
    if (mask[i]) validPerRow[Math.floor(i / width)] += 1;
  }
  let rowsWithoutKept = 0;
  for (let r = 0; r < rows; r++) if (validPerRow[r] > 0 && keptPerRow[r] === 0) rowsWithoutKept += 1;
  return { keep, kept, valid, thresholds, tiesAtThreshold: ties, rowsWithoutKept };
}

/**
 * Per-token weights ([rows*width]) that make the run's aggregation of w·ℓ divide as `denominator`
 * says. `all`: w = k. `kept` (the aggregation itself divides by every valid token, so the weights
 * undo it): token-mean w = k·N/K; seq-mean-token-mean w = k·n_i/K_i per row i (a row with no kept
 * token weighs 0 and still counts in the row mean, where the 80/20 code's 0/0 is NaN); the two
 * token-sum modes w = k (their denominators do not depend on the kept set).
 */
export function selectionWeights(
  keep: Uint8Array,
  mask: ArrayLike<number>,
  rows: number,
  width: number,
  aggMode: AggMode,
  denominator: SelectionDenominator,
): Float32Array {
  const w = new Float32Array(rows * width);
  const rowScale = new Float64Array(rows).fill(1);
  if (denominator === 'kept' && (aggMode === 'token-mean' || aggMode === 'seq-mean-token-mean')) {
    const keptIn = new Float64Array(aggMode === 'token-mean' ? 1 : rows);
    const validIn = new Float64Array(keptIn.length);
    for (let i = 0; i < w.length; i++) {
      if (!mask[i]) continue;
      const u = aggMode === 'token-mean' ? 0 : Math.floor(i / width);
      keptIn[u] += keep[i];
      validIn[u] += 1;
    }
    for (let r = 0; r < rows; r++) {
      const u = aggMode === 'token-mean' ? 0 : r;
      rowScale[r] = keptIn[u] > 0 ? validIn[u] / keptIn[u] : 0;
    }
  }
  for (let i = 0; i < w.length; i++) if (mask[i] && keep[i]) w[i] = rowScale[Math.floor(i / width)];
  return w;
}
