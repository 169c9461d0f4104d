// SPEAR's self-imitation replay with advantage recalibration ("Learn the Ropes, Then Trust the
// Wins: Self-imitation with Progressive Exploration for Agentic RL", arXiv 2509.22601; code:
// TencentYoutuResearch/SPEAR `ray_trainer_hybrid.TrajectoryBufferBatch`, `dp_actor.update_policy`,
// `recipe/spear/reward.py::default_compute_score_enforce_toolcall_posneg_decay`). Successful rows
// that used a tool (a feedback turn) go into a buffer; once it holds enough rows that beat the
// median of the recent group means, they are replayed with their own old log-probs and the
// advantage r − median(group means), as extra mini-batches whose loss grows from 0 to `replay_coef`
// over the first steps. Early on, a decaying bonus per tool call is added to the reward.
// Formulas in words: docs/spear.md.
import { z } from 'zod';
import { type Batch, concatBatches, selectRows } from '../src/base/batch.ts';
import { type BatchJson, decodeBatch, encodeBatch } from '../src/base/batch-json.ts';
import { UserError } from '../src/base/errors.ts';
import {
  defineRegularizer,
  parseState,
  type Regularizer,
  type ReplayBatch,
  type Reported,
  type StepInfo,
  type StepSummary,
} from './regularizer.ts';

export const spearSchema = z
  .object({
    /** Rows replayed at most per replay; the buffer replays when over 1.5× this many rows count (code: 2048; math script 32). */
    buffer_size: z.number().int().min(1).default(16),
    /** Group means kept for the baseline (code: 10240; math script 32). */
    baseline_buffer_size: z.number().int().min(1).default(32),
    /** Rows older than this many steps before the newest kept ones are dropped (code caps it at 10). */
    tolerate_steps: z.number().int().min(0).max(10).default(5),
    /** median: A = r − median of the kept group means (the released scripts); a number in (0, 1]: the stored A × it. */
    recalibration: z.union([z.literal('median'), z.number().gt(0).max(1)]).default('median'),
    /** Divide the recalibrated advantage by the median group std + 1e-6 (the scripts: off). */
    norm_adv_by_std: z.boolean().default(false),
    /** positive: keep rows with A > 0 (math recipe); nonnegative: A ≥ 0 (agent recipe). */
    keep: z.enum(['positive', 'nonnegative']).default('positive'),
    /** Only rows with a tool call (a turn that got feedback: turns ≥ 2) enter the buffer, as the code. */
    require_tool_call: z.boolean().default(true),
    /** The replay loss scale grows as coef·(1 − cos(π·s/S))/2 to coef at step S (math script: 1, 300). */
    replay_coef: z.number().min(0).default(1),
    replay_warmup_steps: z.number().int().min(0).default(50),
    /** Tool-call bonus min(reward·calls, 1)·ratio; ratio cosine: (cos(π·s/S) + 1)/2 up to S, then 0. */
    toolcall_bonus: z.enum(['cosine', 'constant', 'none']).default('cosine'),
    toolcall_steps: z.number().int().min(1).default(50),
    toolcall_reward: z.number().min(0).default(0.1),
  })
  .strict();
export type SpearConfig = z.infer<typeof spearSchema>;

// ---------------------------------------------------------------------------------------------
// Schedules and statistics (doubles)

/** (6.6) The replay loss scale at 1-based step s. */
export function replayScale(s: number, coef: number, warmup: number): number {
  return s >= warmup ? coef : (coef * (1 - Math.cos((Math.PI * s) / warmup))) / 2;
}

/** (6.7) The tool-call bonus ratio at 1-based step s. */
export function toolcallRatio(s: number, schedule: SpearConfig['toolcall_bonus'], steps: number): number {
  if (schedule === 'none') return 0;
  if (schedule === 'constant') return 1;
  return s <= steps ? (Math.cos((Math.PI * s) / steps) + 1) / 2 : 0;
}

/** numpy's median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = values.slice().sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The code's replay size for n candidates: the largest power of two ≤ n, capped; 1 candidate gives 0. */
export function replaySize(n: number, bufferSize: number): number {
  return n <= 1 ? 0 : Math.min(2 ** Math.floor(Math.log2(n)), bufferSize);
}

