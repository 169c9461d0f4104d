// 2-D matMul whose gradient transposes explicitly: on wasm the transposed-matMul kernels that
// tfjs-core's own gradient uses are 6–8× slower than a plain matMul (docs/tfjs-notes.md "Speed on wasm").
// Gradients are identical to tf.matMul's.
import * as tf from '@tensorflow/tfjs';

export const matMul = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [a, b, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
    gradFunc: (dy, [sa, sb]) => [
      tf.matMul(dy as tf.Tensor2D, tf.transpose(sb as tf.Tensor2D)),
      tf.matMul(tf.transpose(sa as tf.Tensor2D), dy as tf.Tensor2D),
    ],
  };
}) as (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;

/**
 * x·w for a constant x (the policy's input features), given as the row-major array it was made
 * from: w's gradient xᵀ·dy takes its xᵀ from a JavaScript transpose of that array, built only
 * when a backward pass runs, and x gets no gradient, so the backward pass neither transposes the
 * [rows, in] input on the backend nor multiplies for a gradient nobody uses.
 */
export function constMatMul(x: tf.Tensor2D, values: Float32Array, w: tf.Tensor2D): tf.Tensor2D {
  const [rows, cols] = x.shape;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.matMul(x, args[0] as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor) => {
      const xT = tf.tensor2d(transposeArray(values, rows, cols), [cols, rows]);
      return tf.matMul(xT, dy as tf.Tensor2D);
    },
  })) as (w: tf.Tensor2D) => tf.Tensor2D;
  return op(w);
}

/** The [cols, rows] transpose of a row-major [rows, cols] array. */
export function transposeArray(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  const TILE = 32;
  for (let r0 = 0; r0 < rows; r0 += TILE) {
    const r1 = Math.min(rows, r0 + TILE);
    for (let c = 0; c < cols; c++) for (let r = r0; r < r1; r++) out[c * rows + r] = values[r * cols + c];
  }
  return out;
}
