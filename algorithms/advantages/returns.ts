// Token-level returns for the estimators that discount or baseline per token (REINFORCE++, ReMax,
// optimal token baseline): each row's reward sits on its last valid slot (verl's reward managers do
// the same), and the reward-to-go runs backwards over the columns.

/** Reward-to-go G_t = Σ_{j ≥ t} m_j r_j of each row (γ = 1), in doubles [rows*width]; masked slots too. */
export function rewardToGo(
  reward: ArrayLike<number>,
  mask: ArrayLike<number>,
  rows: number,
  width: number,
): Float64Array {
  const out = new Float64Array(rows * width);
  for (let i = 0; i < rows; i++) {
    const last = lastValid(mask, i, width);
    let g = 0;
    for (let t = width - 1; t >= 0; t--) {
      if (t === last) g += reward[i];
      out[i * width + t] = g;
    }
  }
  return out;
}

/**
 * Discounted returns G_t = r_t + γ·G_next on valid slots; a masked slot passes the running return
 * through unchanged (no γ) and holds 0 (verl compute_reinforce_plus_plus_outcome_advantage, after
 * PR #7278: multi-turn rows with masked observation tokens discount per policy token).
 */
export function discountedReturns(
  reward: ArrayLike<number>,
  mask: ArrayLike<number>,
  rows: number,
  width: number,
  gamma: number,
): Float64Array {
  const out = new Float64Array(rows * width);
  for (let i = 0; i < rows; i++) {
    const last = lastValid(mask, i, width);
    let g = 0;
    for (let t = width - 1; t >= 0; t--) {
      if (!mask[i * width + t]) continue;
      g = (t === last ? reward[i] : 0) + gamma * g;
      out[i * width + t] = g;
    }
  }
  return out;
}

/** Column of row i's last valid slot, −1 when it has none. */
export function lastValid(mask: ArrayLike<number>, row: number, width: number): number {
  for (let t = width - 1; t >= 0; t--) if (mask[row * width + t]) return t;
  return -1;
}
