// The entropy of a slot's nucleus (top-p set) as SIREN's code computes it (Linn3a/siren
// `dp_actor.py::efficient_top_p_sampling`): sort the top-k probabilities, cumulative sums c_i, and
// keep the j = #{i : c_i < p_top} most likely tokens — the token whose cumulative sum crosses p_top
// is *excluded* (`exclusive`, the code) or kept (`inclusive`, the usual top-p). Renormalised,
// q = p·1_nucleus / (Σ p·1_nucleus + 1e-12), H^p = −Σ q·log(q + 1e-12). So H^p = 0 whenever the
// nucleus has at most one token (p_1 ≥ p_top, or p_1 + p_2 ≥ p_top). The membership is fixed (from
// detached values); the gradient flows through p.
import * as tf from '@tensorflow/tfjs';

export type NucleusRule = 'exclusive' | 'inclusive';

export interface NucleusOptions {
  topP: number;
  /** k of the top-k before the cut; min(k, numActions) is used. */
  topK: number;
  rule: NucleusRule;
}

/**
 * The nucleus of every slot of a [slots*numActions] log-distribution: a 0/1 membership of the same
 * shape and each slot's size. Cumulative sums in float32, as the code's torch.cumsum.
 */
export function nucleusMembership(
  logPolicy: ArrayLike<number>,
  numActions: number,
  opts: NucleusOptions,
): { membership: Float32Array; sizes: Int32Array } {
  const slots = logPolicy.length / numActions;
  const membership = new Float32Array(logPolicy.length);
  const sizes = new Int32Array(slots);
  const k = Math.min(opts.topK, numActions);
  const topP = Math.fround(opts.topP);
  const order = Array.from({ length: numActions }, (_, v) => v);
  for (let s = 0; s < slots; s++) {
    const base = s * numActions;
    const p = (v: number) => Math.fround(Math.exp(logPolicy[base + v]));
    order.sort((a, b) => p(b) - p(a) || a - b);
    let cumulative = 0;
    let below = 0;
    for (let i = 0; i < k; i++) {
      cumulative = Math.fround(cumulative + p(order[i]));
      if (cumulative < topP) below += 1;
      else break;
    }
    const size = opts.rule === 'exclusive' ? below : Math.min(k, below + 1);
    for (let i = 0; i < size; i++) membership[base + order[i]] = 1;
    sizes[s] = size;
  }
  return { membership, sizes };
}

/**
 * H^p per slot from detached values, in float32 as the code computes it (so a one-token nucleus
 * gives exactly 0: q = 1 and log(1 + 1e-12) = 0 in float32), for selections and metrics.
 */
export function nucleusEntropyValues(
  logPolicy: ArrayLike<number>,
  membership: Float32Array,
  numActions: number,
): Float32Array {
  const f32 = Math.fround;
  const slots = logPolicy.length / numActions;
  const out = new Float32Array(slots);
  for (let s = 0; s < slots; s++) {
    const base = s * numActions;
    let mass = 0;
    for (let v = 0; v < numActions; v++)
      if (membership[base + v]) mass = f32(mass + f32(Math.exp(logPolicy[base + v])));
    const norm = f32(mass + 1e-12);
    let h = 0;
    for (let v = 0; v < numActions; v++) {
      if (!membership[base + v]) continue;
      const q = f32(f32(Math.exp(logPolicy[base + v])) / norm);
      h = f32(h - f32(q * f32(Math.log(f32(q + 1e-12)))));
    }
    out[s] = h;
  }
  return out;
}

/** H^p per slot as a tensor with gradient through the taped log-distribution [slots, numActions]. */
export function nucleusEntropy(logPolicy: tf.Tensor2D, membership: Float32Array): tf.Tensor1D {
  return tf.tidy(() => {
    const inNucleus = tf.mul(tf.exp(logPolicy), tf.tensor2d(membership, logPolicy.shape));
    const q = tf.div(inNucleus, tf.add(tf.sum(inNucleus, 1, true), 1e-12));
    return tf.neg(tf.sum(tf.mul(q, tf.log(tf.add(q, 1e-12))), 1)) as tf.Tensor1D;
  });
}
