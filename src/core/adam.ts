// Adam with its state in plain view: first/second moments per variable and the step count, with
// the bias corrections computed in doubles from the step count. A resumed run therefore continues
// bit-for-bit (tf.train.adam rebuilds its β-powers differently after setWeights).
import * as tf from '@tensorflow/tfjs';
import type { OptimConfig } from '../config/schema.ts';
import { assignTensors, encodeTensors, type OptimizerState } from '../run/checkpoint.ts';

export class Adam {
  private step = 0;
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];

  constructor(
    private readonly variables: readonly tf.Variable[],
    private readonly config: Pick<OptimConfig, 'lr' | 'beta1' | 'beta2' | 'eps'>,
  ) {
    this.m = variables.map((x) => tf.variable(tf.zerosLike(x), false));
    this.v = variables.map((x) => tf.variable(tf.zerosLike(x), false));
  }

  get steps(): number {
    return this.step;
  }

  /** θ ← θ − lr · m̂ / (√v̂ + ε), gradients in the same order as the variables. */
  apply(grads: readonly tf.Tensor[], lr = this.config.lr): void {
    const { beta1, beta2, eps } = this.config;
    this.step += 1;
    const c1 = 1 - beta1 ** this.step;
    const c2 = 1 - beta2 ** this.step;
    tf.tidy(() => {
      grads.forEach((g, i) => {
        const m = tf.add(tf.mul(this.m[i], beta1), tf.mul(g, 1 - beta1));
        const v = tf.add(tf.mul(this.v[i], beta2), tf.mul(tf.square(g), 1 - beta2));
        this.m[i].assign(m);
        this.v[i].assign(v);
        const update = tf.div(tf.div(m, c1), tf.add(tf.sqrt(tf.div(v, c2)), eps));
        this.variables[i].assign(tf.sub(this.variables[i], tf.mul(update, lr)));
      });
    });
  }

  getState(): OptimizerState {
    return { step: this.step, m: encodeTensors(this.m), v: encodeTensors(this.v) };
  }

  setState(state: OptimizerState): void {
    this.step = state.step;
    assignTensors(this.m, state.m, 'optimizer first moments');
    assignTensors(this.v, state.v, 'optimizer second moments');
  }

  dispose(): void {
    [...this.m, ...this.v].forEach((x) => x.dispose());
  }
}
