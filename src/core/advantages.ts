// Step 3b of a training step: per-token advantages from the (shaped) per-row rewards with the
// configured estimator (grpo.adv_estimator, docs/advantages.md), over the whole batch once per step,
// and their adv/* metrics. `entrolab loss` calls the same function on a JSON batch.

import type { AdvantageInputs, AdvantageSettings } from '../../algorithms/advantages/estimator.ts';
import { quantileActive } from '../../algorithms/advantages/grpo.ts';
import { type AdvEstimatorName, advantageMetrics, computeAdvantages } from '../../algorithms/advantages/registry.ts';
import type { Metrics } from '../../algorithms/regularizer.ts';
import type { GrpoConfig } from '../config/schema.ts';

/** The estimator settings of a config's grpo block. */
export function advantageSettings(grpo: GrpoConfig): AdvantageSettings {
  return {
    normAdvByStd: grpo.norm_adv_by_std,
    epsilon: grpo.epsilon,
    gamma: grpo.gamma,
    quantileK: grpo.quantile_k,
    otb: { handleZeroTail: grpo.otb.handle_zero_tail, epsilon: grpo.otb.epsilon },
  };
}

/** Per-token advantages [rows*width] of the configured estimator. */
export function estimateAdvantages(inputs: AdvantageInputs, grpo: GrpoConfig): Float32Array {
  return computeAdvantages(grpo.adv_estimator as AdvEstimatorName, inputs, advantageSettings(grpo));
}

/**
 * adv/* over the valid tokens of the given rows' advantages, and with QAE on, qae/frac_zero_adv: the
 * share of rows whose advantage is 0 (the QAE README reports ≈ 80 %).
 */
export function estimatorMetrics(
  advantages: Float32Array,
  mask: Float32Array,
  rows: number,
  width: number,
  grpo: GrpoConfig,
): Metrics {
  const out: Metrics = advantageMetrics(advantages, mask);
  if (quantileActive(grpo.quantile_k)) {
    let zero = 0;
    for (let i = 0; i < rows; i++) {
      let allZero = true;
      for (let t = 0; t < width; t++) if (advantages[i * width + t] !== 0) allZero = false;
      if (allZero) zero += 1;
    }
    out['qae/frac_zero_adv'] = rows > 0 ? zero / rows : 0;
  }
  return out;
}
