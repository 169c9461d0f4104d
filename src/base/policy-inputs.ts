// What a policy's tensor-ready input looks like from outside the policy: the batch holds one and
// mini-batches select its rows; only the policy that encoded it knows what is inside.
/**
 * Policy-specific tensor-ready input for a batch of rows (episodes), laid out as
 * `rows × width` slots. Slot s of row r is where the policy's logits for one position come from.
 */
export interface PolicyInputs {
  readonly rows: number;
  readonly width: number;
  /** The same inputs restricted to the given rows (mini-batches), keeping the width. */
  selectRows(rows: readonly number[]): PolicyInputs;
  /**
   * These rows followed by `other`'s (inputs of the same policy), both right-padded to `width ≥`
   * either width with slots no mask selects (concatBatches: replay buffers kept over several steps).
   */
  concatRows?(other: PolicyInputs, width: number): PolicyInputs;
  /**
   * A JSON-serialisable copy, which the policy's `decodeInputs` turns back into equal inputs: rows a
   * regularizer keeps across steps (SPEAR's replay buffer) are saved in checkpoints this way.
   */
  toJSON?(): unknown;
}
