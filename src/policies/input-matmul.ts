// The first layer of a policy, x·w for a constant input x given as its row-major array. Policy
// inputs are mostly zeros (a gridworld observation is two one-hot cells in 129 features, a token
// is a one-hot row), so on the synchronous backends the product and w's gradient xᵀ·dy are sums
// over the non-zeros only, in JavaScript, rounded to float32 after every operation: the forward
// value equals the dense matMul's bit for bit when a row has at most two non-zeros and they are
// ones (the gridworld and token inputs: the sum of two floats does not depend on the order); the
// gradient sums the same products over the rows in row order, so it differs from the dense
// kernel's only by float32 rounding. x gets no gradient. Dense inputs, and the native
// backend, take tf.matMul.
import * as tf from '@tensorflow/tfjs';
import { addBias, matMul } from './fast-matmul.ts';
import { JS_BACKENDS, transposeArray } from './transpose-array.ts';

/** Non-zeros of each row, in column order (CSR). */
export interface SparseRows {
  rows: number;
  cols: number;
  start: Int32Array;
  col: Int32Array;
  value: Float32Array;
}

// The same input array is multiplied several times a step (old pass, update, after-update pass)
const cache = new WeakMap<Float32Array, SparseRows | null>();

/** The bits of a float32 (or int32) array, to test four entries for zero at once. */
export function bitsOf(values: Float32Array | Int32Array): Int32Array {
  return values instanceof Int32Array ? values : new Int32Array(values.buffer, values.byteOffset, values.length);
}

/**
 * Appends the non-zeros of values[base, base + cols) to `col` (column within the row) and `value`
 * from index k; returns the new k, or -1 once `limit` entries would be passed. Four entries whose
 * bits are all zero are skipped at once; any other block is read entry by entry (a −0 has a bit
 * set and is skipped there as a zero), so the result is the entry-by-entry scan's.
 */
export function appendRowNonZeros(
  values: Float32Array | Int32Array,
  bits: Int32Array,
  base: number,
  cols: number,
  col: Int32Array,
  value: Float32Array,
  k: number,
  limit: number,
): number {
  const end = base + cols;
  let i = base;
  for (; i + 4 <= end; i += 4) {
    if ((bits[i] | bits[i + 1] | bits[i + 2] | bits[i + 3]) === 0) continue;
    for (let j = i; j < i + 4; j++) {
      const v = values[j];
      if (v === 0) continue;
      if (k === limit) return -1;
      col[k] = j - base;
      value[k++] = v;
    }
  }
  for (; i < end; i++) {
    const v = values[i];
    if (v === 0) continue;
    if (k === limit) return -1;
    col[k] = i - base;
    value[k++] = v;
  }
  return k;
}

/**
 * The CSR form of `values`, or null when more than `maxDensity` of the entries are non-zero.
 * Remembered per array: callers must not change an array after passing it.
 */
export function sparseRows(values: Float32Array, rows: number, cols: number, maxDensity = 0.125): SparseRows | null {
  const known = cache.get(values);
  if (known !== undefined && (known === null || (known.rows === rows && known.cols === cols))) return known;
  const limit = Math.floor(maxDensity * values.length);
  const start = new Int32Array(rows + 1);
  const col = new Int32Array(limit);
  const value = new Float32Array(limit);
  const bits = bitsOf(values);
  let k = 0;
  let result: SparseRows | null = null;
  for (let r = 0; r <= rows; r++) {
    start[r] = k;
    if (r === rows) {
      result = { rows, cols, start, col: col.subarray(0, k), value: value.subarray(0, k) };
      break;
    }
    k = appendRowNonZeros(values, bits, r * cols, cols, col, value, k, limit);
    if (k < 0) break;
  }
  cache.set(values, result);
  return result;
}

/** x·w: [rows, n] from x's non-zeros and w [cols, n]. */
export function sparseTimesDense(x: SparseRows, w: Float32Array, n: number): Float32Array {
  const f = Math.fround;
  const out = new Float32Array(x.rows * n);
  for (let r = 0; r < x.rows; r++) {
    const o = r * n;
    for (let k = x.start[r]; k < x.start[r + 1]; k++) {
      const a = x.value[k];
      const wo = x.col[k] * n;
      for (let j = 0; j < n; j++) out[o + j] = f(out[o + j] + f(a * w[wo + j]));
    }
  }
  return out;
}

