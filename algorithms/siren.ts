// SIREN — selective entropy regularisation with a self-anchor ("Rethinking Entropy Regularization in
// Large Reasoning Models", arXiv 2509.25133; code Linn3a/siren `dp_actor.py::update_policy`,
// `mask_by_quantile`, `efficient_top_p_sampling`, and `ray_trainer.py::fit` for the anchor):
//   H^p   the entropy of each slot's nucleus (algorithms/nucleus-entropy.ts)
//   S_i   per response, the slots whose H^p exceeds the row's 0.8-quantile (strict; ties: none)
//   H_sel (1/B)·Σ_i [S_i ≠ ∅]·mean_{t∈S_i} H^p, B = the rows with a valid token
//   loss += λ·(H_sel − H_anchor)²
// H_anchor is H_sel of the first step's whole batch under π_old, fixed for the rest of training and
// saved in checkpoints. Formulas and differences from the code: docs/siren.md.
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { Batch } from '../src/base/batch.ts';
import { UserError } from '../src/base/errors.ts';
import { maskedMean } from './aggregate.ts';
import { type NucleusOptions, nucleusEntropy, nucleusEntropyValues, nucleusMembership } from './nucleus-entropy.ts';
import {
  defineRegularizer,
  type LossHookResult,
  parseState,
  type Regularizer,
  type Reported,
  type StepInfo,
  type TapedTokens,
  type TokenContext,
} from './regularizer.ts';
import { selectTokens } from './token-selection.ts';

export const sirenSchema = z
  .object({
    /** λ, the weight of (H_sel − H_anchor)² (the code's 0.005 is for LLM gradients; entrolab's are larger). */
    coef: z.number().min(0).default(0.1),
    /** p_top of the nucleus; on 4-action tasks 0.9–0.95, or p_1 + p_2 ≥ p_top empties it early. */
    entropy_topp: z.number().gt(0).max(1).default(0.8),
    /** k of the top-k before the nucleus cut (min(k, actions) is used). */
    entropy_topk: z.number().int().min(1).default(10000),
    /** Row quantile above which a slot is a peak (strict). */
    mask_ratio: z.number().min(0).max(1).default(0.8),
    /** first_step: H_sel of the first batch under π_old (code); a number: that fixed anchor. */
    anchor: z.union([z.literal('first_step'), z.number().min(0)]).default('first_step'),
    /** exclusive: the token crossing p_top is left out (code); inclusive: kept (the usual top-p). */
    nucleus: z.enum(['exclusive', 'inclusive']).default('exclusive'),
  })
  .strict();
export type SirenConfig = z.infer<typeof sirenSchema>;

const stateSchema = z.object({ anchor: z.number().nullable() }).strict();
export type SirenState = z.infer<typeof stateSchema>;

const nucleusOptions = (c: SirenConfig): NucleusOptions => ({
  topP: c.entropy_topp,
  topK: c.entropy_topk,
  rule: c.nucleus,
});

/** The peak slots of each row: H^p above the row's mask_ratio-quantile (strict), valid slots only. */
export function peakSelection(
  nucleusH: Float32Array,
  mask: ArrayLike<number>,
  rows: number,
  width: number,
  level: number,
) {
  return selectTokens(nucleusH, mask, rows, width, 'row', { rule: 'quantile', level, strict: true });
}

/** Per-row 1/|S_i| on selected slots (0 elsewhere) and B, the rows with a valid token. */
export function selectedRowWeights(keep: Uint8Array, mask: ArrayLike<number>, rows: number, width: number) {
  const weights = new Float32Array(rows * width);
  let validRows = 0;
  for (let r = 0; r < rows; r++) {
    let selected = 0;
    let valid = 0;
    for (let t = 0; t < width; t++) {
      selected += keep[r * width + t];
      valid += mask[r * width + t] ? 1 : 0;
    }
    if (valid > 0) validRows += 1;
    for (let t = 0; t < width; t++) if (keep[r * width + t]) weights[r * width + t] = 1 / selected;
  }
  return { weights, validRows };
}

/** H_sel from detached values: the mean over rows (with a valid token) of each row's selected mean. */
export function selectedEntropyValue(
  nucleusH: Float32Array,
  keep: Uint8Array,
  mask: ArrayLike<number>,
  rows: number,
  width: number,
) {
  const { weights, validRows } = selectedRowWeights(keep, mask, rows, width);
  let sum = 0;
  for (let i = 0; i < weights.length; i++) sum += weights[i] * nucleusH[i];
  return validRows > 0 ? sum / validRows : 0;
}

