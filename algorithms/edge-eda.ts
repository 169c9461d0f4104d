// EDGE-GRPO's entropy-driven advantage (Zhang et al., "EDGE-GRPO: Entropy-Driven GRPO with Guided
// Error Correction", arXiv 2507.21848; code ZhangXJ199/EDGE-GRPO `GRPOAhaTrainer._compute_loss`):
// each row's advantage is rescaled by the batch's mean response entropy over its own,
// A'_i = A_i · H̄_batch / H̄_i, so confident (low-entropy) rows are amplified and uncertain ones
// damped, for both signs. In the code H̄_i is the current policy's entropy with its gradient, so the
// loss also pushes entropy (down on positive rows, up on negative ones): `entropy_grad: true`
// replaces the PG loss (policyLoss) with PPO-clip on A'. `entropy_grad: false` detaches H̄_i and
// is a token weight (PPO-clip is positively homogeneous in A). docs/advantage-shaping.md "EDGE-GRPO".
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { ppoClipStats, ppoClipTokenLoss } from './grpo.ts';
import {
  defineRegularizer,
  type Metrics,
  type PolicyLossResult,
  type Regularizer,
  type TapedTokens,
  type TokenContext,
} from './regularizer.ts';

export const edgeEdaSchema = z
  .object({
    /** true (the code): H̄_i carries gradient and the regularizer owns the PG loss; false: a detached token weight. */
    entropy_grad: z.boolean().default(true),
    /** true (the code): H̄_i averages every slot of the row's padded width; false: its valid tokens only. */
    include_padding: z.boolean().default(false),
  })
  .strict();
export type EdgeEdaConfig = z.infer<typeof edgeEdaSchema>;

/** Below this a row's mean entropy counts as this (a fully confident row would divide by 0). */
const MIN_ROW_ENTROPY = 1e-8;

/** The slots a row's mean entropy averages: its valid tokens, or its whole width (include_padding). */
function slotWeights(mask: Float32Array, includePadding: boolean): Float32Array {
  return includePadding ? new Float32Array(mask.length).fill(1) : mask;
}

/** Per-row mean entropy H̄_i (detached, doubles) and H̄_batch, the mean over rows with a valid token. */
export function rowEntropies(
  entropy: ArrayLike<number>,
  mask: Float32Array,
  rows: number,
  width: number,
  includePadding: boolean,
): { row: Float64Array; hasTokens: boolean[]; batch: number } {
  const weights = slotWeights(mask, includePadding);
  const row = new Float64Array(rows);
  const hasTokens: boolean[] = [];
  let total = 0;
  let counted = 0;
  for (let i = 0; i < rows; i++) {
    let sum = 0;
    let n = 0;
    let valid = false;
    for (let t = 0; t < width; t++) {
      const k = i * width + t;
      sum += entropy[k] * weights[k];
      n += weights[k];
      if (mask[k]) valid = true;
    }
    row[i] = n > 0 ? sum / n : 0;
    hasTokens.push(valid);
    if (valid) {
      total += row[i];
      counted += 1;
    }
  }
  return { row, hasTokens, batch: counted ? total / counted : 0 };
}

/** The factor H̄_batch / H̄_i per row (1 for a row without valid tokens). */
export function edaFactors(rowsOf: ReturnType<typeof rowEntropies>): Float64Array {
  return Float64Array.from(rowsOf.row, (h, i) =>
    rowsOf.hasTokens[i] ? rowsOf.batch / Math.max(h, MIN_ROW_ENTROPY) : 1,
  );
}

function factorMetrics(rowsOf: ReturnType<typeof rowEntropies>, factors: Float64Array): Metrics {
  const used = Array.from(factors).filter((_, i) => rowsOf.hasTokens[i]);
  if (!used.length) return { factor_min: 1, factor_max: 1, factor_mean: 1, row_entropy_mean: 0 };
  return {
    factor_min: Math.min(...used),
    factor_max: Math.max(...used),
    factor_mean: used.reduce((s, f) => s + f, 0) / used.length,
    row_entropy_mean: rowsOf.batch,
  };
}

