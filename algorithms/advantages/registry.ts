// The advantage estimators `grpo.adv_estimator` can name, in the order `entrolab list` shows them,
// and the one entry point the trainer and `entrolab loss` call (docs/advantages.md).
import { UserError } from '../../src/base/errors.ts';
import type { AdvantageEstimator, AdvantageInputs, AdvantageSettings } from './estimator.ts';
import { gpgEstimator } from './gpg.ts';
import { grpoEstimator } from './grpo.ts';
import { grpoPasskEstimator } from './grpo-passk.ts';
import { opoEstimator } from './opo.ts';
import { optimalTokenBaselineEstimator, tirOptimalTokenBaselineEstimator } from './optimal-token-baseline.ts';
import { reinforcePlusPlusEstimator } from './reinforce-plus-plus.ts';
import { reinforcePlusPlusBaselineEstimator } from './reinforce-plus-plus-baseline.ts';
import { remaxEstimator } from './remax.ts';
import { rlooEstimator, rlooVectorizedEstimator } from './rloo.ts';

/** The estimators in `entrolab list` order. */
export const ESTIMATOR_LIST = [
  grpoEstimator,
  rlooEstimator,
  rlooVectorizedEstimator,
  reinforcePlusPlusEstimator,
  reinforcePlusPlusBaselineEstimator,
  opoEstimator,
  gpgEstimator,
  grpoPasskEstimator,
  optimalTokenBaselineEstimator,
  tirOptimalTokenBaselineEstimator,
  remaxEstimator,
] as const;

export type AdvEstimatorName = (typeof ESTIMATOR_LIST)[number]['name'];

/** Every estimator's name, `grpo` first (the config schema's enum). */
export const ADV_ESTIMATOR_NAMES = ESTIMATOR_LIST.map((e) => e.name) as [AdvEstimatorName, ...AdvEstimatorName[]];

/** name → estimator. */
export const ADV_ESTIMATORS: Readonly<Record<AdvEstimatorName, AdvantageEstimator>> = Object.fromEntries(
  ESTIMATOR_LIST.map((e): [string, AdvantageEstimator] => [e.name, e]),
) as unknown as Record<AdvEstimatorName, AdvantageEstimator>;

/** Per-token advantages [rows*width] of `name` over the whole batch (step 3 of a training step). */
export function computeAdvantages(
  name: AdvEstimatorName,
  inputs: AdvantageInputs,
  settings: AdvantageSettings,
): Float32Array {
  const estimator = ADV_ESTIMATORS[name];
  if (!estimator)
    throw new UserError(`unknown advantage estimator '${name}' (one of ${ADV_ESTIMATOR_NAMES.join(', ')})`);
  return estimator.compute(inputs, settings);
}

/** adv/mean, adv/abs_mean, adv/frac_zero (share of valid tokens with A = 0), adv/max, adv/min over valid tokens. */
export function advantageMetrics(advantages: ArrayLike<number>, mask: ArrayLike<number>): Record<string, number> {
  let n = 0;
  let sum = 0;
  let abs = 0;
  let zero = 0;
  let max = -Infinity;
  let min = Infinity;
  for (let k = 0; k < mask.length; k++) {
    if (!mask[k]) continue;
    const a = advantages[k];
    n += 1;
    sum += a;
    abs += Math.abs(a);
    if (a === 0) zero += 1;
    max = Math.max(max, a);
    min = Math.min(min, a);
  }
  if (n === 0) return { 'adv/mean': 0, 'adv/abs_mean': 0, 'adv/frac_zero': 0, 'adv/max': 0, 'adv/min': 0 };
  return { 'adv/mean': sum / n, 'adv/abs_mean': abs / n, 'adv/frac_zero': zero / n, 'adv/max': max, 'adv/min': min };
}
