// Training only on the high-entropy minority ("forking") tokens: "Beyond the 80/20 Rule:
// High-Entropy Minority Tokens Drive Effective RL for LLM Reasoning", arXiv 2506.01939. Two presets,
// each what one public implementation does:
//   official_8020 — Shenzhi-Wang/Beyond-the-80-20-Rule-RLVR `get_global_entropy_top_mask` +
//                   `compute_policy_loss_vanilla`: the top K = max(1, ⌊N·ρ + 0.9999⌋) tokens of the
//                   mini-batch by current entropy, loss averaged over the kept tokens;
//   trl           — huggingface/trl `GRPOTrainer.get_high_entropy_mask` + `_compute_loss`: every token
//                   at or above the (1 − ρ)-quantile (ties kept), the denominator unchanged (all valid
//                   tokens), so at ρ = 0.2 the step is about 5× smaller; optional bonus on kept tokens.
// The selection and the weights are algorithms/token-selection.ts; formulas, the two codes'
// differences and where entrolab differs: docs/high-entropy-tokens.md.
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import {
  defineRegularizer,
  type LossHookResult,
  type Metrics,
  type Regularizer,
  type TapedTokens,
  type TokenContext,
} from './regularizer.ts';
import {
  type KeptTokens,
  type SelectionDenominator,
  type SelectionRule,
  selectionWeights,
  selectTokens,
} from './token-selection.ts';

export const highEntropyTokensSchema = z
  .object({
    /** official_8020: top-k, kept-token denominator (the paper's code); trl: quantile with ties kept, all tokens. */
    preset: z.enum(['official_8020', 'trl']).default('official_8020'),
    /** ρ, the share of tokens kept (1 trains on every token: plain GRPO, bit for bit). */
    ratio: z.number().min(0).max(1).default(0.2),
    /** Rank over the whole mini-batch (both codes) or within each response (ablation). */
    scope: z.enum(['mini_batch', 'row']).default('mini_batch'),
    /** Override the preset's rule: top_k (exactly K, ties by index) or quantile (score ≥ τ, ties kept). */
    rule: z.enum(['top_k', 'quantile']).optional(),
    /** Override the preset's denominator: kept (loss over kept tokens) or all (over every valid token). */
    denominator: z.enum(['kept', 'all']).optional(),
    /** TRL-style entropy bonus on the kept tokens only: −bonus_coef·Σ_kept H / D. */
    bonus_coef: z.number().min(0).default(0),
    /** D of the bonus: all valid tokens (TRL's dapo) or the kept tokens. */
    bonus_denominator: z.enum(['all', 'kept']).default('all'),
  })
  .strict();
export type HighEntropyTokensConfig = z.infer<typeof highEntropyTokensSchema>;

/** The rule and denominator a config resolves to (its preset's, unless overridden). */
export function resolvedSelection(c: HighEntropyTokensConfig): {
  rule: SelectionRule;
  denominator: SelectionDenominator;
} {
  const rule = c.rule ?? (c.preset === 'official_8020' ? 'top_k' : 'quantile');
  return {
    rule:
      rule === 'top_k' ? { rule: 'top_k', ratio: c.ratio } : { rule: 'quantile', level: 1 - c.ratio, strict: false },
    denominator: c.denominator ?? (c.preset === 'official_8020' ? 'kept' : 'all'),
  };
}

/** The selection of one mini-batch, from the current entropy (recomputed on every pass, as in both codes). */
export function selectHighEntropy(ctx: TokenContext, c: HighEntropyTokensConfig): KeptTokens {
  const { batch } = ctx;
  return selectTokens(ctx.entropy, batch.mask, batch.rows, batch.width, c.scope, resolvedSelection(c).rule);
}

export function highEntropyMetrics(ctx: TokenContext, sel: KeptTokens): Metrics {
  const { mask, advantages } = ctx.batch;
  let keptH = 0;
  let droppedH = 0;
  let keptPositive = 0;
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    if (sel.keep[i]) {
      keptH += ctx.entropy[i];
      if (advantages[i] > 0) keptPositive += 1;
    } else droppedH += ctx.entropy[i];
  }
  const finite = sel.thresholds.filter((t) => Number.isFinite(t));
  const dropped = sel.valid - sel.kept;
  return {
    frac_kept: sel.kept / Math.max(1, sel.valid),
    n_kept: sel.kept,
    threshold: finite.length ? finite.reduce((s, t) => s + t, 0) / finite.length : 0,
    kept_entropy_mean: sel.kept ? keptH / sel.kept : 0,
    dropped_entropy_mean: dropped ? droppedH / dropped : 0,
    frac_kept_pos_adv: sel.kept ? keptPositive / sel.kept : 0,
    ties_at_threshold: sel.tiesAtThreshold,
    rows_without_kept: sel.rowsWithoutKept,
  };
}

export class HighEntropyTokens implements Regularizer {
  readonly lossTerm?: (ctx: TokenContext, taped: TapedTokens) => LossHookResult<tf.Scalar>;

  constructor(private readonly config: HighEntropyTokensConfig) {
    if (config.bonus_coef > 0) this.lossTerm = (ctx, taped) => this.bonus(ctx, taped);
  }

  tokenWeights(ctx: TokenContext): LossHookResult<Float32Array> {
    const { batch } = ctx;
    const sel = selectHighEntropy(ctx, this.config);
    const { denominator } = resolvedSelection(this.config);
    const weights = selectionWeights(sel.keep, batch.mask, batch.rows, batch.width, ctx.aggMode, denominator);
    const tokens: number[] = [];
    for (let i = 0; i < sel.keep.length; i++) if (sel.keep[i]) tokens.push(i);
    return {
      value: weights,
      metrics: highEntropyMetrics(ctx, sel),
      selection: {
        label:
          denominator === 'kept'
            ? 'kept (high entropy): loss × weight, so the loss divides by the kept tokens'
            : 'kept (high entropy): loss kept, the others zeroed; the loss still divides by every token',
        tokens,
        weights,
      },
    };
  }

  /** −bonus_coef·Σ_kept H / D, the kept set recomputed from the same detached entropy as the weights. */
  private bonus(ctx: TokenContext, taped: TapedTokens): LossHookResult<tf.Scalar> {
    const sel = selectHighEntropy(ctx, this.config);
    const keptMask = Float32Array.from(ctx.batch.mask, (m, i) => m * sel.keep[i]);
    const d = this.config.bonus_denominator === 'kept' ? sel.kept : sel.valid;
    const value = tf.tidy(() => {
      const keptSum = tf.sum(tf.mul(taped.entropy, tf.tensor1d(keptMask)));
      // no valid token: a zero that still depends on the entropies (as every empty aggregation)
      return tf.mul(d > 0 ? tf.div(keptSum, d) : tf.mul(keptSum, 0), -this.config.bonus_coef) as tf.Scalar;
    });
    return { value, metrics: { bonus: value.dataSync()[0] } };
  }
}

export const highEntropyTokensDefinition = defineRegularizer({
  name: 'high_entropy_tokens',
  summary:
    '80/20 rule: train only on the top-ρ tokens by entropy; presets official_8020 (top-k, kept denominator) and trl (quantile, ties kept, all tokens)',
  schema: highEntropyTokensSchema,
  create: (config) => new HighEntropyTokens(config),
});
