// ARES's high-window-entropy reward ("ARES: Multimodal Adaptive Reasoning via Difficulty-Aware
// Token-Level Entropy Shaping", arXiv 2510.08457; code: shawn0728/ARES,
// `vllm_rollout_spmd.compute_reasoning_token_window_entropy`,
// `get_window_average_entropy_percentile_threshold_list`, `ray_trainer.update_difficulty_and_skip_gid_set`,
// `examples/reward_function/aepo.py::compute_score`). A response "thinks hard" after a trigger token
// when the mean entropy of the next w tokens reaches the threshold τ; the count n of such windows
// shapes the reward by the prompt's difficulty: easy and medium correct answers lose reward for
// more windows than their bucket's target, hard correct answers gain up to the bucket's cap, and
// every wrong answer gains a little. Reward shaping only (shapeRewards); the loss is unchanged.
// Formulas in words: docs/hwe-reward.md.
import { z } from 'zod';
import type { Batch } from '../src/base/batch.ts';
import { UserError } from '../src/base/errors.ts';
import { type ActionSymbol, actionSymbolSchema, resolveActions } from './action-symbols.ts';
import { defineRegularizer, type Metrics, parseState, type Regularizer, type StepInfo } from './regularizer.ts';

export const hweRewardSchema = z
  .object({
    /** Actions after which a window is measured (names, e.g. "=", or ids); ARES ships 174 reasoning words. */
    trigger_tokens: z.array(actionSymbolSchema).min(1),
    /** w: the window is the w tokens after the trigger; a trigger with fewer after it is ignored (code: 4). */
    window_size: z.number().int().min(1).default(4),
    /** Per-response percentile of the window means whose batch median moves τ (code: 95). */
    percentile: z.number().gt(0).max(100).default(95),
    /** τ ← ema·τ + (1 − ema)·median each step (code: 0.99; 0.9 suits entrolab's shorter runs). */
    ema: z.number().min(0).lt(1).default(0.9),
    /** argmax: the trigger is π_old's most likely token at the slot (code); sampled: the token taken. */
    trigger_on: z.enum(['argmax', 'sampled']).default('argmax'),
    /** exact: π_old's full entropy; topk_tail: the code's top-10 + tail estimate from the sampler's log-probs. */
    entropy_estimator: z.enum(['exact', 'topk_tail']).default('exact'),
    /** Initial cap α per bucket and its step size (code: 0.5, 0.05; clipped to [0, 2]). */
    alpha_init: z.number().min(0).max(2).default(0.5),
    alpha_lr: z.number().min(0).default(0.05),
  })
  .strict();
export type HweRewardConfig = z.infer<typeof hweRewardSchema>;

export const BUCKETS = ['easy', 'medium', 'hard'] as const;
export type Bucket = (typeof BUCKETS)[number];
type PerBucket = Record<Bucket, number>;

const perBucket = z.object({ easy: z.number(), medium: z.number(), hard: z.number() }).strict();
const stateSchema = z.object({ threshold: z.number().nullable(), alpha: perBucket, target: perBucket }).strict();
export type HweRewardState = z.infer<typeof stateSchema>;

/** The code's per-bucket constants (`compute_score`): margin fraction f, Huber κ, sigmoid temperature T, cap gain g. */
const BUCKET_SHAPE: Record<Bucket, { f: number; kappa: number; temp: number; gain: number; wrong: number }> = {
  easy: { f: 0.15, kappa: 2, temp: 2, gain: 1, wrong: 0.6 },
  medium: { f: 0.25, kappa: 3, temp: 2.5, gain: 1, wrong: 0.8 },
  hard: { f: 0.35, kappa: 4, temp: 3, gain: 1.2, wrong: 1 },
};
const ALPHA_MAX = 2;
const TOP_K = 10;

// ---------------------------------------------------------------------------------------------
// Entropies and windows (doubles, no gradient)

