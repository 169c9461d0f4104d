// The policy kernels with hand-written gradients (bias and gain gradients as ones·dy included). fast-matmul's equals
// tf.matMul's up to summation order
// (on wasm tf.matMul's own gradient runs the transposed-operand kernels). A policy's first layer
// (input-matmul): dense inputs give fast-matmul's value and gradient exactly; sparse inputs (at
// most two non-zeros a row, ones, as gridworld observations and one-hot tokens) give tf.matMul's
// value exactly and its gradient up to float32 summation order; the input never gets a gradient.
// inputLayer is inputMatMul then addBias exactly, values and gradients.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/base/rng.ts';
import { addBias, matMul, scaleShift } from '../../src/policies/fast-matmul.ts';
import { inputLayer, inputMatMul, sparseRows } from '../../src/policies/input-matmul.ts';
import { transposeArray } from '../../src/policies/transpose-array.ts';

const rng = new Rng('input-matmul');
const random = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
const [rows, inner, cols] = [67, 33, 9];

/** Two non-zeros per row, like a gridworld observation (agent cell, goal cell: ones). */
function observations(second = 1): Float32Array {
  const x = new Float32Array(rows * inner);
  for (let r = 0; r < rows; r++) {
    x[r * inner + rng.int(16)] = 1;
    x[r * inner + 16 + rng.int(16)] = r % 3 === 0 ? second : 1;
  }
  return x;
}

function closeTo(actual: Float32Array, expected: Float32Array) {
  const scale = Math.max(...Array.from(expected, Math.abs)); // float32 sums of 67 terms: ~1e-6 relative
  actual.forEach((g, i) => expect(Math.abs(g - expected[i])).toBeLessThanOrEqual(1e-5 * scale));
}