/**
 * PPO-clip on A'_t = A_t · H̄_batch / H̄_i with H̄_i from the taped entropy (gradient flows through
 * it) and H̄_batch from the detached one. PPO-clip (with its dual clip) is positively homogeneous in
 * A — the branch choices depend on A's sign only — so ℓ(A·f) = f·ℓ(A) for f > 0: the loss is
 * vanilla's per-token loss times the taped factor (and no comparison op sits on the tape). Returns
 * the per-token loss and A' as numbers.
 */
export function edaTokenLoss(
  ctx: TokenContext,
  taped: Pick<TapedTokens, 'logProbs' | 'entropy'>,
  includePadding: boolean,
): { loss: tf.Tensor1D; shaped: Float32Array; factors: Float64Array; rowsOf: ReturnType<typeof rowEntropies> } {
  const { rows, width, mask, advantages, oldLogProbs } = ctx.batch;
  const rowsOf = rowEntropies(ctx.entropy, mask, rows, width, includePadding);
  const factors = edaFactors(rowsOf);
  const shaped = Float32Array.from(advantages, (a, k) => a * factors[Math.floor(k / width)]);
  const loss = tf.tidy(() => {
    const weights = tf.tensor2d(slotWeights(mask, includePadding), [rows, width]);
    const h = tf.reshape(taped.entropy, [rows, width]);
    const rowMean = tf.div(tf.sum(tf.mul(h, weights), 1), tf.maximum(tf.sum(weights, 1), 1));
    // rows without a valid token get factor 1 (their tokens are masked); no row divides by less than 1e-8
    const hasTokens = tf.tensor1d(
      rowsOf.hasTokens.map((v) => (v ? 1 : 0)),
      'bool',
    );
    const safe = tf.maximum(tf.where(hasTokens, rowMean, tf.onesLike(rowMean)), MIN_ROW_ENTROPY);
    const numerator = tf.tensor1d(rowsOf.hasTokens.map((v) => (v ? rowsOf.batch : 1)));
    const rowFactor = tf.reshape(tf.div(numerator, safe), [rows, 1]);
    const tokenFactor = tf.reshape(tf.mul(tf.ones([rows, width]), rowFactor), [-1]);
    const vanilla = ppoClipTokenLoss(taped.logProbs, tf.tensor1d(oldLogProbs), tf.tensor1d(advantages), clipOf(ctx));
    return tf.mul(vanilla, tokenFactor) as tf.Tensor1D;
  });
  return { loss, shaped, factors, rowsOf };
}

const REDUCE = { factor_min: 'min', factor_max: 'max' } as const;

function clipOf(ctx: TokenContext) {
  return { clipRatioLow: ctx.clipRatioLow, clipRatioHigh: ctx.clipRatioHigh, clipRatioC: ctx.clipRatioC };
}

/** entropy_grad: the PG loss on A' with H̄_i on the tape. */
function shapedPolicyLoss(config: EdgeEdaConfig) {
  return (ctx: TokenContext, taped: TapedTokens): PolicyLossResult => {
    const out = edaTokenLoss(ctx, taped, config.include_padding);
    const actor = ppoClipStats(ctx.logProbs, ctx.batch.oldLogProbs, out.shaped, ctx.batch.mask, clipOf(ctx));
    return { value: out.loss, actor, metrics: factorMetrics(out.rowsOf, out.factors), reduce: REDUCE };
  };
}

/** Detached: the factor as a per-token weight on the vanilla PG loss. */
function factorWeights(config: EdgeEdaConfig) {
  return (ctx: TokenContext) => {
    const { rows, width, mask } = ctx.batch;
    const rowsOf = rowEntropies(ctx.entropy, mask, rows, width, config.include_padding);
    const factors = edaFactors(rowsOf);
    const weights = Float32Array.from(mask, (_, k) => factors[Math.floor(k / width)]);
    return {
      value: weights,
      metrics: factorMetrics(rowsOf, factors),
      reduce: REDUCE,
      selection: { label: 'edge_eda: advantage × H̄_batch / H̄_row', weights },
    };
  };
}

export function createEdgeEda(config: EdgeEdaConfig): Regularizer {
  return config.entropy_grad ? { policyLoss: shapedPolicyLoss(config) } : { tokenWeights: factorWeights(config) };
}

export const edgeEdaDefinition = defineRegularizer({
  name: 'edge_eda',
  summary: "EDGE-GRPO: advantage × batch mean entropy / the row's mean entropy (confident rows amplified)",
  schema: edgeEdaSchema,
  create: createEdgeEda,
});