/** numpy's percentile with linear interpolation (q in [0, 100]) of a non-empty list. */
export function percentile(values: readonly number[], q: number): number {
  const sorted = values.slice().sort((a, b) => a - b);
  const rank = (q / 100) * (sorted.length - 1);
  const below = Math.floor(rank);
  const above = Math.min(sorted.length - 1, below + 1);
  return sorted[below] + (rank - below) * (sorted[above] - sorted[below]);
}

/** Python's round(): to the nearest integer, ties to the even one. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The code's entropy from the sampler's returned log-probs: the top k of π_old plus the sampled
 * token when it is not among them, −Σ p log p, and with `tail` the missing mass t = 1 − Σ p as one
 * more symbol (−t log t, only when t > 0). A zero probability adds nothing (no 0·log 0 = NaN).
 */
export function topkEntropy(logPolicy: ArrayLike<number>, sampled: number, tail: boolean, k = TOP_K): number {
  const order = Array.from({ length: logPolicy.length }, (_, a) => a).sort(
    (a, b) => logPolicy[b] - logPolicy[a] || a - b,
  );
  const returned = order.slice(0, k);
  if (!returned.includes(sampled)) returned.push(sampled);
  let h = 0;
  let mass = 0;
  for (const a of returned) {
    const p = Math.exp(logPolicy[a]);
    if (p > 0) h -= p * logPolicy[a];
    mass += p;
  }
  const t = Math.max(0, 1 - mass);
  return tail && t > 0 ? h - t * Math.log(Math.max(t, 1e-12)) : h;
}

export interface WindowCounts {
  /** Triggers whose window mean reached τ (ARES's n). */
  high: number;
  low: number;
  /** Σ max(0, W − τ) over the counted triggers. */
  softCost: number;
}

/**
 * One response's triggers: for each trigger position t with at least w positions after it,
 * W_t = mean(H[t+1..t+w]); high when W_t ≥ τ.
 */
export function windowCounts(entropy: readonly number[], isTrigger: readonly boolean[], w: number, tau: number) {
  const out: WindowCounts = { high: 0, low: 0, softCost: 0 };
  for (let t = 0; t < entropy.length; t++) {
    if (!isTrigger[t] || entropy.length - t - 1 < w) continue;
    let sum = 0;
    for (let j = t + 1; j <= t + w; j++) sum += entropy[j];
    const windowMean = sum / w;
    out.softCost += Math.max(0, windowMean - tau);
    if (windowMean >= tau) out.high += 1;
    else out.low += 1;
  }
  return out;
}

/**
 * One response's threshold candidate: the window mean after every position (where no full window
 * is left, the mean of the list so far, or the position's own entropy when the list is empty), then
 * its percentile; 0 for an empty response (as the code).
 */
export function windowThreshold(entropy: readonly number[], w: number, q: number): number {
  const means: number[] = [];
  for (let t = 0; t < entropy.length; t++) {
    if (entropy.length - t - 1 >= w) {
      let sum = 0;
      for (let j = t + 1; j <= t + w; j++) sum += entropy[j];
      means.push(sum / w);
    } else means.push(means.length > 0 ? means.reduce((a, b) => a + b, 0) / means.length : entropy[t]);
  }
  return means.length > 0 ? percentile(means, q) : 0;
}

// ---------------------------------------------------------------------------------------------
// Difficulty and score (the code's compute_score)

export function bucketOf(passRate: number): Bucket {
  return passRate >= 2 / 3 ? 'easy' : passRate >= 1 / 3 ? 'medium' : 'hard';
}

function huber(x: number, kappa: number): number {
  return x <= kappa ? (x * x) / (2 * kappa) : x - kappa / 2;
}

function sigmoid(x: number, temperature: number): number {
  return 1 / (1 + Math.exp(-x / temperature));
}

