// The matMuls with hand-written gradients: matMul's equal tf.matMul's up to summation order (on
// wasm tf.matMul's own gradient runs the transposed-operand kernels), constMatMul's equal
// matMul's exactly (the same kernel on the same values).
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { constMatMul, matMul, transposeArray } from '../src/policies/fast-matmul.ts';
import { Rng } from '../src/core/rng.ts';

const rng = new Rng('fast-matmul');
const random = (n: number) => Float32Array.from({ length: n }, () => rng.normal());

describe.each(['wasm', 'cpu'])('on %s', (backend) => {
  it('matMul and constMatMul: the value and weight gradient of tf.matMul; x is a constant', async () => {
    await tf.setBackend(backend);
    const [rows, inner, cols] = [67, 33, 9];
    const values = random(rows * inner);
    const x = tf.tensor2d(values, [rows, inner]);
    const w = tf.tensor2d(random(inner * cols), [inner, cols]);
    const r = tf.tensor2d(random(rows * cols), [rows, cols]);
    const loss = (mm: (w: tf.Tensor2D) => tf.Tensor2D) => (v: tf.Tensor) =>
      tf.sum(tf.mul(tf.square(mm(v as tf.Tensor2D)), r));
    const reference = tf.grad(loss((v) => tf.matMul(x, v)))(w).dataSync();
    const fast = tf.grad(loss((v) => matMul(x, v)))(w).dataSync();
    const scale = Math.max(...Array.from(reference, Math.abs)); // float32 sums of 67 terms: ~1e-6 relative
    fast.forEach((g, i) => expect(Math.abs(g - reference[i])).toBeLessThanOrEqual(1e-5 * scale));
    expect(tf.grad(loss((v) => constMatMul(x, values, v)))(w).dataSync()).toEqual(fast);
    expect(constMatMul(x, values, w).dataSync()).toEqual(tf.matMul(x, w).dataSync());
    const gradOfInput = tf.grad((a: tf.Tensor) => tf.sum(constMatMul(a as tf.Tensor2D, values, w)));
    expect(() => gradOfInput(x)).toThrow(/Cannot compute gradient/);
  });
});

it('transposeArray', () => {
  expect(Array.from(transposeArray(Float32Array.from([1, 2, 3, 4, 5, 6]), 2, 3))).toEqual([1, 4, 2, 5, 3, 6]);
  const big = random(70 * 45);
  const t = transposeArray(big, 70, 45);
  for (const [r, c] of [[0, 0], [69, 44], [33, 40], [64, 1]]) expect(t[c * 70 + r]).toBe(big[r * 45 + c]);
});