describe.each(['wasm', 'cpu'])('on %s', (backend) => {
  const w = () => tf.tensor2d(random(inner * cols), [inner, cols]);
  const r = () => tf.tensor2d(random(rows * cols), [rows, cols]);
  const grad = (mm: (w: tf.Tensor2D) => tf.Tensor2D, weights: tf.Tensor2D, weigh: tf.Tensor2D) =>
    tf
      .grad((v: tf.Tensor) => tf.sum(tf.mul(tf.square(mm(v as tf.Tensor2D)), weigh)))(weights)
      .dataSync() as Float32Array;

  it('fast-matmul: tf.matMul value, gradient up to summation order', async () => {
    await tf.setBackend(backend);
    const [x, weights, weigh] = [tf.tensor2d(random(rows * inner), [rows, inner]), w(), r()];
    expect(matMul(x, weights).dataSync()).toEqual(tf.matMul(x, weights).dataSync());
    closeTo(
      grad((v) => matMul(x, v), weights, weigh),
      grad((v) => tf.matMul(x, v), weights, weigh),
    );
  });

  it('addBias and scaleShift: tf.add / tf.mul values exactly, gradients up to summation order', async () => {
    await tf.setBackend(backend);
    const x = tf.tensor2d(random(rows * cols), [rows, cols]);
    const [g, b, weigh] = [tf.tensor1d(random(cols)), tf.tensor1d(random(cols)), r()];
    expect(addBias(x, b).dataSync()).toEqual(tf.add(x, b).dataSync());
    expect(scaleShift(x, g, b).dataSync()).toEqual(tf.add(tf.mul(x, g), b).dataSync());
    const loss = (f: (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.Tensor) =>
      tf.grads((a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => tf.sum(tf.mul(tf.square(f(a, c, d)), weigh)))([x, g, b]);
    const ours = loss((a, c, d) =>
      addBias(scaleShift(a as tf.Tensor2D, c as tf.Tensor1D, d as tf.Tensor1D), d as tf.Tensor1D),
    );
    const theirs = loss((a, c, d) => tf.add(tf.add(tf.mul(a, c), d), d));
    ours.forEach((t, i) => closeTo(t.dataSync() as Float32Array, theirs[i].dataSync() as Float32Array));
  });

  /** Values and gradients (w, b) of Σ layer(w, b)² · weigh. */
  const layerGrads = (
    layer: (w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D,
    w: tf.Tensor2D,
    b: tf.Tensor1D,
    weigh: tf.Tensor2D,
  ) => {
    const f = (a: tf.Tensor, c: tf.Tensor) =>
      tf.sum(tf.mul(tf.square(layer(a as tf.Tensor2D, c as tf.Tensor1D)), weigh));
    return [layer(w, b), ...tf.grads(f)([w, b])].map((t) => Array.from(t.dataSync()));
  };

  it('inputLayer: inputMatMul then addBias exactly, value and gradients, sparse or dense', async () => {
    await tf.setBackend(backend);
    for (const values of [observations(), random(rows * inner)]) {
      const [weights, bias, weigh] = [w(), tf.tensor1d(random(cols)), r()];
      const ours = layerGrads((v, c) => inputLayer(values, rows, inner, v, c), weights, bias, weigh);
      const theirs = layerGrads((v, c) => addBias(inputMatMul(values, rows, inner, v), c), weights, bias, weigh);
      expect(ours).toEqual(theirs);
    }
  });

  it('input-matmul, dense input: fast-matmul exactly', async () => {
    await tf.setBackend(backend);
    const values = random(rows * inner);
    const x = tf.tensor2d(values, [rows, inner]);
    const [weights, weigh] = [w(), r()];
    expect(sparseRows(values, rows, inner)).toBeNull();
    expect(inputMatMul(values, rows, inner, weights).dataSync()).toEqual(tf.matMul(x, weights).dataSync());
    expect(grad((v) => inputMatMul(values, rows, inner, v), weights, weigh)).toEqual(
      grad((v) => matMul(x, v), weights, weigh),
    );
  });

  it('input-matmul, sparse input: tf.matMul value exactly, gradient up to summation order; x is constant', async () => {
    await tf.setBackend(backend);
    const values = observations();
    const x = tf.tensor2d(values, [rows, inner]);
    const [weights, weigh] = [w(), r()];
    expect(sparseRows(values, rows, inner)).not.toBeNull();
    expect(inputMatMul(values, rows, inner, weights).dataSync()).toEqual(tf.matMul(x, weights).dataSync());
    closeTo(
      grad((v) => inputMatMul(values, rows, inner, v), weights, weigh),
      grad((v) => tf.matMul(x, v), weights, weigh),
    );
    // other values than ones: products round (the cpu backend sums them in doubles), so close only
    const scaled = observations(-2.5);
    const xs = tf.tensor2d(scaled, [rows, inner]);
    closeTo(
      inputMatMul(scaled, rows, inner, weights).dataSync() as Float32Array,
      tf.matMul(xs, weights).dataSync() as Float32Array,
    );
    const ofInput = tf.grad((a: tf.Tensor) => tf.sum(inputMatMul(a.dataSync() as Float32Array, rows, inner, weights)));
    expect(() => ofInput(x)).toThrow(/Cannot compute gradient/);
  });
});

it('transposeArray', () => {
  expect(Array.from(transposeArray(Float32Array.from([1, 2, 3, 4, 5, 6]), 2, 3))).toEqual([1, 4, 2, 5, 3, 6]);
  const big = random(70 * 45);
  const t = transposeArray(big, 70, 45);
  for (const [r, c] of [
    [0, 0],
    [69, 44],
    [33, 40],
    [64, 1],
  ])
    expect(t[c * 70 + r]).toBe(big[r * 45 + c]);
});

describe('sparseRows: the CSR of an entry-by-entry scan', () => {
  /** The reference: every entry in order, −0 a zero, null once the limit would be passed. */
  function naive(values: Float32Array, nRows: number, nCols: number, maxDensity: number) {
    const limit = Math.floor(maxDensity * values.length);
    const start = [0];
    const col: number[] = [];
    const value: number[] = [];
    for (let r = 0; r < nRows; r++) {
      for (let c = 0; c < nCols; c++) {
        const v = values[r * nCols + c];
        if (v === 0) continue;
        if (col.length === limit) return null;
        col.push(c);
        value.push(v);
      }
      start.push(col.length);
    }
    return { start, col, value };
  }

  it('agrees on rows of 1–13 columns (blocks of four and a tail), −0, NaN and the density limit', () => {
    const scan = new Rng('scan');
    for (let trial = 0; trial < 200; trial++) {
      const [nRows, nCols] = [1 + scan.int(9), 1 + scan.int(13)];
      const values = new Float32Array(nRows * nCols);
      for (let i = 0; i < values.length; i++) {
        const u = scan.next();
        values[i] = u < 0.15 ? 1 : u < 0.2 ? -0 : u < 0.22 ? Number.NaN : u < 0.25 ? scan.normal() : 0;
      }
      const density = [0.05, 0.125, 0.3, 1][trial % 4];
      const want = naive(values, nRows, nCols, density);
      const got = sparseRows(values, nRows, nCols, density);
      if (want === null) expect(got).toBeNull();
      else {
        expect(got).not.toBeNull();
        expect(Array.from(got!.start)).toEqual(want.start);
        expect(Array.from(got!.col)).toEqual(want.col);
        expect(Array.from(got!.value)).toEqual(want.value.map((v) => Math.fround(v)));
      }
    }
  });
});
