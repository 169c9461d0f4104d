// Step 6 of a training step: does the Entropy Mechanism identity hold in this run?
// docs/grpo.md "Entropy dynamics": for a softmax policy,
// H(z + Δz) − H(z) = −Cov_{a∼π}(log π(a), Δz_a) + O(|Δz|²).
// We measure the logit change Δz of the actual update on the same states (log-softmax differences
// differ from logit differences by a per-state constant, which leaves the covariance unchanged).
import { centredCovariance } from '../../algorithms/token-covariance.ts';
import { logPolicyEntropy } from '../base/numerics.ts';

export interface EntropyChange {
  /** Token-mean of H_after − H_before over valid slots. */
  measured: number;
  /** Token-mean of −Cov_{a∼π_before}(log π_before(a), Δlog π(a)). */
  predicted: number;
}

export function entropyChange(
  logPolicyBefore: Float32Array,
  logPolicyAfter: Float32Array,
  mask: Float32Array,
  numActions: number,
): EntropyChange {
  let measured = 0;
  let predicted = 0;
  let n = 0;
  for (let s = 0; s < mask.length; s++) {
    if (!mask[s]) continue;
    const o = s * numActions;
    let meanLog = 0;
    let meanDelta = 0;
    for (let a = 0; a < numActions; a++) {
      const p = Math.exp(logPolicyBefore[o + a]);
      meanLog += p * logPolicyBefore[o + a];
      meanDelta += p * (logPolicyAfter[o + a] - logPolicyBefore[o + a]);
    }
    let cov = 0;
    for (let a = 0; a < numActions; a++) {
      const p = Math.exp(logPolicyBefore[o + a]);
      cov += p * (logPolicyBefore[o + a] - meanLog) * (logPolicyAfter[o + a] - logPolicyBefore[o + a] - meanDelta);
    }
    measured += logPolicyEntropy(logPolicyAfter, o, numActions) - logPolicyEntropy(logPolicyBefore, o, numActions);
    predicted -= cov;
    n += 1;
  }
  return n ? { measured: measured / n, predicted: predicted / n } : { measured: 0, predicted: 0 };
}

/** Batch covariance mean_valid[(lp − mean lp)(A − mean A)] (docs/grpo.md "Entropy dynamics"). */
export function logProbAdvantageCovariance(
  logProbs: ArrayLike<number>,
  advantages: ArrayLike<number>,
  mask: ArrayLike<number>,
): number {
  return centredCovariance(advantages, logProbs, mask).mean;
}