/** The entropy score added to the reward of a response with n high windows, in its bucket. */
export function entropyScore(bucket: Bucket, correct: boolean, n: number, target: number, alpha: number): number {
  const { f, kappa, temp, gain, wrong } = BUCKET_SHAPE[bucket];
  const cap = alpha * gain;
  const delta = n - target;
  const margin = Math.max(1, f * Math.max(target, 1));
  if (!correct) return sigmoid(Math.max(delta - margin, 0), temp) * cap * wrong;
  if (bucket === 'hard') {
    if (delta >= -margin) return sigmoid(delta + margin, temp) * cap;
    return -Math.min(cap, (0.5 * huber(-delta - margin, kappa) * cap) / (margin + kappa));
  }
  const over = bucket === 'easy' ? Math.max(delta - margin, 0) : Math.max(Math.abs(delta) - margin, 0);
  return -Math.min(cap, (huber(over, kappa) * cap) / (margin + kappa));
}

// ---------------------------------------------------------------------------------------------
// One step over a batch

export interface HweStep {
  rewards: Float64Array;
  state: HweRewardState;
  metrics: Metrics;
  /** Per row: high windows n, the row's bucket. */
  high: Int32Array;
  buckets: Bucket[];
}

export interface HweInputs {
  batch: Batch;
  triggers: readonly number[];
  config: HweRewardConfig;
  state: HweRewardState;
}

/**
 * The code's order: count with the previous τ (this batch's median on the first step), move τ,
 * then buckets, targets and caps from this batch, then the rewards (reward + entropy score).
 */
export function hweStep({ batch, triggers, config, state }: HweInputs): HweStep {
  const { rows, width, numActions: A } = batch;
  const w = config.window_size;
  const triggerSet = new Set(triggers);
  const responses: { entropy: number[]; plain: number[]; isTrigger: boolean[] }[] = [];
  for (let r = 0; r < rows; r++) {
    const entropy: number[] = [];
    const plain: number[] = [];
    const isTrigger: boolean[] = [];
    for (let t = 0; t < width; t++) {
      const i = r * width + t;
      if (!batch.mask[i]) continue;
      const dist = batch.oldLogPolicy?.subarray(i * A, (i + 1) * A);
      if (config.entropy_estimator === 'topk_tail') {
        entropy.push(topkEntropy(dist!, batch.actions[i], true));
        plain.push(topkEntropy(dist!, batch.actions[i], false));
      } else {
        entropy.push(batch.oldEntropy[i]);
        plain.push(batch.oldEntropy[i]);
      }
      isTrigger.push(triggerSet.has(config.trigger_on === 'sampled' ? batch.actions[i] : argmax(dist!)));
    }
    responses.push({ entropy, plain, isTrigger });
  }
  const rowThresholds = responses.map((x) => windowThreshold(x.plain, w, config.percentile));
  const median = rows > 0 ? percentile(rowThresholds, 50) : 0;
  const tau = state.threshold ?? median;
  const counts = responses.map((x) => windowCounts(x.entropy, x.isTrigger, w, tau));
  const threshold = state.threshold === null ? median : config.ema * state.threshold + (1 - config.ema) * median;

  // buckets: each prompt (group) by its pass rate; targets and caps from the prompt-mean counts
  const members = new Map<number, number[]>();
  for (let r = 0; r < rows; r++) members.set(batch.groupId[r], [...(members.get(batch.groupId[r]) ?? []), r]);
  const buckets: Bucket[] = new Array(rows);
  const promptMeans: Record<Bucket, number[]> = { easy: [], medium: [], hard: [] };
  for (const group of members.values()) {
    const bucket = bucketOf(group.reduce((s, r) => s + batch.success[r], 0) / group.length);
    for (const r of group) buckets[r] = bucket;
    promptMeans[bucket].push(group.reduce((s, r) => s + counts[r].high, 0) / group.length);
  }
  const alpha = { ...state.alpha };
  const target = { ...state.target };
  for (const b of BUCKETS) {
    if (promptMeans[b].length === 0) continue;
    const m = promptMeans[b].reduce((x, y) => x + y, 0) / promptMeans[b].length;
    target[b] = roundHalfEven(m);
    const delta = b === 'hard' ? target[b] - m : m - target[b];
    alpha[b] = Math.min(ALPHA_MAX, Math.max(0, alpha[b] + config.alpha_lr * delta));
  }

  const rewards = new Float64Array(rows);
  const scores = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const b = buckets[r];
    scores[r] = entropyScore(b, batch.success[r] === 1, counts[r].high, target[b], alpha[b]);
    rewards[r] = batch.reward[r] + scores[r];
  }
  const high = Int32Array.from(counts, (c) => c.high);
  return {
    rewards,
    high,
    buckets,
    state: { threshold, alpha, target },
    metrics: {
      ...stepMetrics(counts, scores, buckets, batch.success, { threshold: tau, alpha, target }),
      batch_median: median,
    },
  };
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let a = 1; a < values.length; a++) if (values[a] > values[best]) best = a;
  return best;
}

