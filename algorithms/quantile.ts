// The q-quantile with linear interpolation between order statistics, computed in float32 as
// `torch.quantile` / `torch.nanquantile` compute it on float32 inputs (numpy's default method):
// position r = q·(n − 1) in the ascending order, then a float32 lerp between the two neighbours.
// The token selections of high_entropy_tokens (TRL's threshold), archer and siren (per-row
// thresholds) call it, so a value tied with the threshold compares the same way as in the codes.

const f32 = Math.fround;

/**
 * torch's lerp on float32: start + w·(end − start) for w < ½, end − (end − start)·(1 − w) otherwise
 * (the form torch uses so that w = 1 returns `end` exactly).
 */
function lerp32(start: number, end: number, weight: number): number {
  const diff = f32(end - start);
  return weight < 0.5 ? f32(start + f32(weight * diff)) : f32(end - f32(diff * f32(1 - weight)));
}

/**
 * The q-quantile (0 ≤ q ≤ 1) of `values` (any order, at least one), as float32; NaN for none (what
 * nanquantile returns for an all-NaN row — callers decide what an empty set selects).
 */
export function quantile(values: ArrayLike<number>, q: number): number {
  const n = values.length;
  if (n === 0) return Number.NaN;
  const sorted = Float32Array.from(values).sort();
  const rank = f32(f32(q) * (n - 1));
  const below = Math.floor(rank);
  const above = Math.min(n - 1, Math.ceil(rank));
  return lerp32(sorted[below], sorted[above], f32(rank - below));
}

/** The q-quantile of the valid entries of row `row` of a [rows*width] array (NaN when none is valid). */
export function rowQuantile(
  values: ArrayLike<number>,
  mask: ArrayLike<number>,
  row: number,
  width: number,
  q: number,
): number {
  const valid: number[] = [];
  for (let t = 0; t < width; t++) if (mask[row * width + t]) valid.push(values[row * width + t]);
  return quantile(valid, q);
}
