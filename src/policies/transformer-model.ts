// The tiny causal transformer as pure functions over its weights: token + learned position
// embeddings, pre-LayerNorm blocks (multi-head causal self-attention, then a sigmoid-GELU MLP), a
// final LayerNorm and a tied or untied output head.
// Written for the wasm backend (docs/tfjs-notes.md): embeddings are oneHot·matMul (tf.gather has no
// gradient there), every 2-D matMul goes through fast-matmul, attention's batched matMuls get the
// same explicit-transpose gradient, GELU is x·σ(1.702x) (tanh is 6× slower on wasm).
import * as tf from '@tensorflow/tfjs';
import { addBias, matMul, scaleShift } from './fast-matmul.ts';
import { inputMatMul } from './input-matmul.ts';
import type { BlockWeights, TransformerShape, TransformerWeights } from './transformer-weights.ts';

// ---------------------------------------------------------------------------------------------
// building blocks

/** Batched matMul (rank ≥ 3, no transpose flags) whose gradient transposes explicitly (wasm). */
export const batchMatMul = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [a, b, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([a, b]);
  const swapLast = (x: tf.Tensor) => {
    const perm = x.shape.map((_, i) => i);
    [perm[perm.length - 2], perm[perm.length - 1]] = [perm[perm.length - 1], perm[perm.length - 2]];
    return tf.transpose(x, perm);
  };
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy, [sa, sb]) => [tf.matMul(dy, swapLast(sb)), tf.matMul(swapLast(sa), dy)],
  };
}) as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

export function layerNorm(x: tf.Tensor2D, gain: tf.Tensor, bias: tf.Tensor): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, -1, true);
  const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))) as tf.Tensor2D;
  return scaleShift(normed, gain as tf.Tensor1D, bias as tf.Tensor1D);
}

/** GELU, sigmoid approximation x·σ(1.702x). */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.mul(x, tf.sigmoid(tf.mul(x, 1.702)));
}

function mlp(b: BlockWeights, h: tf.Tensor2D): tf.Tensor2D {
  const hidden = gelu(addBias(matMul(h, b.w1 as tf.Tensor2D), b.b1 as tf.Tensor1D)) as tf.Tensor2D;
  return addBias(matMul(hidden, b.w2 as tf.Tensor2D), b.b2 as tf.Tensor1D);
}

function headLogits(_s: TransformerShape, w: TransformerWeights, x: tf.Tensor2D): tf.Tensor2D {
  const h = layerNorm(x, w.lnfGain, w.lnfBias);
  const head = w.head ?? tf.transpose(w.tokenEmbedding);
  return matMul(h, head as tf.Tensor2D);
}

/**
 * Attention of `queryCount` new positions per row over `keyCount` keys.
 * q: [B·Tq, D]; kT: [B, H, Dh, Tk] (keys pre-transposed); v: [B, H, Tk, Dh];
 * maskAdd: additive mask broadcastable to [B, H, Tq, Tk] (0 = may attend, −1e9 = may not).
 */
function attend(
  s: TransformerShape,
  q: tf.Tensor2D,
  kT: tf.Tensor,
  v: tf.Tensor,
  maskAdd: tf.Tensor,
  rows: number,
  queryCount: number,
): tf.Tensor2D {
  const H = s.heads;
  const Dh = s.dModel / H;
  const qh = tf.transpose(tf.reshape(q, [rows, queryCount, H, Dh]), [0, 2, 1, 3]); // [B, H, Tq, Dh]
  const scores = tf.add(tf.mul(batchMatMul(qh, kT), 1 / Math.sqrt(Dh)), maskAdd);
  const out = batchMatMul(tf.softmax(scores), v); // [B, H, Tq, Dh]
  return tf.reshape(tf.transpose(out, [0, 2, 1, 3]), [rows * queryCount, s.dModel]) as tf.Tensor2D;
}

/** Keys as [B, H, Dh, T] and values as [B, H, T, Dh] from [B·T, D] projections. */
function splitHeads(
  s: TransformerShape,
  k: tf.Tensor2D,
  v: tf.Tensor2D,
  rows: number,
  len: number,
): { kT: tf.Tensor4D; v: tf.Tensor4D } {
  const H = s.heads;
  const Dh = s.dModel / H;
  return {
    kT: tf.transpose(tf.reshape(k, [rows, len, H, Dh]), [0, 2, 3, 1]) as tf.Tensor4D,
    v: tf.transpose(tf.reshape(v, [rows, len, H, Dh]), [0, 2, 1, 3]) as tf.Tensor4D,
  };
}

/** Keys or values as [B, H, T, Dh] from a [B·T, D] projection (the layout of a LayerCache). */
function slotsOf(s: TransformerShape, x: tf.Tensor2D, rows: number, len: number): tf.Tensor4D {
  return tf.transpose(tf.reshape(x, [rows, len, s.heads, s.dModel / s.heads]), [0, 2, 1, 3]) as tf.Tensor4D;
}

/** Additive causal mask [T, T]: position t may attend to positions ≤ t. */
export function causalMask(len: number): tf.Tensor2D {
  const values = new Float32Array(len * len);
  for (let i = 0; i < len; i++) for (let j = i + 1; j < len; j++) values[i * len + j] = -1e9;
  return tf.tensor2d(values, [len, len]);
}