/** Per group of `rows`: mean and unbiased std of the rewards (std 0 for a one-row group). */
export function groupStats(reward: ArrayLike<number>, groupId: ArrayLike<number>, rows: readonly number[]) {
  const members = new Map<number, number[]>();
  for (const r of rows) members.set(groupId[r], [...(members.get(groupId[r]) ?? []), reward[r]]);
  const means: number[] = [];
  const stds: number[] = [];
  for (const rs of members.values()) {
    const m = rs.reduce((a, b) => a + b, 0) / rs.length;
    means.push(m);
    stds.push(rs.length > 1 ? Math.sqrt(rs.reduce((a, b) => a + (b - m) ** 2, 0) / (rs.length - 1)) : 0);
  }
  return { means, stds };
}

/** A row's advantage: its broadcast value at its first valid slot (0 for a row without one). */
export function rowAdvantage(batch: Batch, r: number): number {
  for (let t = 0; t < batch.width; t++)
    if (batch.mask[r * batch.width + t]) return batch.advantages[r * batch.width + t];
  return 0;
}

// ---------------------------------------------------------------------------------------------
// The buffer (state)

interface Segment {
  /** The step the rows were sampled at. */
  step: number;
  reward: Float64Array;
  /** Live rows, or rows restored from a checkpoint until a replay decodes them. */
  batch?: Batch;
  saved?: BatchJson;
}

interface History {
  step: number;
  means: number[];
  stds: number[];
}

const stateSchema = z
  .object({
    segments: z.array(z.object({ step: z.number().int(), batch: z.record(z.string(), z.unknown()) }).strict()),
    history: z.array(
      z.object({ step: z.number().int(), means: z.array(z.number()), stds: z.array(z.number()) }).strict(),
    ),
    full: z.boolean(),
  })
  .strict();
export type SpearState = z.infer<typeof stateSchema>;

export interface ReplayPlan {
  /** Rows of the concatenated buffer to replay, ascending. */
  rows: number[];
  /** Their advantages, per row of `rows`. */
  advantages: number[];
  candidates: number;
  baseline: number;
}

/**
 * (6.5) Which buffered rows replay and with which advantage: recalibrated against the median of the
 * kept group means (or the stored advantage × the decay factor), rows with A > 0 kept, then a random
 * subset of replaySize(n) of them.
 */
export function planReplay(
  reward: ArrayLike<number>,
  stored: ArrayLike<number>,
  history: readonly History[],
  config: SpearConfig,
  draw: (n: number) => number[],
): ReplayPlan {
  const means = history.flatMap((h) => h.means);
  const stds = history.flatMap((h) => h.stds);
  const baseline = means.length > 0 ? median(means) : 0;
  const scale = config.norm_adv_by_std && stds.length > 0 ? median(stds) + 1e-6 : 1;
  const all = Array.from({ length: reward.length }, (_, r) => r);
  const decay = config.recalibration;
  const advantage = (r: number) => (decay === 'median' ? (reward[r] - baseline) / scale : stored[r] * decay);
  const candidates = decay === 'median' ? all.filter((r) => advantage(r) > 0) : all;
  const size = replaySize(candidates.length, config.buffer_size);
  const picked = draw(candidates.length)
    .slice(0, size)
    .map((i) => candidates[i])
    .sort((a, b) => a - b);
  return { rows: picked, advantages: picked.map(advantage), candidates: candidates.length, baseline };
}

class Spear implements Regularizer {
  private segments: Segment[] = [];
  private history: History[] = [];
  private full = false;
  shapeRewards?: (batch: Batch, info: StepInfo) => Reported<Float64Array>;

  constructor(private readonly config: SpearConfig) {
    if (config.toolcall_bonus !== 'none') this.shapeRewards = (batch, info) => this.toolcallBonus(batch, info);
  }

  /** (6.7) min(reward·calls, 1)·ratio added to every row, calls = turns − 1 (the feedback turns). */
  private toolcallBonus(batch: Batch, info: StepInfo): Reported<Float64Array> {
    const ratio = toolcallRatio(info.step + 1, this.config.toolcall_bonus, this.config.toolcall_steps);
    const bonus = Array.from(
      batch.turns,
      (turns) => Math.min(this.config.toolcall_reward * Math.max(0, turns - 1), 1) * ratio,
    );
    return {
      value: Float64Array.from(batch.reward, (r, i) => r + bonus[i]),
      metrics: { toolcall_bonus_mean: bonus.length ? bonus.reduce((a, b) => a + b, 0) / bonus.length : 0 },
    };
  }

