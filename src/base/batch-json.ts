// A Batch as plain JSON and back, exactly (float32 values survive the round trip through doubles):
// rows a regularizer keeps across steps (SPEAR's replay buffer) travel in its checkpoint state this
// way. The inputs are the policy's own (PolicyInputs.toJSON), decoded by the policy.
import type { Batch } from './batch.ts';
import type { PolicyInputs } from './policy-inputs.ts';

const PER_TOKEN_F32 = ['mask', 'oldLogProbs', 'oldEntropy', 'advantages'] as const;
const OPTIONAL_F32 = ['sampleLogProbs', 'refLogProbs', 'oldLogPolicy'] as const;
const PER_TOKEN_I32 = ['actions', 'turnIndex'] as const;
const PER_ROW = {
  groupId: Int32Array,
  reward: Float64Array,
  success: Uint8Array,
  length: Int32Array,
  turns: Int32Array,
  temperature: Float32Array,
  isExtra: Uint8Array,
} as const;

/** rows, width, numActions, the inputs' JSON, and each per-token and per-row array as numbers. */
export type BatchJson = Record<string, unknown>;

/** `batch` as JSON; its inputs must have `toJSON` (the error says whose do not). */
export function encodeBatch(batch: Batch): BatchJson {
  if (!batch.inputs.toJSON) throw new Error("this policy's inputs cannot be saved (PolicyInputs.toJSON is missing)");
  const out: BatchJson = {
    rows: batch.rows,
    width: batch.width,
    numActions: batch.numActions,
    inputs: batch.inputs.toJSON(),
  };
  for (const key of [...PER_TOKEN_F32, ...PER_TOKEN_I32, ...Object.keys(PER_ROW)] as (keyof Batch)[])
    out[key] = Array.from(batch[key] as ArrayLike<number>);
  for (const key of OPTIONAL_F32) if (batch[key]) out[key] = Array.from(batch[key]!);
  if (batch.isReplay) out.isReplay = Array.from(batch.isReplay);
  return out;
}

/** The batch `encodeBatch` saved, its inputs rebuilt by `decodeInputs`; throws naming a missing or malformed field. */
export function decodeBatch(json: unknown, decodeInputs: (inputs: unknown) => PolicyInputs): Batch {
  const j = json as Record<string, unknown>;
  const { rows, width, numActions } = j ?? {};
  if (![rows, width, numActions].every((n) => Number.isInteger(n) && (n as number) >= 0))
    throw new Error('a saved batch needs integer rows, width and numActions');
  const R = rows as number;
  const W = width as number;
  const array = (key: string, size: number) => {
    const value = j[key];
    if (!Array.isArray(value) || value.length !== size || value.some((x) => typeof x !== 'number'))
      throw new Error(`saved batch field '${key}' must be ${size} numbers`);
    return value as number[];
  };
  const batch = {
    rows: R,
    width: W,
    numActions: numActions as number,
    inputs: decodeInputs(j.inputs ?? { rows: R, width: W }),
  } as Record<string, unknown>;
  for (const key of PER_TOKEN_F32) batch[key] = Float32Array.from(array(key, R * W));
  for (const key of PER_TOKEN_I32) batch[key] = Int32Array.from(array(key, R * W));
  for (const [key, Type] of Object.entries(PER_ROW)) batch[key] = Type.from(array(key, R));
  for (const key of OPTIONAL_F32) {
    const size = key === 'oldLogPolicy' ? R * W * (numActions as number) : R * W;
    if (j[key] !== undefined) batch[key] = Float32Array.from(array(key, size));
  }
  if (j.isReplay !== undefined) batch.isReplay = Uint8Array.from(array('isReplay', R));
  return batch as unknown as Batch;
}