// ---------------------------------------------------------------------------------------------
// full forward pass (training, old pass, reference)

/**
 * Logits [rows·len, V] for token ids [rows·len] (row-major, right-padded). Causal attention alone
 * keeps padding out: pads only follow a row's real tokens, and their own outputs are never used.
 */
export function forwardFull(
  s: TransformerShape,
  w: TransformerWeights,
  tokens: Int32Array,
  rows: number,
  len: number,
): tf.Tensor2D {
  const D = s.dModel;
  const oneHot = new Float32Array(tokens.length * s.vocabSize);
  tokens.forEach((id, i) => id >= 0 && id < s.vocabSize && (oneHot[i * s.vocabSize + id] = 1)); // as tf.oneHot
  const tokenEmb = inputMatMul(oneHot, tokens.length, s.vocabSize, w.tokenEmbedding as tf.Tensor2D);
  const pos = tf.slice(w.positionEmbedding, [0, 0], [len, D]);
  let x = tf.reshape(tf.add(tf.reshape(tokenEmb, [rows, len, D]), pos), [rows * len, D]) as tf.Tensor2D;
  const mask = causalMask(len);
  for (const b of w.blocks) {
    const h = layerNorm(x, b.ln1Gain, b.ln1Bias);
    const q = matMul(h, b.wq as tf.Tensor2D);
    const { kT, v } = splitHeads(s, matMul(h, b.wk as tf.Tensor2D), matMul(h, b.wv as tf.Tensor2D), rows, len);
    x = tf.add(x, matMul(attend(s, q, kT, v, mask, rows, len), b.wo as tf.Tensor2D)) as tf.Tensor2D;
    x = tf.add(x, mlp(b, layerNorm(x, b.ln2Gain, b.ln2Bias))) as tf.Tensor2D;
  }
  return headLogits(s, w, x);
}

// ---------------------------------------------------------------------------------------------
// incremental forward pass (sampling with a key/value cache)

/**
 * Keys and values both as [B, H, S, Dh]: a new slot is a concat on axis 2, which the wasm backend
 * copies in B·H runs; the pre-transposed keys [B, H, Dh, S] of forwardFull would need B·H·Dh runs
 * (at 128 rows and 20 slots, 1.2 ms against 0.4 ms with the transpose). Attention transposes the
 * keys after the concat, so its matMul sees the same values; bench/transformer-sampling.ts.
 */
export type LayerCache = {
  k: tf.Tensor4D; // [B, H, S, Dh]
  v: tf.Tensor4D; // [B, H, S, Dh]
};

export interface StepInput {
  rows: number;
  /** New positions per row (the longest row's count; shorter rows are padded). */
  newCount: number;
  /** Token ids [rows·newCount]. */
  tokens: Int32Array;
  /** Absolute position of each new token [rows·newCount] (pads: 0). */
  positions: Int32Array;
  /** Additive mask [rows·newCount·(S + newCount)] over cached slots then new slots. */
  maskAdd: Float32Array;
  /** Index (in rows·newCount) of the position whose logits each row wants [rows]. */
  readout: Int32Array;
}

/**
 * Run only the new tokens through the model, attending to the cached keys/values too.
 * Returns the logits [rows, V] at the readout positions and the caches extended by `newCount`
 * slots (call inside tf.tidy; forward only).
 */
export function forwardStep(
  s: TransformerShape,
  w: TransformerWeights,
  input: StepInput,
  cache: LayerCache[] | null,
): { logits: tf.Tensor2D; cache: LayerCache[] } {
  const { rows, newCount } = input;
  const cached = cache ? cache[0].v.shape[2] : 0;
  const ids = tf.tensor1d(input.tokens, 'int32');
  let x = tf.add(
    tf.gather(w.tokenEmbedding, ids),
    tf.gather(w.positionEmbedding, tf.tensor1d(input.positions, 'int32')),
  ) as tf.Tensor2D;
  const mask = tf.tensor4d(input.maskAdd, [rows, 1, newCount, cached + newCount]);
  const next: LayerCache[] = [];
  w.blocks.forEach((b, l) => {
    const h = layerNorm(x, b.ln1Gain, b.ln1Bias);
    const q = tf.matMul(h, b.wq as tf.Tensor2D) as tf.Tensor2D;
    const freshK = slotsOf(s, tf.matMul(h, b.wk as tf.Tensor2D), rows, newCount);
    const freshV = slotsOf(s, tf.matMul(h, b.wv as tf.Tensor2D), rows, newCount);
    const k = cache ? (tf.concat([cache[l].k, freshK], 2) as tf.Tensor4D) : freshK;
    const v = cache ? (tf.concat([cache[l].v, freshV], 2) as tf.Tensor4D) : freshV;
    next.push({ k, v });
    const kT = tf.transpose(k, [0, 1, 3, 2]);
    x = tf.add(x, tf.matMul(attend(s, q, kT, v, mask, rows, newCount), b.wo as tf.Tensor2D)) as tf.Tensor2D;
    x = tf.add(x, mlp(b, layerNorm(x, b.ln2Gain, b.ln2Bias))) as tf.Tensor2D;
  });
  const last = tf.gather(x, tf.tensor1d(input.readout, 'int32')) as tf.Tensor2D;
  return { logits: headLogits(s, w, last), cache: next };
}
