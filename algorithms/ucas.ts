// UCAS, "Unlocking Exploration in RLVR: Uncertainty-aware Advantage Shaping" (arXiv 2510.10649; code
// xvolcano02/UCAS `core_algos.compute_ucas_advantage`): two stages over the whole batch, replacing
// the estimator's advantages (prepareBatch).
//   1. Per row: the group-standardised score ŝ_i and self-certainty Ĉ_i (C_i = Σ_t c_t,
//      c_t = −mean_v log π_old,t(v)); A_i = ŝ_i·exp(−w_pos·Ĉ_i) if ŝ_i > 0, else ŝ_i·exp(+w_neg·Ĉ_i):
//      confident right answers are rewarded less, confident wrong ones penalised more.
//   2. Per token: A'_t = A_i − w_tok·n_t, n_t the sampled token's raw logit min–max normalised over
//      the batch's valid tokens; where A_i > 0 the result is clamped at 0 from below.
// A group with equal rewards (A_i = 0) still gets small negative token advantages −w_tok·n_t.
// docs/advantage-shaping.md "UCAS".
import { z } from 'zod';
import type { Batch } from '../src/base/batch.ts';
import { groupMembers } from './advantages/groups.ts';
import { defineRegularizer, type Metrics } from './regularizer.ts';

export const ucasSchema = z
  .object({
    /** Divide score and certainty by the group's unbiased std (+ 1e-6); false: only mean-centred (verl's norm_adv_by_std_in_grpo). */
    norm_adv_by_std: z.boolean().default(true),
    /** Stage 1 weight of the certainty on rows with ŝ > 0 (the code's 0.25). */
    pos_weight: z.number().min(0).default(0.25),
    /** Stage 1 weight of the certainty on rows with ŝ ≤ 0 (the code's 0.35). */
    neg_weight: z.number().min(0).default(0.35),
    /** Stage 2 weight of the normalised logit (the code's 0.05). */
    token_weight: z.number().min(0).default(0.05),
    /** raw (the code): the sampled token's logit before temperature; logprob: its log-prob instead. */
    logit_source: z.enum(['raw', 'logprob']).default('raw'),
  })
  .strict();
export type UcasConfig = z.infer<typeof ucasSchema>;

/** Self-certainty per slot, c_t = −mean_v log π_t(v) (= KL(U‖π_t) + log V), from a log-distribution. */
export function selfCertainty(logPolicy: ArrayLike<number>, slots: number, numActions: number): Float64Array {
  const out = new Float64Array(slots);
  for (let s = 0; s < slots; s++) {
    let sum = 0;
    for (let v = 0; v < numActions; v++) sum += logPolicy[s * numActions + v];
    out[s] = -sum / numActions;
  }
  return out;
}

/** Group-standardised values: (x − μ_g)/(σ_g + 1e-6) (σ unbiased) or x − μ_g; a singleton has μ = 0, σ = 1. */
export function standardise(values: ArrayLike<number>, groupIds: ArrayLike<number>, byStd: boolean): Float64Array {
  const out = new Float64Array(values.length);
  for (const rows of groupMembers(groupIds)) {
    let mean = 0;
    let std = 1;
    if (rows.length > 1) {
      mean = rows.reduce((s, i) => s + values[i], 0) / rows.length;
      std = Math.sqrt(rows.reduce((s, i) => s + (values[i] - mean) ** 2, 0) / (rows.length - 1));
    }
    for (const i of rows) out[i] = byStd ? (values[i] - mean) / (std + 1e-6) : values[i] - mean;
  }
  return out;
}

export interface UcasInputs {
  rows: number;
  width: number;
  mask: ArrayLike<number>;
  reward: ArrayLike<number>;
  groupId: ArrayLike<number>;
  /** c_t per slot. */
  certainty: ArrayLike<number>;
  /** The value stage 2 normalises per slot: the raw logit of the sampled token (or its log-prob). */
  logits: ArrayLike<number>;
}

