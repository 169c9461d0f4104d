// The MLP's logits for the rollout, where nothing is differentiated: the same values as the
// training forward pass (mlp.ts), op for op, with fewer tensor ops around them. The weights are read
// once per sampling session; the sparse first layer and every bias add and ReLU run on the
// downloaded arrays in JavaScript (one float32 rounding per operation, as the kernels do: a sum of
// two float32 values rounded once to float32 is the float32 sum), and only the dense hidden
// products go to the backend. tanh stays a kernel (Math.tanh is not the backend's tanh).
import * as tf from '@tensorflow/tfjs';
import { appendRowNonZeros, bitsOf, type SparseRows, sparseTimesDense } from './input-matmul.ts';

/** One layer's weights as the sampler holds them: the matrix as a tensor and as an array, the bias as an array. */
export interface InferenceLayer {
  weights: tf.Tensor2D;
  /** The matrix's values (read for the first layer only, whose input is sparse). */
  weightValues?: Float32Array;
  bias: Float32Array;
}

/** x + b then the activation (none on the last layer), in place on a [rows, n] array. */
function biasThenActivation(h: Float32Array, bias: Float32Array, relu: boolean): Float32Array {
  const n = bias.length;
  for (let o = 0; o < h.length; o += n) {
    for (let j = 0; j < n; j++) {
      const v = Math.fround(h[o + j] + bias[j]);
      h[o + j] = relu && !(v > 0) ? 0 : v;
    }
  }
  return h;
}

/** h·w on the backend, read back. */
function backendMatMul(h: Float32Array, rows: number, cols: number, w: tf.Tensor2D, tanh: boolean): Float32Array {
  const product = tf.tidy(() => {
    const input = tf.tensor2d(h, [rows, cols]);
    return tf.matMul(tanh ? tf.tanh(input) : input, w);
  });
  const values = product.dataSync() as Float32Array;
  product.dispose();
  return values;
}

/**
 * The non-zeros of observations stacked as rows: sparseRows of their concatenation, without
 * building it (null under the same density limit).
 */
export function observationRows(
  observations: readonly (Float32Array | Int32Array)[],
  cols: number,
  maxDensity = 0.125,
): SparseRows | null {
  const rows = observations.length;
  const limit = Math.floor(maxDensity * rows * cols);
  const start = new Int32Array(rows + 1);
  const col = new Int32Array(limit);
  const value = new Float32Array(limit);
  let k = 0;
  for (let r = 0; r < rows; r++) {
    start[r] = k;
    const o = observations[r];
    k = appendRowNonZeros(o, bitsOf(o), 0, cols, col, value, k, limit);
    if (k < 0) return null;
  }
  start[rows] = k;
  return { rows, cols, start, col: col.subarray(0, k), value: value.subarray(0, k) };
}

/**
 * Logits at temperature 1 of the observations, [observations.length, numActions] row-major.
 * `layers[0].weightValues` must be set.
 */
export function inferLogits(
  observations: readonly (Float32Array | Int32Array)[],
  obsSize: number,
  layers: readonly InferenceLayer[],
  activation: 'relu' | 'tanh',
): Float32Array {
  const rows = observations.length;
  const sparse = observationRows(observations, obsSize);
  const first = layers[0];
  let cols = first.bias.length;
  let h: Float32Array;
  if (sparse) h = sparseTimesDense(sparse, first.weightValues!, cols);
  else {
    const x = new Float32Array(rows * obsSize);
    observations.forEach((o, i) => x.set(o, i * obsSize));
    h = backendMatMul(x, rows, obsSize, first.weights, false);
  }
  const relu = activation === 'relu';
  for (let l = 0; l < layers.length; l++) {
    const last = l + 1 === layers.length;
    if (l > 0) {
      // a tanh layer's activation is applied by the kernel in front of the next product
      h = backendMatMul(h, rows, cols, layers[l].weights, !relu);
      cols = layers[l].bias.length;
    }
    biasThenActivation(h, layers[l].bias, relu && !last);
  }
  return h;
}
