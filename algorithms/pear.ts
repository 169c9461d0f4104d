// PEAR, "PEAR: Phase Entropy Aware Reward for Efficient Reasoning" (Huang, Lu, Zhang; arXiv 2510.08026,
// ICLR 2026; code iNLP-Lab/PEAR, `entropy.py::compute_score`, not readable here). Each response is
// split at its end-of-thinking delimiter into a thinking phase and an answer phase; with H̄ the mean
// of π_old's token entropies over a phase, a correct answer earns
//   r = min(1, s − P),   P = max(0, H̄_think − α·H̄_answer),
// and a wrong one the format score r_fmt: high entropy while thinking costs reward, entropy in the
// answer buys some of it back. Reward shaping only (shapeRewards); the loss is unchanged. Which
// parts are the paper's and which are entrolab's choices: docs/pear.md.
import { z } from 'zod';
import type { Batch } from '../src/base/batch.ts';
import { type ActionSymbol, actionSymbolSchema, resolveActions } from './action-symbols.ts';
import { defineRegularizer, type Metrics, type Regularizer, type StepInfo } from './regularizer.ts';

export const pearSchema = z
  .object({
    /**
     * token: the phases meet at the `delimiter` token (the paper's </think>); final_turn: a
     * multi-turn response thinks in its earlier turns and answers in its last one.
     */
    split: z.enum(['token', 'final_turn']).default('token'),
    /** The end-of-thinking action (its name, e.g. "|" on chain-sum, or its id); needed with split: token. */
    delimiter: actionSymbolSchema.optional(),
    /** Which delimiter ends thinking when a response has several: last (chain-sum judges after the last '|') or first. */
    occurrence: z.enum(['last', 'first']).default('last'),
    /** α: how much answer-phase entropy offsets thinking-phase entropy (paper: 1, the best of −1, 0, 0.5, 1, 2). */
    alpha: z.number().default(1),
    /** s: the reward of a correct answer before the penalty (the code's `score`, 1). */
    score: z.number().gt(0).max(1).default(1),
    /** r_fmt: the reward of a wrong answer (the code's `format_score`, 0). */
    format_score: z.number().min(0).lt(1).default(0),
    /** Never give a correct answer less than format_score (off in the paper: P > s puts it below a wrong one). */
    floor: z.boolean().default(false),
  })
  .strict()
  .refine((c) => c.split !== 'token' || c.delimiter !== undefined, {
    message: "split: token needs the end-of-thinking 'delimiter' (an action name or id)",
    path: ['delimiter'],
  });
export type PearConfig = z.infer<typeof pearSchema>;

// ---------------------------------------------------------------------------------------------
// The phase split and the reward (doubles, no gradient)

/** One response's two phases: the positions (into its valid tokens, in order) of each. */
export interface Phases {
  think: number[];
  answer: number[];
  /** Position of the delimiter that ended thinking, or −1 (token split: none found). */
  delimiterAt: number;
}

/**
 * Token split over a response's valid actions in order. With the delimiter at k: thinking is
 * 0..k−1, the answer k+1..T−1, the delimiter itself in neither. Without one, k = T − 1 as the paper
 * reads (the response is all thinking, its last token — `<eos>` when it stopped — left out) and the
 * answer is empty.
 */
export function splitAtDelimiter(actions: readonly number[], delimiter: number, occurrence: 'first' | 'last'): Phases {
  const k = occurrence === 'first' ? actions.indexOf(delimiter) : actions.lastIndexOf(delimiter);
  const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
  if (k < 0) return { think: range(0, actions.length - 1), answer: [], delimiterAt: -1 };
  return { think: range(0, k), answer: range(k + 1, actions.length), delimiterAt: k };
}

/** Final-turn split: tokens of earlier turns think, the last turn's tokens answer; none left out. */
export function splitAtFinalTurn(turns: readonly number[]): Phases {
  const last = turns.length > 0 ? Math.max(...turns) : 0;
  const think: number[] = [];
  const answer: number[] = [];
  turns.forEach((turn, i) => (turn < last ? think : answer).push(i));
  return { think, answer, delimiterAt: -1 };
}

/** Mean of `values` at `positions`; 0 for an empty phase (no 0/0). */
export function phaseMean(values: readonly number[], positions: readonly number[]): number {
  if (positions.length === 0) return 0;
  let sum = 0;
  for (const p of positions) sum += values[p];
  return sum / positions.length;
}

/** P = max(0, H̄_think − α·H̄_answer). */
export function phasePenalty(thinkMean: number, answerMean: number, alpha: number): number {
  return Math.max(0, thinkMean - alpha * answerMean);
}

