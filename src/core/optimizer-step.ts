// One optimizer step, shared by the GRPO update and SFT: gradients of a loss, the global gradient
// norm, a finiteness check, clipping to `gradClip`, Adam, and disposal of every tensor it made.
import * as tf from '@tensorflow/tfjs';
import type { Adam } from './adam.ts';

export interface OptimizerStepResult {
  loss: number;
  /** Global L2 norm of the gradient before clipping. */
  gradNorm: number;
}

/** √Σ‖g‖², summed in float32 on the backend, the root taken in doubles. */
export function globalNorm(grads: readonly tf.Tensor[]): number {
  const sq = tf.tidy(() => tf.addN(grads.map((g) => tf.sum(tf.square(g)))));
  const value = Math.sqrt(sq.dataSync()[0]);
  sq.dispose();
  return value;
}

/**
 * Minimise `lossFn` over `variables` by one Adam step, the gradient scaled to norm `gradClip` when
 * longer (0 = no clipping). A non-finite loss or gradient applies nothing and throws `notFinite`'s error.
 */
export function optimizerStep(
  optimizer: Adam,
  variables: readonly tf.Variable[],
  lossFn: () => tf.Scalar,
  gradClip: number,
  notFinite: (loss: number, gradNorm: number) => Error,
): OptimizerStepResult {
  const { value, grads } = tf.variableGrads(lossFn, variables as tf.Variable[]);
  const ordered = variables.map((v) => grads[v.name]);
  try {
    const loss = value.dataSync()[0];
    const gradNorm = globalNorm(ordered);
    if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) throw notFinite(loss, gradNorm);
    const scale = gradClip > 0 && gradNorm > gradClip ? gradClip / gradNorm : 1;
    if (scale !== 1) {
      const clipped = tf.tidy(() => ordered.map((g) => tf.mul(g, scale)));
      optimizer.apply(clipped);
      clipped.forEach((g) => g.dispose());
    } else {
      optimizer.apply(ordered);
    }
    return { loss, gradNorm };
  } finally {
    value.dispose();
    Object.values(grads).forEach((g) => g.dispose());
  }
}
