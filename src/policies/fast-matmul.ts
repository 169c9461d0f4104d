// 2-D matMul whose gradient transposes explicitly: on wasm the transposed-matMul kernels that
// tfjs-core's own gradient uses are 6–8× slower than a plain matMul (docs/tfjs-notes.md "Speed on wasm").
// Gradients are identical to tf.matMul's. A policy's first layer, whose input is a constant,
// takes input-matmul.ts instead.
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