function meanOf(values: readonly number[]): number {
  return values.length > 0 ? values.reduce((a, b) => a + b, 0) / values.length : 0;
}

function stepMetrics(
  counts: readonly WindowCounts[],
  scores: Float64Array,
  buckets: readonly Bucket[],
  success: Uint8Array,
  used: { threshold: number; alpha: PerBucket; target: PerBucket },
): Metrics {
  const rows = counts.length;
  const all = Array.from({ length: rows }, (_, r) => r);
  const metrics: Metrics = {
    threshold: used.threshold,
    high_triggers_mean: meanOf(counts.map((c) => c.high)),
    low_triggers_mean: meanOf(counts.map((c) => c.low)),
    soft_cost_mean: meanOf(counts.map((c) => c.softCost)),
    entropy_score_mean: meanOf(Array.from(scores)),
    entropy_score_correct: meanOf(all.filter((r) => success[r]).map((r) => scores[r])),
    entropy_score_incorrect: meanOf(all.filter((r) => !success[r]).map((r) => scores[r])),
  };
  for (const b of BUCKETS) {
    const inBucket = all.filter((r) => buckets[r] === b);
    metrics[`frac_${b}`] = rows > 0 ? inBucket.length / rows : 0;
    metrics[`high_triggers_${b}`] = meanOf(inBucket.map((r) => counts[r].high));
    metrics[`target_${b}`] = used.target[b];
    metrics[`alpha_${b}`] = used.alpha[b];
  }
  return metrics;
}

// ---------------------------------------------------------------------------------------------
// Hooks

const TRIGGER_KEY = 'regularizers.hwe_reward.trigger_tokens';

class HweReward implements Regularizer {
  private state: HweRewardState;
  readonly readsActions: boolean;
  readonly readsSuccess = true;

  constructor(private readonly config: HweRewardConfig) {
    const a = config.alpha_init;
    this.state = { threshold: null, alpha: { easy: a, medium: a, hard: a }, target: { easy: 0, medium: 0, hard: 0 } };
    this.readsActions = config.trigger_on === 'sampled' || config.entropy_estimator === 'topk_tail';
  }

  shapeRewards(batch: Batch, info: StepInfo) {
    const needsPolicy = this.config.trigger_on === 'argmax' || this.config.entropy_estimator === 'topk_tail';
    if (needsPolicy && !batch.oldLogPolicy) {
      throw new UserError(
        "needs π_old's distribution at every slot (the batch file's 'old_log_policy', [B][L][A]) for " +
          'trigger_on: argmax or entropy_estimator: topk_tail',
        'hwe_reward',
      );
    }
    const triggers = resolveActions(
      this.config.trigger_tokens as ActionSymbol[],
      info.actionNames,
      batch.numActions,
      TRIGGER_KEY,
    );
    const out = hweStep({ batch, triggers, config: this.config, state: this.state });
    this.state = out.state;
    return { value: out.rewards, metrics: out.metrics };
  }

  getState(): HweRewardState {
    return structuredClone(this.state);
  }

  setState(state: unknown): void {
    this.state = parseState(stateSchema, state);
  }
}

export const hweRewardDefinition = defineRegularizer({
  name: 'hwe_reward',
  summary:
    "ARES's high-window-entropy reward: count trigger tokens followed by a high-entropy window, shape the reward by prompt difficulty",
  schema: hweRewardSchema,
  create: (config) => new HweReward(config),
});
