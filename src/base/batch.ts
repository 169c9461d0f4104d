// A training batch: rows are episodes (or completions, or dialogues), columns are token slots.
// All per-token arrays are row-major [rows × width]; `mask` is 1 on the slots where the policy
// acted (docs/grpo.md "Notation": m[i,t]). Padded slots hold zeros and never count.
import type { PolicyInputs } from './policy-inputs.ts';

export interface Batch {
  rows: number;
  width: number;
  inputs: PolicyInputs;
  // per token, [rows*width]
  actions: Int32Array;
  mask: Float32Array;
  /** Turn index of each token (EPO: token → turn → trajectory averaging). */
  turnIndex: Int32Array;
  /** log π of the taken action as the sampler saw it (sampling temperature, incremental pass). */
  sampleLogProbs?: Float32Array;
  /** log π_old of the taken action at the training temperature (old pass, no grad). */
  oldLogProbs: Float32Array;
  /** Full-distribution entropy of π_old at each slot, training temperature. */
  oldEntropy: Float32Array;
  /** log π_ref of the taken action, when a KL-to-reference term needs it. */
  refLogProbs?: Float32Array;
  /** π_old's raw logit (before temperature) of the taken action, when a definition sets needsActionLogits (UCAS). */
  oldActionLogits?: Float32Array;
  /** π_old's full log-distribution per slot, [rows*width*numActions] (STEER first-order Ω). */
  oldLogPolicy?: Float32Array;
  numActions: number;
  /** Broadcast advantages A[i,t] = a_i · m[i,t] (docs/grpo.md "Group advantages"). */
  advantages: Float32Array;
  // per row, [rows]
  groupId: Int32Array;
  reward: Float64Array;
  success: Uint8Array;
  /** Number of policy tokens in the row. */
  length: Int32Array;
  /** Number of turns in the row. */
  turns: Int32Array;
  /** Temperature the row was sampled at. */
  temperature: Float32Array;
  /** 1 for rows a regularizer added (AEPO's REINFORCE rows), 0 for the main GRPO rollout. */
  isExtra: Uint8Array;
  /** 1 for rows replayed from earlier steps (a regularizer's replayBatch); absent: none are. */
  isReplay?: Uint8Array;
}

export function tokenCount(batch: Batch): number {
  let n = 0;
  for (let i = 0; i < batch.mask.length; i++) n += batch.mask[i];
  return n;
}

/** A new batch made of the given rows of `batch`, in that order, same width. */
export function selectRows(batch: Batch, rows: readonly number[]): Batch {
  const w = batch.width;
  const a = batch.numActions;
  const perToken = <T extends Float32Array | Int32Array>(src: T): T => {
    const out = new (src.constructor as new (n: number) => T)(rows.length * w);
    rows.forEach((r, i) => out.set(src.subarray(r * w, (r + 1) * w), i * w));
    return out;
  };
  const perRow = <T extends Float32Array | Float64Array | Int32Array | Uint8Array>(src: T): T => {
    const out = new (src.constructor as new (n: number) => T)(rows.length);
    rows.forEach((r, i) => (out[i] = src[r]));
    return out;
  };
  let oldLogPolicy: Float32Array | undefined;
  if (batch.oldLogPolicy) {
    const src = batch.oldLogPolicy;
    oldLogPolicy = new Float32Array(rows.length * w * a);
    rows.forEach((r, i) => oldLogPolicy!.set(src.subarray(r * w * a, (r + 1) * w * a), i * w * a));
  }
  return {
    rows: rows.length,
    width: w,
    inputs: batch.inputs.selectRows(rows),
    actions: perToken(batch.actions),
    mask: perToken(batch.mask),
    turnIndex: perToken(batch.turnIndex),
    sampleLogProbs: batch.sampleLogProbs && perToken(batch.sampleLogProbs),
    oldLogProbs: perToken(batch.oldLogProbs),
    oldEntropy: perToken(batch.oldEntropy),
    refLogProbs: batch.refLogProbs && perToken(batch.refLogProbs),
    oldActionLogits: batch.oldActionLogits && perToken(batch.oldActionLogits),
    oldLogPolicy,
    numActions: a,
    advantages: perToken(batch.advantages),
    groupId: perRow(batch.groupId),
    reward: perRow(batch.reward),
    success: perRow(batch.success),
    length: perRow(batch.length),
    turns: perRow(batch.turns),
    temperature: perRow(batch.temperature),
    isExtra: perRow(batch.isExtra),
    isReplay: batch.isReplay && perRow(batch.isReplay),
  };
}