/** xᵀ·dy: [cols, n] from x's non-zeros and dy [rows, n], rows summed in order. */
export function sparseTransposeTimes(x: SparseRows, dy: Float32Array, n: number): Float32Array {
  const f = Math.fround;
  const out = new Float32Array(x.cols * n);
  for (let r = 0; r < x.rows; r++) {
    const d = r * n;
    for (let k = x.start[r]; k < x.start[r + 1]; k++) {
      const a = x.value[k];
      const o = x.col[k] * n;
      for (let j = 0; j < n; j++) out[o + j] = f(out[o + j] + f(a * dy[d + j]));
    }
  }
  return out;
}

/** x·w for the constant [rows, cols] input `values`; differentiable in w only. */
export function inputMatMul(values: Float32Array, rows: number, cols: number, w: tf.Tensor2D): tf.Tensor2D {
  const sparse = JS_BACKENDS.has(tf.getBackend()) ? sparseRows(values, rows, cols) : null;
  if (!sparse) return matMulConstant(tf.tensor2d(values, [rows, cols]), values, w);
  const n = w.shape[1];
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const weights = args[0] as tf.Tensor2D;
    return {
      value: tf.tensor2d(sparseTimesDense(sparse, weights.dataSync() as Float32Array, n), [rows, n]),
      gradFunc: (dy: tf.Tensor) => {
        const grad = sparseTransposeTimes(sparse, dy.dataSync() as Float32Array, n);
        return tf.tensor2d(grad, [cols, n]);
      },
    };
  }) as (w: tf.Tensor2D) => tf.Tensor2D;
  return op(w);
}

/**
 * x·w + b for the constant input `values`: inputMatMul then addBias, the same values and gradients.
 * On wasm, whose matMul sums in float32 in index order (the cpu backend sums blocks in doubles),
 * b's gradient ones·dy is summed here in that order from the dy the sparse product downloads anyway.
 */
export function inputLayer(
  values: Float32Array,
  rows: number,
  cols: number,
  w: tf.Tensor2D,
  b: tf.Tensor1D,
): tf.Tensor2D {
  const sparse = tf.getBackend() === 'wasm' ? sparseRows(values, rows, cols) : null;
  if (!sparse) return addBias(inputMatMul(values, rows, cols, w), b);
  const n = w.shape[1];
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [weights, bias] = args as [tf.Tensor2D, tf.Tensor1D];
    const product = tf.tensor2d(sparseTimesDense(sparse, weights.dataSync() as Float32Array, n), [rows, n]);
    return {
      value: tf.add(product, bias),
      gradFunc: (dy: tf.Tensor) => {
        const d = dy.dataSync() as Float32Array;
        const db = new Float32Array(n);
        for (let o = 0; o < d.length; o += n) for (let j = 0; j < n; j++) db[j] += d[o + j];
        return [tf.tensor2d(sparseTransposeTimes(sparse, d, n), [cols, n]), tf.tensor1d(db)];
      },
    };
  }) as (w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;
  return op(w, b);
}

/**
 * Dense x·w for a constant x: w's gradient xᵀ·dy takes its xᵀ from a JavaScript transpose of
 * x's array, built only when a backward pass runs, so the backend neither transposes the
 * [rows, cols] input nor multiplies for a gradient nobody uses.
 */
function matMulConstant(x: tf.Tensor2D, values: Float32Array, w: tf.Tensor2D): tf.Tensor2D {
  const [rows, cols] = x.shape;
  if (!JS_BACKENDS.has(tf.getBackend())) return matMul(x, w);
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.matMul(x, args[0] as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor) => {
      const xT = tf.tensor2d(transposeArray(values, rows, cols), [cols, rows]);
      return tf.matMul(xT, dy as tf.Tensor2D);
    },
  })) as (w: tf.Tensor2D) => tf.Tensor2D;
  return op(w);
}
