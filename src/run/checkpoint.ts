// Checkpoints: policy weights, Adam moments, step, every RNG stream, regularizer/controller state
// and how many metrics lines belong to the run so far. One JSON file, written atomically.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { writeJsonAtomic } from './atomic-write.ts';
import { UserError } from '../errors.ts';
import type { RngState, StreamName } from '../core/rng.ts';
import type { SavedRegularizer } from '../core/regularizer-set.ts';
import { CHECKPOINT_FILE } from './run-dir.ts';

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

/** Copy saved values into existing variables, checking shapes. */
export function assignTensors(variables: readonly tf.Variable[], saved: readonly TensorData[], what: string): void {
  if (saved.length !== variables.length) throw new UserError(`${what}: checkpoint has ${saved.length} tensors, the model has ${variables.length}`);
  variables.forEach((v, i) => {
    if (saved[i].shape.join('x') !== v.shape.join('x')) {
      throw new UserError(`${what}: tensor ${i} has shape [${saved[i].shape}] in the checkpoint, [${v.shape}] in the model`);
    }
    v.assign(tf.tensor(decodeArray(saved[i]), v.shape));
  });
}

export function saveCheckpoint(dir: string, ckpt: Checkpoint, file = CHECKPOINT_FILE): void {
  writeJsonAtomic(path.join(dir, file), ckpt);
}

/** Load a checkpoint from a run directory or a checkpoint file; `resume` also needs its full state. */
export function loadCheckpoint(where: string, opts: { resume?: boolean } = {}): Checkpoint {
  const file = fs.existsSync(where) && fs.statSync(where).isDirectory() ? path.join(where, CHECKPOINT_FILE) : where;
  if (!fs.existsSync(file)) throw new UserError('no checkpoint found', file);
  let ckpt: Checkpoint;
  try {
    ckpt = JSON.parse(fs.readFileSync(file, 'utf8')) as Checkpoint;
  } catch (e) {
    throw new UserError(`checkpoint is not valid JSON (${(e as Error).message})`, file);
  }
  if ((ckpt.version !== 1 && ckpt.version !== CHECKPOINT_VERSION) || !ckpt.policy) throw new UserError('not an entrolab checkpoint', file);
  if (opts.resume && ckpt.version !== CHECKPOINT_VERSION) {
    throw new UserError(
      `checkpoint version ${ckpt.version} predates per-regularizer random streams and cannot be resumed ` +
        '(it still works for eval, play and init_from); start the run over with --force',
      file,
    );
  }
  return ckpt;
}
