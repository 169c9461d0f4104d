// Adam in JavaScript equals the same update written with tfjs element-wise ops, bit for bit, on
// wasm and cpu, over many steps; its state (plain arrays) round-trips through the checkpoint's encoding.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/base/rng.ts';
import { Adam } from '../../src/core/adam.ts';
import { decodeOptimizerState, encodeOptimizerState } from '../../src/run/checkpoint.ts';

const CONFIG = { lr: 3e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 };

/** The update as tensor ops (what the trainer ran before Adam moved to JavaScript). */
function tensorAdam(vars: tf.Variable[]) {
  const m = vars.map((x) => tf.variable(tf.zerosLike(x), false));
  const v = vars.map((x) => tf.variable(tf.zerosLike(x), false));
  let step = 0;
  return (grads: tf.Tensor[], lr = CONFIG.lr) => {
    const { beta1, beta2, eps } = CONFIG;
    step += 1;
    const c1 = 1 - beta1 ** step;
    const c2 = 1 - beta2 ** step;
    tf.tidy(() =>
      grads.forEach((g, i) => {
        const mi = tf.add(tf.mul(m[i], beta1), tf.mul(g, 1 - beta1));
        const vi = tf.add(tf.mul(v[i], beta2), tf.mul(tf.square(g), 1 - beta2));
        m[i].assign(mi);
        v[i].assign(vi);
        const update = tf.div(tf.div(mi, c1), tf.add(tf.sqrt(tf.div(vi, c2)), eps));
        vars[i].assign(tf.sub(vars[i], tf.mul(update, lr)));
      }),
    );
  };
}

describe.each(['wasm', 'cpu'])('Adam on %s', (backend) => {
  it('equals the tensor-op update bit for bit over 60 steps, and resumes from its state', async () => {
    await tf.setBackend(backend);
    const rng = new Rng('adam');
    const shapes = [[7, 5], [5], [3, 4]];
    const init = shapes.map((s) => Float32Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => rng.normal()));
    const ours = shapes.map((s, i) => tf.variable(tf.tensor(init[i], s)));
    const theirs = shapes.map((s, i) => tf.variable(tf.tensor(init[i], s)));
    const adam = new Adam(ours, CONFIG);
    const reference = tensorAdam(theirs);
    let resumed: Adam | undefined;
    const copies = shapes.map((s, i) => tf.variable(tf.tensor(init[i], s)));
    for (let step = 0; step < 60; step++) {
      // gradients over many magnitudes, some exactly zero
      const draw = () => (rng.next() < 0.1 ? 0 : rng.normal() * 10 ** (4 * rng.next() - 3));
      const grads = shapes.map((s) => tf.tensor(Float32Array.from({ length: s.reduce((a, b) => a * b, 1) }, draw), s));
      const lr = step === 30 ? 1e-4 : CONFIG.lr;
      adam.apply(grads, lr);
      reference(grads, lr);
      if (step === 20) {
        copies.forEach((c, i) => c.assign(ours[i]));
        resumed = new Adam(copies, CONFIG);
        const saved = JSON.parse(JSON.stringify(encodeOptimizerState(adam.getState(), ours)));
        resumed.setState(decodeOptimizerState(saved, copies));
      } else if (resumed) resumed.apply(grads, lr);
      grads.forEach((g) => g.dispose());
    }
    ours.forEach((x, i) => expect(x.dataSync()).toEqual(theirs[i].dataSync()));
    copies.forEach((x, i) => expect(x.dataSync()).toEqual(ours[i].dataSync()));
    expect(adam.steps).toBe(60);
    expect(resumed!.steps).toBe(60);
  });
});

describe('Adam state', () => {
  it('is a copy in plain arrays; moments that do not fit the variables are refused', () => {
    const vars = [tf.variable(tf.zeros([2, 3])), tf.variable(tf.zeros([4]))];
    const adam = new Adam(vars, CONFIG);
    const grads = [tf.ones([2, 3]), tf.ones([4])];
    adam.apply(grads);
    const state = adam.getState();
    expect(state.step).toBe(1);
    expect(state.m.map((a) => a.length)).toEqual([6, 4]);
    // m = (1 − β1)·g after one step
    expect(state.m[1][0]).toBe(Math.fround(Math.fround(1 - CONFIG.beta1)));
    state.m[0].fill(99);
    expect(adam.getState().m[0][0]).not.toBe(99);
    expect(() => adam.setState({ ...state, m: [state.m[0]] })).toThrow(/do not fit/);
    expect(() => adam.setState({ ...state, v: [state.v[0], new Float32Array(3)] })).toThrow(/do not fit/);
    grads.forEach((g) => g.dispose());
    vars.forEach((v) => v.dispose());
  });
});
