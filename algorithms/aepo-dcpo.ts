// DCPO, AEPO's rollout-free variant (`aepo.mode: is`; docs/aepo-epo-steer.md; the DCPO branch of
// `597358816/AEPO` `verl/trainer/ray_trainer.py::fit`): instead of extra
// rollouts at T, reweight the main batch's correct rows by the importance ratio
// ρ_t = π_old^T(o_t)/π_old(o_t) and mix them into the advantage:
//   α = min(|H* − H|, 0.1)/p_corr, α ← α/(1+α),  A'_t = (1 − α)·A_t + α·b_i·ρ_t
import type { Batch } from '../src/base/batch.ts';
import { UserError } from '../src/base/errors.ts';
import { logSoftmaxAt } from '../src/base/numerics.ts';

/**
 * log π_old^T(a) − log π_old(a) per slot from the stored log-distribution at the row's sampling
 * temperature T_row: the logits are lp·T_row up to a per-slot constant, so π^T = softmax(lp·T_row/T).
 */
export function temperatureLogRatio(batch: Batch, temperature: number): Float32Array {
  if (!batch.oldLogPolicy)
    throw new UserError("mode is needs the old policy's full distribution (batch.oldLogPolicy)", 'aepo.mode');
  const { width, numActions: V } = batch;
  const out = new Float32Array(batch.mask.length);
  const scaled = new Float64Array(V);
  for (let i = 0; i < out.length; i++) {
    if (!batch.mask[i]) continue;
    const scale = batch.temperature[Math.floor(i / width)] / temperature;
    for (let v = 0; v < V; v++) scaled[v] = batch.oldLogPolicy[i * V + v] * scale;
    const a = batch.actions[i];
    // the scaled row at temperature 1 (x / 1 is exact): log softmax(lp·T_row/T)[a] − lp[a]
    out[i] = logSoftmaxAt(scaled, 0, V, 1, a) - batch.oldLogPolicy[i * V + a];
  }
  return out;
}

/** The mixing weight: α = min(|δ|, 0.1)/p_corr, then α/(1+α); 0 when no row is correct. */
export function dcpoAlpha(targetEntropy: number, entropy: number, correctFraction: number): number {
  if (correctFraction <= 0) return 0;
  const a = Math.min(Math.abs(targetEntropy - entropy), 0.1) / correctFraction;
  return a / (1 + a);
}

/** A'_t = (1 − α)·A_t + α·b_i·ρ_t with b_i = 1 when the row's reward is above `threshold`. Returns α. */
export function dcpoAdvantages(
  batch: Batch,
  temperature: number,
  targetEntropy: number,
  entropy: number,
  threshold: number,
): number {
  let correct = 0;
  for (let r = 0; r < batch.rows; r++) if (batch.reward[r] > threshold) correct += 1;
  const alpha = dcpoAlpha(targetEntropy, entropy, batch.rows > 0 ? correct / batch.rows : 0);
  const logRatio = temperatureLogRatio(batch, temperature);
  for (let i = 0; i < batch.mask.length; i++) {
    if (!batch.mask[i]) continue;
    const b = batch.reward[Math.floor(i / batch.width)] > threshold ? 1 : 0;
    batch.advantages[i] = (1 - alpha) * batch.advantages[i] + alpha * b * Math.exp(logRatio[i]);
  }
  return alpha;
}
