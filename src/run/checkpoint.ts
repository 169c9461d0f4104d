// Checkpoints: policy weights, Adam moments, step, every RNG stream, regularizer/controller state
// and how many metrics lines belong to the run so far. One JSON file, written atomically, with a
// SHA-256 of its payload; the one it replaces is kept as checkpoint.prev.json, so a corrupt or
// truncated latest checkpoint costs the steps since the previous one, not the run.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../base/errors.ts';
import type { RngState, StreamName } from '../base/rng.ts';
import type { AdamState } from '../core/adam.ts';
import type { SavedRegularizer } from '../core/regularizer-set.ts';
import { writeFileAtomic } from './atomic-write.ts';
import { CHECKPOINT_FILE, CORRUPT_CHECKPOINT_FILE, PREVIOUS_CHECKPOINT_FILE } from './run-dir.ts';

export { CORRUPT_CHECKPOINT_FILE, PREVIOUS_CHECKPOINT_FILE };

/**
 * 2: each regularizer has its own random stream, saved beside its state. A version-1 checkpoint
 * still provides policy weights (eval, play, init_from) but cannot be resumed.
 */
export const CHECKPOINT_VERSION = 2;

export interface TensorData {
  shape: number[];
  /** float32 little-endian, base64. */
  data: string;
}

export interface OptimizerState {
  step: number;
  m: TensorData[];
  v: TensorData[];
}

export interface Checkpoint {
  version: 1 | typeof CHECKPOINT_VERSION;
  /** Training steps completed. */
  step: number;
  policy: { kind: string; described: Record<string, unknown>; weights: TensorData[] };
  optimizer?: OptimizerState;
  rng?: Record<StreamName, RngState>;
  regularizers?: Record<string, SavedRegularizer>;
  /** Lines of metrics.jsonl written up to this checkpoint (resume truncates to it). */
  metricsLines?: number;
  /** Free-form extras (e.g. SFT epoch, tokenizer). */
  extra?: Record<string, unknown>;
  /** `sha256:<hex>` of the JSON of every other field (absent in checkpoints written before it existed). */
  checksum?: string;
}

export function encodeArray(values: Float32Array, shape: number[]): TensorData {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  return { shape, data: Buffer.from(bytes).toString('base64') };
}

export function decodeArray(t: TensorData): Float32Array {
  const buf = Buffer.from(t.data, 'base64');
  const out = new Float32Array(buf.byteLength / 4);
  new Uint8Array(out.buffer).set(buf);
  return out;
}

export function encodeTensors(tensors: readonly tf.Tensor[]): TensorData[] {
  return tensors.map((t) => encodeArray(Float32Array.from(t.dataSync() as Float32Array), t.shape));
}

/** Throws unless the saved tensors have the variables' count and shapes. */
export function checkShapes(variables: readonly tf.Variable[], saved: readonly TensorData[], what: string): void {
  if (saved.length !== variables.length)
    throw new UserError(`${what}: checkpoint has ${saved.length} tensors, the model has ${variables.length}`);
  variables.forEach((v, i) => {
    if (saved[i].shape.join('x') !== v.shape.join('x')) {
      throw new UserError(
        `${what}: tensor ${i} has shape [${saved[i].shape}] in the checkpoint, [${v.shape}] in the model`,
      );
    }
  });
}

/** Copy saved values into existing variables, checking shapes. */
export function assignTensors(variables: readonly tf.Variable[], saved: readonly TensorData[], what: string): void {
  checkShapes(variables, saved, what);
  variables.forEach((v, i) => v.assign(tf.tensor(decodeArray(saved[i]), v.shape)));
}

/** Adam's moments as the checkpoint stores them (float32 base64, in the variables' shapes). */
export function encodeOptimizerState(state: AdamState, variables: readonly tf.Variable[]): OptimizerState {
  return {
    step: state.step,
    m: state.m.map((a, i) => encodeArray(a, variables[i].shape)),
    v: state.v.map((a, i) => encodeArray(a, variables[i].shape)),
  };
}

/** The saved moments back as plain arrays, checking their count and shapes against the variables. */
export function decodeOptimizerState(saved: OptimizerState, variables: readonly tf.Variable[]): AdamState {
  checkShapes(variables, saved.m, 'optimizer first moments');
  checkShapes(variables, saved.v, 'optimizer second moments');
  return { step: saved.step, m: saved.m.map(decodeArray), v: saved.v.map(decodeArray) };
}