/** H_sel of a whole batch under a detached log-distribution (the anchor on π_old). */
export function batchSelectedEntropy(logPolicy: Float32Array, batch: Batch, c: SirenConfig): number {
  const { membership } = nucleusMembership(logPolicy, batch.numActions, nucleusOptions(c));
  const h = nucleusEntropyValues(logPolicy, membership, batch.numActions);
  const sel = peakSelection(h, batch.mask, batch.rows, batch.width, c.mask_ratio);
  return selectedEntropyValue(h, sel.keep, batch.mask, batch.rows, batch.width);
}

/** λ·(H_sel − anchor)², H_sel = Σ w·H^p / B with w = 1/|S_i| on selected slots. */
export function sirenTerm(
  nucleusH: tf.Tensor1D,
  weights: Float32Array,
  validRows: number,
  anchor: number,
  coef: number,
): tf.Scalar {
  return tf.tidy(() => {
    const weighted = tf.sum(tf.mul(nucleusH, tf.tensor1d(weights)));
    const hSel = validRows > 0 ? tf.div(weighted, validRows) : tf.mul(weighted, 0);
    return tf.mul(tf.square(tf.sub(hSel, anchor)), coef) as tf.Scalar;
  });
}

export class Siren implements Regularizer {
  private anchor: number | null;

  constructor(private readonly config: SirenConfig) {
    this.anchor = typeof config.anchor === 'number' ? config.anchor : null;
  }

  /** At the first step: the anchor from π_old on the whole batch (once; a resumed run keeps its own). */
  prepareBatch(batch: Batch, info: StepInfo): Reported<Batch> {
    if (this.anchor !== null || info.step !== 0) return { value: batch };
    if (!batch.oldLogPolicy)
      throw new UserError(
        "the first-step anchor needs the old policy's full distribution (old_log_policy), which this batch lacks",
        'siren.anchor',
      );
    this.anchor = batchSelectedEntropy(batch.oldLogPolicy, batch, this.config);
    return { value: batch, metrics: { anchor_set: this.anchor } };
  }

  lossTerm(ctx: TokenContext, taped: TapedTokens): LossHookResult<tf.Scalar> {
    const { batch } = ctx;
    const c = this.config;
    if (this.anchor === null)
      throw new UserError(
        'no anchor yet: give it in the batch file (state: {siren: {anchor: <H>}}), run --prepare on a step-0 batch ' +
          'with old_log_policy, or set anchor to a number',
        'siren.anchor',
      );
    const A = batch.numActions;
    const { membership, sizes } = nucleusMembership(ctx.logPolicy!, A, nucleusOptions(c));
    const h = nucleusEntropyValues(ctx.logPolicy!, membership, A);
    const sel = peakSelection(h, batch.mask, batch.rows, batch.width, c.mask_ratio);
    const { weights, validRows } = selectedRowWeights(sel.keep, batch.mask, batch.rows, batch.width);
    const value = tf.tidy(() =>
      sirenTerm(nucleusEntropy(taped.logPolicy!, membership), weights, validRows, this.anchor!, c.coef),
    );
    const hSel = selectedEntropyValue(h, sel.keep, batch.mask, batch.rows, batch.width);
    let zero = 0;
    let sizeSum = 0;
    for (let i = 0; i < batch.mask.length; i++) {
      if (!batch.mask[i]) continue;
      sizeSum += sizes[i];
      if (h[i] === 0) zero += 1;
    }
    const valid = Math.max(1, sel.valid);
    const tokens: number[] = [];
    sel.keep.forEach((k, i) => k && tokens.push(i));
    return {
      value,
      metrics: {
        H_sel: hSel,
        H_anchor: this.anchor,
        deviation: hSel - this.anchor,
        reg_term: value.dataSync()[0],
        frac_selected: sel.kept / valid,
        nucleus_size_mean: sizeSum / valid,
        frac_zero_nucleus_entropy: zero / valid,
        full_entropy_mean: maskedMean(ctx.entropy, batch.mask),
      },
      selection: { label: 'peak nucleus entropy: pulled towards the anchor by λ·(H_sel − H_anchor)²', tokens },
    };
  }

  getState(): SirenState {
    return { anchor: this.anchor };
  }

  setState(state: unknown): void {
    this.anchor = parseState(stateSchema, state).anchor;
  }
}

export const sirenDefinition = defineRegularizer({
  name: 'siren',
  summary:
    "SIREN: λ·(H_sel − H_anchor)² on each response's peak nucleus-entropy tokens, anchored at the first step's value",
  schema: sirenSchema,
  needsLogPolicy: true,
  create: (config) => new Siren(config),
});
