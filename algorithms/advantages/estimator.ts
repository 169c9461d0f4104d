// The advantage-estimator contract (docs/advantages.md): step 3 of a training step turns per-row
// rewards into per-token advantages [rows*width] over the whole batch, once per step, as verl's
// compute_advantage does. Each estimator is one file in this folder; registry.ts lists them.
import type { Batch } from '../../src/base/batch.ts';

/** What an estimator reads from a batch (`entrolab loss` builds the same fields from its JSON). */
export type AdvantageInputs = Pick<
  Batch,
  'rows' | 'width' | 'mask' | 'reward' | 'groupId' | 'oldLogProbs' | 'oldLogPolicy' | 'numActions'
> & {
  /** ReMax's baseline: the reward of a greedy response to each row's prompt, per row. */
  greedyReward?: ArrayLike<number>;
};

/** The `grpo.*` settings estimators read (src/core/advantages.ts maps the config onto them). */
export interface AdvantageSettings {
  /** grpo.norm_adv_by_std: divide by the group's unbiased std (grpo, grpo_passk). */
  normAdvByStd: boolean;
  /** grpo.epsilon: added to the group std. */
  epsilon: number;
  /** grpo.gamma: discount of the reward-to-go (reinforce_plus_plus). */
  gamma: number;
  /** grpo.quantile_k: QAE's baseline quantile, active when 0 < K < 1 (grpo only). */
  quantileK: number;
  /** grpo.otb: the optimal token baseline's tail rule and denominator ε. */
  otb: { handleZeroTail: boolean; epsilon: number };
}

export interface AdvantageEstimator<N extends string = string> {
  /** The `grpo.adv_estimator` value. */
  readonly name: N;
  /** One line for `entrolab list`. */
  readonly summary: string;
  /** The `grpo.*` keys it reads besides `adv_estimator` (shown by `entrolab list`). */
  readonly keys: readonly string[];
  /** Batch data it needs beyond rewards, groups and mask: `oldLogPolicy` (Σπ²), `greedyReward` (a greedy rollout). */
  readonly needs?: readonly ('oldLogPolicy' | 'greedyReward')[];
  /** Per-token advantages [rows*width], 0 on masked slots; throws a UserError for inputs it cannot handle. */
  compute(inputs: AdvantageInputs, settings: AdvantageSettings): Float32Array;
}
