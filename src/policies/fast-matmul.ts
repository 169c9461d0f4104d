// 2-D matMul whose gradient transposes explicitly: on wasm the transposed-matMul kernels that
// tfjs-core's own gradient uses are 6–8× slower than a plain matMul (docs/tfjs-notes.md "Speed on wasm").
// Gradients are identical to tf.matMul's. A policy's first layer, whose input is a constant,
// takes input-matmul.ts instead.
import * as tf from '@tensorflow/tfjs';
import { JS_BACKENDS, transposeArray } from './transpose-array.ts';

export const matMul = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [a, b, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
    gradFunc: (dy, [sa, sb]) => [
      tf.matMul(dy as tf.Tensor2D, tf.transpose(sb as tf.Tensor2D)),
      tf.matMul(transposeTall(sa as tf.Tensor2D), dy as tf.Tensor2D),
    ],
  };
}) as (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;

/**
 * tf.transpose of a [rows, cols] matrix; a tall one (the activations of a whole batch) is moved
 * in JavaScript on the synchronous backends, where wasm's transpose kernel costs ~6 ms for
 * [4096, 64] and a blocked copy well under one.
 */
function transposeTall(x: tf.Tensor2D): tf.Tensor2D {
  const [rows, cols] = x.shape;
  if (rows < 1024 || !JS_BACKENDS.has(tf.getBackend())) return tf.transpose(x);
  return tf.tensor2d(transposeArray(x.dataSync() as Float32Array, rows, cols), [cols, rows]);
}

/**
 * x + b for a bias row b, with b's gradient as ones·dy (a [1, rows]·[rows, n] matMul) instead of
 * tfjs's sum over the broadcast axis, which wasm runs as a transpose then a reduction.
 */
export const addBias = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, b] = args as [tf.Tensor2D, tf.Tensor1D];
  return {
    value: tf.add(x, b),
    gradFunc: (dy) => {
      const ones = tf.ones([1, x.shape[0]]) as tf.Tensor2D;
      return [dy, tf.reshape(tf.matMul(ones, dy as tf.Tensor2D), [b.shape[0]])];
    },
  };
}) as (x: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;

/** x·g + b for rows x and per-column g, b; g's and b's gradients as ones·(dy·x) and ones·dy (see addBias). */
export const scaleShift = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, g, b, save] = args as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
  save([x, g]);
  return {
    value: tf.add(tf.mul(x, g), b),
    gradFunc: (dy, [sx, sg]) => {
      const ones = tf.ones([1, x.shape[0]]) as tf.Tensor2D;
      const columnSum = (t: tf.Tensor) => tf.reshape(tf.matMul(ones, t as tf.Tensor2D), [g.shape[0]]);
      return [tf.mul(dy, sg), columnSum(tf.mul(dy, sx)), columnSum(dy)];
    },
  };
}) as (x: tf.Tensor2D, g: tf.Tensor1D, b: tf.Tensor1D) => tf.Tensor2D;
