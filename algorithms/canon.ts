// CANON with entropy as the metric ("Conditional Advantage Estimation for Reinforcement Learning in
// Large Reasoning Models", arXiv 2509.23962; code: biuboomc/CANON
// `core_algos.compute_dr_entropy_per_token_group_outcome_advantage`). Each prompt's responses are
// split at the median of their mean token entropy; a response is scored against the other half
// (inter-group, weight μ) and against its own half (intra-group, weight 1 − μ). μ = ½ is Dr.GRPO.
// An advantage rewrite only (prepareBatch); the loss is unchanged.
// Formulas in words: docs/entropy-clip-canon-balanced.md.
import { z } from 'zod';
import type { Batch } from '../src/base/batch.ts';
import { mean } from '../src/base/numerics.ts';
import { defineRegularizer, type Metrics, type Regularizer, type Reported, type StepInfo } from './regularizer.ts';

export const canonSchema = z
  .object({
    /** μ: weight of the inter-group term (1 = compare only with the other half, as the authors' runs). */
    mu: z.number().min(0).max(1).default(1),
    /** α: scales the other half's mean reward for the High half and the response's own reward for the Low half. */
    alpha: z.number().default(1),
    /** β: bonus added to High responses and taken from Low ones in the inter term. */
    beta: z.number().default(0),
    /** entropy: split by mean old-policy token entropy; random: by row order (a control). */
    metric: z.enum(['entropy', 'random']).default('entropy'),
    /** const: μ as given; anneal: μ_t = batch mean reward; cosine_restart(_r): the code's fixed cosine schedules. */
    schedule: z.enum(['const', 'anneal', 'cosine_restart', 'cosine_restart_r']).default('const'),
  })
  .strict();
export type CanonConfig = z.infer<typeof canonSchema>;

// ---------------------------------------------------------------------------------------------
// Advantages (doubles, no gradient)

/** Mean of the per-token values over each row's valid tokens (sum / count; 0 for an empty row). */
export function rowMeans(
  values: ArrayLike<number>,
  mask: ArrayLike<number>,
  rows: number,
  width: number,
): Float64Array {
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    let count = 0;
    for (let t = 0; t < width; t++) {
      const m = mask[r * width + t];
      sum += values[r * width + t] * m;
      count += m;
    }
    out[r] = count > 0 ? sum / count : 0;
  }
  return out;
}

export interface CanonGroupStats {
  /** Rows of the group in the High (higher-metric) half, the Low half. */
  high: number[];
  low: number[];
  /** Mean reward of each half (both 0 for a singleton group, as the code). */
  highMean: number;
  lowMean: number;
}

export interface CanonResult {
  /** Per-row advantages; rows left out (`include` false) keep NaN. */
  advantages: Float64Array;
  groups: CanonGroupStats[];
}

export interface CanonWeights {
  mu: number;
  alpha: number;
  beta: number;
}

/**
 * Per group: sort by (metric, row index) ascending; the first ⌊n/2⌋ rows are Low, the rest High.
 * High: A = μ·(r − α·r̄_L + β) + (1 − μ)·(r − r̄_H); Low: A = μ·(α·r − r̄_H − β) + (1 − μ)·(r − r̄_L).
 * No std normalisation; the code's length normaliser is 1 here (the loss aggregation is separate).
 */
export function canonAdvantages(
  rewards: ArrayLike<number>,
  groupIds: ArrayLike<number>,
  metric: ArrayLike<number>,
  w: CanonWeights,
  include: (row: number) => boolean = () => true,
): CanonResult {
  const members = new Map<number, number[]>();
  for (let i = 0; i < rewards.length; i++) {
    if (!include(i)) continue;
    const list = members.get(groupIds[i]);
    if (list) list.push(i);
    else members.set(groupIds[i], [i]);
  }
  const advantages = new Float64Array(rewards.length).fill(Number.NaN);
  const groups: CanonGroupStats[] = [];
  const meanReward = (rows: number[]) => mean(rows.map((i) => rewards[i]));
  for (const rows of members.values()) {
    const sorted = rows.slice().sort((a, b) => metric[a] - metric[b] || a - b);
    const mid = Math.floor(sorted.length / 2);
    const low = sorted.slice(0, mid);
    const high = sorted.slice(mid);
    const single = rows.length === 1;
    const lowMean = single ? 0 : meanReward(low);
    const highMean = single ? 0 : meanReward(high);
    for (const i of high)
      advantages[i] = w.mu * (rewards[i] - w.alpha * lowMean + w.beta) + (1 - w.mu) * (rewards[i] - highMean);
    for (const i of low)
      advantages[i] = w.mu * (w.alpha * rewards[i] - highMean - w.beta) + (1 - w.mu) * (rewards[i] - lowMean);
    groups.push({ high, low, highMean, lowMean });
  }
  return { advantages, groups };
}