/** torch.isclose(a, b) with its defaults (rtol 1e-5, atol 1e-8). */
const isClose = (a: number, b: number) => Math.abs(a - b) <= 1e-8 + 1e-5 * Math.abs(b);

/** UCAS's per-token advantages [rows*width] and its metrics. */
export function ucasAdvantages(x: UcasInputs, c: UcasConfig): { advantages: Float32Array; metrics: Metrics } {
  const { rows, width, mask } = x;
  const rowCertainty = new Float64Array(rows);
  for (let k = 0; k < rows * width; k++) if (mask[k]) rowCertainty[Math.floor(k / width)] += x.certainty[k];
  const score = standardise(x.reward, x.groupId, c.norm_adv_by_std);
  const certainty = standardise(rowCertainty, x.groupId, c.norm_adv_by_std);
  const modifier = Float64Array.from(score, (s, i) =>
    Math.exp(s > 0 ? -c.pos_weight * certainty[i] : c.neg_weight * certainty[i]),
  );
  const rowAdvantage = Float64Array.from(score, (s, i) => s * modifier[i]);

  let min = Infinity;
  let max = -Infinity;
  for (let k = 0; k < rows * width; k++) {
    if (!mask[k]) continue;
    min = Math.min(min, x.logits[k]);
    max = Math.max(max, x.logits[k]);
  }
  const flat = Number.isFinite(min) && isClose(max, min);
  const out = new Float32Array(rows * width);
  let valid = 0;
  let clamped = 0;
  let zeroPenalty = 0;
  let zeroTokens = 0;
  for (let k = 0; k < rows * width; k++) {
    if (!mask[k]) continue;
    const a = rowAdvantage[Math.floor(k / width)];
    const normalised = flat ? 0.5 : (x.logits[k] - min) / (max - min + 1e-6);
    let shaped = a - c.token_weight * normalised;
    if (a > 0 && shaped < 0) {
      shaped = 0;
      clamped += 1;
    }
    if (a === 0) {
      zeroPenalty += shaped;
      zeroTokens += 1;
    }
    out[k] = shaped;
    valid += 1;
  }
  const pos = Array.from(score.keys()).filter((i) => score[i] > 0);
  const neg = Array.from(score.keys()).filter((i) => score[i] < 0);
  const meanOf = (idx: number[]) => (idx.length ? idx.reduce((s, i) => s + modifier[i], 0) / idx.length : 0);
  return {
    advantages: out,
    metrics: {
      modifier_mean_pos: meanOf(pos),
      modifier_mean_neg: meanOf(neg),
      clamped_frac: valid ? clamped / valid : 0,
      zero_group_penalty_mean: zeroTokens ? zeroPenalty / zeroTokens : 0,
      logit_min: Number.isFinite(min) ? min : 0,
      logit_max: Number.isFinite(max) ? max : 0,
    },
  };
}

/** The batch's UCAS inputs; `raw` needs batch.oldActionLogits, both need batch.oldLogPolicy. */
export function ucasInputs(batch: Batch, c: UcasConfig): UcasInputs {
  if (!batch.oldLogPolicy) throw new Error("ucas needs the batch's oldLogPolicy (self-certainty)");
  const logits = c.logit_source === 'raw' ? batch.oldActionLogits : batch.oldLogProbs;
  if (!logits) throw new Error("ucas with logit_source: raw needs the batch's oldActionLogits");
  return {
    rows: batch.rows,
    width: batch.width,
    mask: batch.mask,
    reward: batch.reward,
    groupId: batch.groupId,
    certainty: selfCertainty(batch.oldLogPolicy, batch.rows * batch.width, batch.numActions),
    logits,
  };
}

export const ucasDefinition = defineRegularizer({
  name: 'ucas',
  summary: 'UCAS: advantages scaled by group-standardised self-certainty, minus a batch-normalised logit per token',
  schema: ucasSchema,
  needsActionLogits: true,
  create: (config) => ({
    prepareBatch: (batch: Batch) => {
      const out = ucasAdvantages(ucasInputs(batch, config), config);
      return { value: { ...batch, advantages: out.advantages }, metrics: out.metrics };
    },
  }),
});