/** A correct answer's min(1, s − P) (at least r_fmt with `floor`); a wrong one's r_fmt. */
export function pearReward(correct: boolean, penalty: number, config: PearConfig): number {
  if (!correct) return config.format_score;
  const r = Math.min(1, config.score - penalty);
  return config.floor ? Math.max(config.format_score, r) : r;
}

// ---------------------------------------------------------------------------------------------
// One batch

export interface PearRow {
  thinkMean: number;
  answerMean: number;
  penalty: number;
  thinkTokens: number;
  answerTokens: number;
  hasDelimiter: boolean;
}

export interface PearStep {
  rewards: Float64Array;
  rows: PearRow[];
  metrics: Metrics;
}

/** Every row of the batch shaped from its valid tokens' π_old entropies (masked slots are never read). */
export function pearStep(batch: Batch, config: PearConfig, delimiter: number | undefined): PearStep {
  const rows: PearRow[] = [];
  const rewards = new Float64Array(batch.rows);
  for (let r = 0; r < batch.rows; r++) {
    const entropy: number[] = [];
    const actions: number[] = [];
    const turns: number[] = [];
    for (let t = 0; t < batch.width; t++) {
      const i = r * batch.width + t;
      if (!batch.mask[i]) continue;
      if (!Number.isFinite(batch.oldEntropy[i]))
        throw new Error(`pear: π_old's entropy at row ${r}, token ${t} is ${batch.oldEntropy[i]}`);
      entropy.push(batch.oldEntropy[i]);
      actions.push(batch.actions[i]);
      turns.push(batch.turnIndex[i]);
    }
    const phases =
      config.split === 'token' ? splitAtDelimiter(actions, delimiter!, config.occurrence) : splitAtFinalTurn(turns);
    const thinkMean = phaseMean(entropy, phases.think);
    const answerMean = phaseMean(entropy, phases.answer);
    const penalty = phasePenalty(thinkMean, answerMean, config.alpha);
    rewards[r] = pearReward(batch.success[r] === 1, penalty, config);
    rows.push({
      thinkMean,
      answerMean,
      penalty,
      thinkTokens: phases.think.length,
      answerTokens: phases.answer.length,
      hasDelimiter: phases.delimiterAt >= 0,
    });
  }
  return { rewards, rows, metrics: stepMetrics(rows, rewards, batch.success, config) };
}

function meanOf(values: readonly number[]): number {
  return values.length > 0 ? values.reduce((a, b) => a + b, 0) / values.length : 0;
}

function stepMetrics(rows: readonly PearRow[], rewards: Float64Array, success: Uint8Array, config: PearConfig) {
  const correct = rows.map((_, r) => r).filter((r) => success[r] === 1);
  const metrics: Metrics = {
    think_entropy_mean: meanOf(rows.map((x) => x.thinkMean)),
    answer_entropy_mean: meanOf(rows.map((x) => x.answerMean)),
    think_tokens_mean: meanOf(rows.map((x) => x.thinkTokens)),
    answer_tokens_mean: meanOf(rows.map((x) => x.answerTokens)),
    penalty_mean: meanOf(rows.map((x) => x.penalty)),
    penalty_correct_mean: meanOf(correct.map((r) => rows[r].penalty)),
    frac_penalised: meanOf(correct.map((r) => (rows[r].penalty > 0 ? 1 : 0))),
    frac_below_format: meanOf(correct.map((r) => (rewards[r] < config.format_score ? 1 : 0))),
  };
  if (config.split === 'token') metrics.frac_no_delimiter = meanOf(rows.map((x) => (x.hasDelimiter ? 0 : 1)));
  return metrics;
}

// ---------------------------------------------------------------------------------------------
// Hooks

const DELIMITER_KEY = 'regularizers.pear.delimiter';

class Pear implements Regularizer {
  readonly readsActions: boolean;
  readonly readsSuccess = true;

  constructor(private readonly config: PearConfig) {
    this.readsActions = config.split === 'token';
  }

  shapeRewards(batch: Batch, info: StepInfo) {
    const delimiter =
      this.config.split === 'token'
        ? resolveActions([this.config.delimiter as ActionSymbol], info.actionNames, batch.numActions, DELIMITER_KEY)[0]
        : undefined;
    const out = pearStep(batch, this.config, delimiter);
    return { value: out.rewards, metrics: out.metrics };
  }
}

export const pearDefinition = defineRegularizer({
  name: 'pear',
  summary:
    "PEAR's phase-entropy reward: a correct answer earns min(1, s − max(0, H̄_think − α·H̄_answer)), split at the end-of-thinking token",
  schema: pearSchema,
  create: (config) => new Pear(config),
});