function payloadChecksum(ckpt: Checkpoint): string {
  const { checksum: _checksum, ...payload } = ckpt;
  return `sha256:${createHash('sha256').update(JSON.stringify(payload)).digest('hex')}`;
}

/** Write `file` in `dir` atomically; the default file rotates the one it replaces to checkpoint.prev.json. */
export function saveCheckpoint(dir: string, ckpt: Checkpoint, file = CHECKPOINT_FILE): void {
  const { checksum: _old, ...payload } = ckpt;
  const sealed: Checkpoint = { ...payload, checksum: payloadChecksum(payload as Checkpoint) };
  const previous = file === CHECKPOINT_FILE ? path.join(dir, PREVIOUS_CHECKPOINT_FILE) : undefined;
  writeFileAtomic(path.join(dir, file), `${JSON.stringify(sealed, null, 1)}\n`, previous);
}

/** Read and check one checkpoint file: valid JSON, an entrolab checkpoint, its checksum (when it has one). */
function readCheckpointFile(file: string): Checkpoint {
  let ckpt: Checkpoint;
  try {
    ckpt = JSON.parse(fs.readFileSync(file, 'utf8')) as Checkpoint;
  } catch (e) {
    throw new UserError(`checkpoint is not valid JSON (${(e as Error).message})`, file);
  }
  if (
    typeof ckpt !== 'object' ||
    ckpt === null ||
    (ckpt.version !== 1 && ckpt.version !== CHECKPOINT_VERSION) ||
    !ckpt.policy
  ) {
    throw new UserError('not an entrolab checkpoint', file);
  }
  if (ckpt.checksum !== undefined && ckpt.checksum !== payloadChecksum(ckpt)) {
    throw new UserError('checkpoint is corrupt (its checksum does not match its contents)', file);
  }
  return ckpt;
}

/** A resumed run needs the per-regularizer streams that version 1 did not save. */
function assertResumable(ckpt: Checkpoint, file: string): void {
  if (ckpt.version === CHECKPOINT_VERSION) return;
  throw new UserError(
    `checkpoint version ${ckpt.version} predates per-regularizer random streams and cannot be resumed ` +
      '(it still works for eval, play and init_from); start the run over with --force',
    file,
  );
}

/** Load a checkpoint from a run directory or a checkpoint file; `resume` also needs its full state. */
export function loadCheckpoint(where: string, opts: { resume?: boolean } = {}): Checkpoint {
  const file = fs.existsSync(where) && fs.statSync(where).isDirectory() ? path.join(where, CHECKPOINT_FILE) : where;
  if (!fs.existsSync(file)) throw new UserError('no checkpoint found', file);
  const ckpt = readCheckpointFile(file);
  if (opts.resume) assertResumable(ckpt, file);
  return ckpt;
}

/**
 * The checkpoint `--resume` continues from: the latest one, or, when it is missing, truncated or
 * corrupt, the previous one with a warning that names the steps recomputed (`lastStep` is the last
 * step the run finished, from status.json). Undefined when the run has no checkpoint yet.
 */
export function loadResumeCheckpoint(
  runDir: string,
  lastStep: number | undefined,
  warn: (line: string) => void,
): Checkpoint | undefined {
  const latest = path.join(runDir, CHECKPOINT_FILE);
  const previous = path.join(runDir, PREVIOUS_CHECKPOINT_FILE);
  if (!fs.existsSync(latest) && !fs.existsSync(previous)) return undefined;
  let problem = `${CHECKPOINT_FILE} is missing`;
  if (fs.existsSync(latest)) {
    let ckpt: Checkpoint | undefined;
    try {
      ckpt = readCheckpointFile(latest);
    } catch (e) {
      if (!(e instanceof UserError) || !fs.existsSync(previous)) throw e;
      problem = e.message;
    }
    if (ckpt) {
      assertResumable(ckpt, latest);
      return ckpt;
    }
  }
  const ckpt = readCheckpointFile(previous);
  assertResumable(ckpt, previous);
  if (fs.existsSync(latest)) fs.renameSync(latest, path.join(runDir, CORRUPT_CHECKPOINT_FILE));
  const lost = lastStep !== undefined && lastStep > ckpt.step ? lastStep - ckpt.step : undefined;
  const redo =
    lost === undefined
      ? 'the steps after it are recomputed'
      : `steps ${ckpt.step + 1}–${lastStep} (${lost}) are recomputed`;
  warn(`entrolab: warning: ${problem}; resuming from ${PREVIOUS_CHECKPOINT_FILE} at step ${ckpt.step}: ${redo}`);
  return ckpt;
}