/**
 * `a`'s rows followed by `b`'s, both right-padded to the larger width: padded slots are masked,
 * zero, and hold the uniform distribution in `oldLogPolicy`. A per-token array only one side has
 * (`sampleLogProbs`, `refLogProbs`, `oldActionLogits`, `oldLogPolicy`) is dropped; `isReplay` is kept (0 where absent).
 * The inputs must come from the same policy (PolicyInputs.concatRows).
 */
export function concatBatches(a: Batch, b: Batch): Batch {
  if (a.numActions !== b.numActions)
    throw new Error(`cannot concatenate batches over ${a.numActions} and ${b.numActions} actions`);
  if (!a.inputs.concatRows) throw new Error("this policy's inputs cannot be concatenated (no concatRows)");
  const width = Math.max(a.width, b.width);
  const rows = a.rows + b.rows;
  const A = a.numActions;
  const perSlot = <T extends Float32Array | Int32Array>(x: T, y: T, stride = 1, fill = 0): T => {
    const out = new (x.constructor as new (n: number) => T)(rows * width * stride);
    out.fill(fill);
    const place = (src: T, from: Batch, offset: number) => {
      for (let r = 0; r < from.rows; r++)
        out.set(src.subarray(r * from.width * stride, (r + 1) * from.width * stride), (offset + r) * width * stride);
    };
    place(x, a, 0);
    place(y, b, a.rows);
    return out;
  };
  const both = <T extends Float32Array>(x: T | undefined, y: T | undefined, stride = 1, fill = 0) =>
    x && y ? perSlot(x, y, stride, fill) : undefined;
  const perRow = <T extends Float32Array | Float64Array | Int32Array | Uint8Array>(x: T, y: T): T => {
    const out = new (x.constructor as new (n: number) => T)(rows);
    out.set(x, 0);
    out.set(y, a.rows);
    return out;
  };
  const replayFlags = (x: Batch) => x.isReplay ?? new Uint8Array(x.rows);
  return {
    rows,
    width,
    inputs: a.inputs.concatRows(b.inputs, width),
    actions: perSlot(a.actions, b.actions),
    mask: perSlot(a.mask, b.mask),
    turnIndex: perSlot(a.turnIndex, b.turnIndex),
    sampleLogProbs: both(a.sampleLogProbs, b.sampleLogProbs),
    oldLogProbs: perSlot(a.oldLogProbs, b.oldLogProbs),
    oldEntropy: perSlot(a.oldEntropy, b.oldEntropy),
    refLogProbs: both(a.refLogProbs, b.refLogProbs),
    oldActionLogits: both(a.oldActionLogits, b.oldActionLogits),
    oldLogPolicy: both(a.oldLogPolicy, b.oldLogPolicy, A, -Math.log(A)),
    numActions: A,
    advantages: perSlot(a.advantages, b.advantages),
    groupId: perRow(a.groupId, b.groupId),
    reward: perRow(a.reward, b.reward),
    success: perRow(a.success, b.success),
    length: perRow(a.length, b.length),
    turns: perRow(a.turns, b.turns),
    temperature: perRow(a.temperature, b.temperature),
    isExtra: perRow(a.isExtra, b.isExtra),
    ...(a.isReplay || b.isReplay ? { isReplay: perRow(replayFlags(a), replayFlags(b)) } : {}),
  };
}
