// Adam with its state in plain view: first/second moments per variable and the step count, with
// the bias corrections computed in doubles from the step count. A resumed run therefore continues
// bit-for-bit (tf.train.adam rebuilds its β-powers differently after setWeights).
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../base/errors.ts';
import type { OptimConfig } from '../config/schema.ts';

/** Adam's whole state as plain arrays, one moment array per variable (the checkpoint encodes it). */
export interface AdamState {
  step: number;
  m: Float32Array[];
  v: Float32Array[];
}

export class Adam {
  private step = 0;
  private readonly m: Float32Array[];
  private readonly v: Float32Array[];

  constructor(
    private readonly variables: readonly tf.Variable[],
    private readonly config: Pick<OptimConfig, 'lr' | 'beta1' | 'beta2' | 'eps'>,
  ) {
    this.m = variables.map((x) => new Float32Array(x.size));
    this.v = variables.map((x) => new Float32Array(x.size));
  }

  get steps(): number {
    return this.step;
  }

  /**
   * θ ← θ − lr · m̂ / (√v̂ + ε), gradients in the same order as the variables. Computed here in
   * JavaScript, rounding every operation to float32 in the order tfjs's element-wise kernels would
   * (so the result is bit for bit theirs), because at these sizes a dozen tensor ops per variable
   * cost far more in dispatch than the arithmetic: one read and one write per variable instead.
   */
  apply(grads: readonly tf.Tensor[], lr = this.config.lr): void {
    const f = Math.fround;
    this.step += 1;
    const b1 = f(this.config.beta1);
    const b2 = f(this.config.beta2);
    const a1 = f(1 - this.config.beta1);
    const a2 = f(1 - this.config.beta2);
    const c1 = f(1 - this.config.beta1 ** this.step);
    const c2 = f(1 - this.config.beta2 ** this.step);
    const eps = f(this.config.eps);
    const rate = f(lr);
    grads.forEach((grad, i) => {
      const g = grad.dataSync() as Float32Array;
      const theta = Float32Array.from(this.variables[i].dataSync() as Float32Array);
      const m = this.m[i];
      const v = this.v[i];
      for (let j = 0; j < g.length; j++) {
        m[j] = f(f(m[j] * b1) + f(g[j] * a1));
        v[j] = f(f(v[j] * b2) + f(f(g[j] * g[j]) * a2));
        const update = f(f(m[j] / c1) / f(f(Math.sqrt(f(v[j] / c2))) + eps));
        theta[j] = f(theta[j] - f(update * rate));
      }
      const next = tf.tensor(theta, this.variables[i].shape);
      this.variables[i].assign(next);
      next.dispose(); // the variable holds its own reference to the data
    });
  }

  /** A copy of the state. */
  getState(): AdamState {
    return { step: this.step, m: this.m.map((a) => a.slice()), v: this.v.map((a) => a.slice()) };
  }

  /** Continue from a saved state; refuses moments whose count or sizes do not fit the variables. */
  setState(state: AdamState): void {
    const fits = (moments: readonly Float32Array[]) =>
      moments.length === this.variables.length && moments.every((a, i) => a.length === this.variables[i].size);
    if (!fits(state.m) || !fits(state.v))
      throw new UserError("optimizer state: the saved moments do not fit the model's variables");
    this.step = state.step;
    state.m.forEach((a, i) => this.m[i].set(a));
    state.v.forEach((a, i) => this.v[i].set(a));
  }

  dispose(): void {
    // the moments are plain arrays: nothing to free
  }
}