  replayBatch(info: StepInfo): Reported<ReplayBatch> | undefined {
    if (!this.full) return undefined;
    const parts = this.segments.map((s) => s.batch ?? this.restore(s, info));
    const buffer = parts.reduce((a, b) => concatBatches(a, b));
    const stored = Array.from({ length: buffer.rows }, (_, r) => rowAdvantage(buffer, r));
    const plan = planReplay(buffer.reward, stored, this.history, this.config, (n) => info.rng.permutation(n));
    this.segments = [];
    this.full = false;
    const rows = selectRows(buffer, plan.rows);
    const advantages = new Float32Array(rows.rows * rows.width);
    for (let i = 0; i < advantages.length; i++)
      advantages[i] = plan.advantages[Math.floor(i / rows.width)] * rows.mask[i];
    const lossScale = replayScale(info.step + 1, this.config.replay_coef, this.config.replay_warmup_steps);
    const mean = plan.advantages.length ? plan.advantages.reduce((a, b) => a + b, 0) / plan.advantages.length : 0;
    return {
      value: { batch: { ...rows, advantages }, lossScale },
      metrics: {
        replayed_rows: rows.rows,
        replay_candidates: plan.candidates,
        replay_baseline: plan.baseline,
        replay_adv_mean: mean,
        replay_scale: lossScale,
      },
    };
  }

  private restore(segment: Segment, info: StepInfo): Batch {
    if (!info.decodeInputs)
      throw new UserError('this policy cannot restore saved replay rows (it has no decodeInputs)', 'spear');
    return decodeBatch(segment.saved, info.decodeInputs);
  }

  /** (6.1)–(6.4): drop stale rows, record this step's group statistics, add its kept rows, recount. */
  afterStep(summary: StepSummary): Reported {
    const { batch, step } = summary;
    const newest = Math.max(...this.segments.map((s) => s.step));
    const before = this.bufferRows();
    this.segments = this.segments.filter((s) => newest - s.step <= this.config.tolerate_steps);
    const staleDropped = before - this.bufferRows();

    const main = Array.from({ length: batch.rows }, (_, r) => r).filter(
      (r) => !batch.isExtra[r] && !batch.isReplay?.[r],
    );
    const { means, stds } = groupStats(batch.reward, batch.groupId, main);
    while (
      this.history.length > 0 &&
      this.history.reduce((n, h) => n + h.means.length, 0) > this.config.baseline_buffer_size
    )
      this.history.shift();
    this.history.push({ step, means, stds });

    const positive = (a: number) => (this.config.keep === 'positive' ? a > 0 : a >= 0);
    const added = main.filter(
      (r) => positive(rowAdvantage(batch, r)) && (!this.config.require_tool_call || batch.turns[r] >= 2),
    );
    if (added.length > 0) {
      const rows = selectRows(batch, added);
      this.segments.push({ step, reward: rows.reward, batch: rows });
    }
    const baseline = median(this.history.flatMap((h) => h.means));
    const count = this.segments.reduce(
      (n, s) =>
        n + (this.config.recalibration === 'median' ? s.reward.filter((r) => r > baseline).length : s.reward.length),
      0,
    );
    this.full = count > 1.5 * this.config.buffer_size;
    return {
      metrics: {
        buffer_rows: this.bufferRows(),
        buffer_count: count,
        added_rows: added.length,
        stale_dropped: staleDropped,
        baseline_median: baseline,
        full: this.full ? 1 : 0,
      },
    };
  }

  private bufferRows(): number {
    return this.segments.reduce((n, s) => n + s.reward.length, 0);
  }

  getState(): SpearState {
    const segments = this.segments.map((s) => {
      if (s.saved) return { step: s.step, batch: s.saved };
      try {
        return { step: s.step, batch: encodeBatch(s.batch!) };
      } catch (e) {
        throw new UserError(`cannot save the replay buffer: ${(e as Error).message}`, 'spear');
      }
    });
    return structuredClone({ segments, history: this.history, full: this.full });
  }

  setState(state: unknown): void {
    const parsed = parseState(stateSchema, state);
    this.segments = parsed.segments.map(({ step, batch }) => {
      const reward = batch.reward;
      if (!Array.isArray(reward) || reward.some((x) => typeof x !== 'number'))
        throw new Error(`saved replay rows of step ${step} have no 'reward' array`);
      return { step, reward: Float64Array.from(reward as number[]), saved: batch as BatchJson };
    });
    this.history = parsed.history;
    this.full = parsed.full;
  }
}

export const spearDefinition = defineRegularizer({
  name: 'spear',
  summary:
    'SPEAR: replay buffered successful tool-using rows with their own old log-probs and A = r − median(group means); decaying tool-call bonus',
  schema: spearSchema,
  create: (config) => new Spear(config),
});