// ---------------------------------------------------------------------------------------------
// Schedules of the inter weight μ_t (the code's constants; t counts steps from 1)

/** Linear warm-up to `max` over `warmup` steps, then `cycles` cosine decays from max to min. */
export function cosineWithRestart(
  t: number,
  total: number,
  max: number,
  min: number,
  warmup: number,
  cycles: number,
): number {
  if (t < warmup) return (max * (t + 1)) / warmup;
  const cycleLength = Math.floor((total - warmup) / cycles);
  const inCycle = (t - warmup) % cycleLength;
  return min + 0.5 * (max - min) * (1 + Math.cos((Math.PI * inCycle) / cycleLength));
}

/** μ_t for the schedule at 1-based step t, given the batch mean reward (used by `anneal`). */
export function interWeight(schedule: CanonConfig['schedule'], mu: number, t: number, meanReward: number): number {
  switch (schedule) {
    case 'const':
      return mu;
    case 'anneal':
      return meanReward;
    case 'cosine_restart':
      return 1 - cosineWithRestart(t, 150, 0.6, 0, 30, 3);
    case 'cosine_restart_r':
      return cosineWithRestart(t, 150, 1, 0.4, 30, 3);
  }
}

// ---------------------------------------------------------------------------------------------
// The regularizer

/** The batch with CANON's advantages on its main rows; rows a regularizer added keep theirs. */
export function canonBatch(batch: Batch, c: CanonConfig, step: number): { batch: Batch; metrics: Metrics } {
  const include = (r: number) => !batch.isExtra[r];
  const entropy = rowMeans(batch.oldEntropy, batch.mask, batch.rows, batch.width);
  const metric = c.metric === 'entropy' ? entropy : Float64Array.from({ length: batch.rows }, (_, r) => r);
  const mainRewards = Array.from(batch.reward).filter((_, r) => include(r));
  const muT = interWeight(c.schedule, c.mu, step + 1, mean(mainRewards));
  const { advantages, groups } = canonAdvantages(
    batch.reward,
    batch.groupId,
    metric,
    { mu: muT, alpha: c.alpha, beta: c.beta },
    include,
  );
  const tokens = new Float32Array(batch.advantages);
  for (let i = 0; i < tokens.length; i++) {
    const r = Math.floor(i / batch.width);
    if (include(r)) tokens[i] = advantages[r] * batch.mask[i];
  }
  const split = groups.filter((g) => g.low.length > 0);
  const metrics = {
    mu_t: muT,
    r_high_mean: mean(split.map((g) => g.highMean)),
    r_low_mean: mean(split.map((g) => g.lowMean)),
    gap: mean(split.map((g) => g.highMean - g.lowMean)),
    frac_groups_tied: split.length ? split.filter((g) => g.highMean === g.lowMean).length / split.length : 0,
    adv_abs_mean: mean(
      Array.from(advantages)
        .filter((a) => !Number.isNaN(a))
        .map(Math.abs),
    ),
    entropy_high_mean: mean(split.flatMap((g) => g.high.map((r) => entropy[r]))),
    entropy_low_mean: mean(split.flatMap((g) => g.low.map((r) => entropy[r]))),
  };
  return { batch: { ...batch, advantages: tokens }, metrics };
}

export class Canon implements Regularizer {
  constructor(private readonly config: CanonConfig) {}

  prepareBatch(batch: Batch, info: StepInfo): Reported<Batch> {
    const out = canonBatch(batch, this.config, info.step);
    return { value: out.batch, metrics: out.metrics };
  }
}

export const canonDefinition = defineRegularizer({
  name: 'canon',
  summary:
    'CANON: advantages against the other entropy half of the group (μ) and the own half (1 − μ); μ = ½ is Dr.GRPO',
  schema: canonSchema,
  create: (config) => new Canon(config),
});
