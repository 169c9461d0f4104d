// The pieces several advantage estimators share (docs/advantages.md): rows grouped by prompt, the
// valid-token count of each row, and the row reward placed on its last valid slot.

/** Row indices per group id, in first-appearance order (verl's id2score dictionaries). */
export function groupMembers(groupIds: ArrayLike<number>): number[][] {
  const members = new Map<number, number[]>();
  for (let i = 0; i < groupIds.length; i++) {
    const list = members.get(groupIds[i]);
    if (list) list.push(i);
    else members.set(groupIds[i], [i]);
  }
  return [...members.values()];
}

/** Valid tokens per row (Σ_t m[i,t], verl's response_mask.sum(-1)). */
export function rowLengths(mask: ArrayLike<number>, rows: number, width: number): Int32Array {
  const out = new Int32Array(rows);
  for (let i = 0; i < rows; i++) for (let t = 0; t < width; t++) out[i] += mask[i * width + t] ? 1 : 0;
  return out;
}

/** Mean of `values` over `rows`; 0 for a singleton (verl's outcome estimators: no baseline alone). */
export function groupMean(values: ArrayLike<number>, rows: readonly number[]): number {
  if (rows.length < 2) return 0;
  return rows.reduce((s, i) => s + values[i], 0) / rows.length;
}

/** Per-row values broadcast over each row's valid tokens: out[i,t] = v_i · m[i,t]. */
export function broadcastRows(values: ArrayLike<number>, mask: ArrayLike<number>, width: number): Float32Array {
  const out = new Float32Array(mask.length);
  for (let k = 0; k < mask.length; k++) out[k] = values[Math.floor(k / width)] * mask[k];
  return out;
}
