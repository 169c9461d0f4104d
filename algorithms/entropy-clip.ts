// Entropy-discriminator clipping, Clip_B and Clip_V ("On the Entropy Dynamics in Reinforcement
// Fine-Tuning of Large Language Models", arXiv 2602.03392; code: Trinity-RFT
// `ClipBAdvantageFn` / `ClipVAdvantageFn`). A gradient step that penalises (A < 0) a token much rarer
// than typical lowers the entropy sharply; both variants take such tokens out of the step's loss by
// zeroing their mask, once per step on the whole batch (prepareBatch).
// Formulas in words: docs/entropy-clip-canon-balanced.md.
import { z } from 'zod';
import type { Batch } from '../src/base/batch.ts';
import { UserError } from '../src/base/errors.ts';
import { logPolicyEntropy, type PopulationStats, populationStats } from '../src/base/numerics.ts';
import { defineRegularizer, type Metrics, type Regularizer, type Reported } from './regularizer.ts';

export const entropyClipSchema = z
  .object({
    /** batch: Clip_B, S = p·(H + log p) centred by the batch mean; vocab: Clip_V, D = E_{v∼p}[S_v] − S. */
    variant: z.enum(['batch', 'vocab']).default('batch'),
    /**
     * μ: threshold in population-std units, ≥ 0 (0: Clip_B drops negative-advantage tokens below the
     * mean S, Clip_V those with D > 0). The authors' LLM-scale 2.5 / 8.5 drop nothing on small batches.
     */
    mu: z.number().min(0).default(1.5),
    /** Clip_V: at most ⌊max_frac·N⌋ (≥ 1) negative-advantage tokens dropped when more qualify (code 1e-4). */
    max_frac: z.number().gt(0).max(1).default(0.02),
    /** Clip_B's log p: old (π_old at the training temperature) or sample (the sampler's, as the code). */
    logprob_source: z.enum(['old', 'sample']).default('old'),
    /** mask: dropped tokens leave the loss and the token-mean denominator (code); zero_advantage: they stay in it. */
    drop_mode: z.enum(['mask', 'zero_advantage']).default('mask'),
    /** Clip_V: an A = 0 token over the threshold is dropped too (code); false keeps it (ablation). */
    drop_zero_advantage: z.boolean().default(true),
  })
  .strict();
export type EntropyClipConfig = z.infer<typeof entropyClipSchema>;

// ---------------------------------------------------------------------------------------------
// The discriminator and its vocabulary-centred form (detached values, doubles)

/** S_k = p_k·(H + log p_k): > 0 for actions likelier than typical (log p_k > −H), < 0 for rare ones. */
export function entropyDiscriminator(logProb: number, entropy: number): number {
  return Math.exp(logProb) * (entropy + logProb);
}

/**
 * D = E_{v∼p}[S_v] − S_k = Σ_v p_v²(H + log p_v) − S_k at one slot, p = exp(logPolicy[offset ..
 * offset+numActions)). To first order a PG step on token k changes the entropy by α·A·D, so
 * A < 0 with a large D is the sharpest entropy drop.
 */
export function centredDiscriminator(
  logPolicy: ArrayLike<number>,
  offset: number,
  numActions: number,
  action: number,
): number {
  const entropy = logPolicyEntropy(logPolicy, offset, numActions);
  let expected = 0;
  for (let v = 0; v < numActions; v++) {
    const lp = logPolicy[offset + v];
    expected += Math.exp(2 * lp) * (entropy + lp);
  }
  return expected - entropyDiscriminator(logPolicy[offset + action], entropy);
}

// ---------------------------------------------------------------------------------------------
// The selection rules (over the valid tokens of the whole step batch)

export interface ClipSelection {
  /** 1 = keep, 0 = drop, on every slot ([rows*width]); padded slots are 1 (nothing to drop). */
  keep: Uint8Array;
  /** Dropped flat indices, ascending. */
  dropped: number[];
  /** Tokens over the threshold before any cap (Clip_V), or the dropped ones (Clip_B). */
  candidates: number[];
  /** Valid tokens N. */
  valid: number;
  /** Mean and population std of the statistic (S for Clip_B, D for Clip_V) over the valid tokens. */
  mean: number;
  std: number;
  /** Clip_V: 1 when the cap bound and only the top-K negative tokens were dropped. */
  capped: boolean;
}

function selection(keep: Uint8Array, candidates: number[], stats: PopulationStats, capped: boolean): ClipSelection {
  const dropped: number[] = [];
  for (let i = 0; i < keep.length; i++) if (!keep[i]) dropped.push(i);
  return { keep, dropped, candidates, valid: stats.count, mean: stats.mean, std: stats.std, capped };
}

/**
 * Clip_B: drop a valid token when A < 0 and S − mean(S) < −μ·std(S) (population std over the valid
 * tokens); A ≥ 0 tokens are always kept, and a (near-)constant S keeps everything.
 */
export function clipBSelection(
  discriminator: ArrayLike<number>,
  advantages: ArrayLike<number>,
  mask: ArrayLike<number>,
  mu: number,
): ClipSelection {
  const stats = populationStats(discriminator, mask);
  const keep = new Uint8Array(mask.length).fill(1);
  if (stats.std >= 1e-12) {
    for (let i = 0; i < mask.length; i++) {
      if (mask[i] && advantages[i] < 0 && discriminator[i] - stats.mean < -mu * stats.std) keep[i] = 0;
    }
  }
  const candidates: number[] = [];
  for (let i = 0; i < keep.length; i++) if (!keep[i]) candidates.push(i);
  return selection(keep, candidates, stats, false);
}

/**
 * Clip_V: candidates are valid tokens with A < 0 (and A = 0 when `dropZeroAdvantage`) whose raw D
 * exceeds μ·std(D). If they are at most max_frac of the valid tokens, or the negative ones number at
 * most K = max(⌊max_frac·N⌋, 1), all are dropped; otherwise only the K negative ones with the largest
 * D (ties: lower index first), while A = 0 candidates are dropped regardless (as the code does).
 */
export function clipVSelection(
  centred: ArrayLike<number>,
  advantages: ArrayLike<number>,
  mask: ArrayLike<number>,
  mu: number,
  maxFrac: number,
  dropZeroAdvantage: boolean,
): ClipSelection {
  const stats = populationStats(centred, mask);
  const keep = new Uint8Array(mask.length).fill(1);
  const candidates: number[] = [];
  if (stats.std < 1e-12) return selection(keep, candidates, stats, false);
  const negative: number[] = [];
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i] || advantages[i] > 0 || centred[i] <= mu * stats.std) continue;
    if (advantages[i] === 0 && !dropZeroAdvantage) continue;
    candidates.push(i);
    keep[i] = 0;
    if (advantages[i] < 0) negative.push(i);
  }
  const k = Math.max(Math.floor(maxFrac * stats.count), 1);
  const capped = candidates.length / stats.count > maxFrac && negative.length > k;
  if (capped) {
    const top = new Set(
      negative
        .slice()
        .sort((a, b) => centred[b] - centred[a] || a - b)
        .slice(0, k),
    );
    for (const i of negative) if (!top.has(i)) keep[i] = 1;
  }
  return selection(keep, candidates, stats, capped);
}

// ---------------------------------------------------------------------------------------------
// The regularizer

/** The selection on a step batch: S from (log p, H_old) for Clip_B, D from π_old's distribution for Clip_V. */
export function selectEntropyClip(batch: Batch, c: EntropyClipConfig): ClipSelection {
  const stat = new Float64Array(batch.mask.length);
  if (c.variant === 'batch') {
    const lp = c.logprob_source === 'old' ? batch.oldLogProbs : batch.sampleLogProbs;
    if (!lp)
      throw new UserError(
        "logprob_source sample needs the sampler's log-probs, which this batch lacks; use old",
        'entropy_clip.logprob_source',
      );
    for (let i = 0; i < stat.length; i++) if (batch.mask[i]) stat[i] = entropyDiscriminator(lp[i], batch.oldEntropy[i]);
    return clipBSelection(stat, batch.advantages, batch.mask, c.mu);
  }
  const policy = batch.oldLogPolicy;
  if (!policy)
    throw new UserError(
      "variant vocab needs the old policy's full distribution (batch.oldLogPolicy), which this batch lacks",
      'entropy_clip.variant',
    );
  const a = batch.numActions;
  for (let i = 0; i < stat.length; i++)
    if (batch.mask[i]) stat[i] = centredDiscriminator(policy, i * a, a, batch.actions[i]);
  return clipVSelection(stat, batch.advantages, batch.mask, c.mu, c.max_frac, c.drop_zero_advantage);
}

/** The batch with the dropped tokens' mask (or advantage) zeroed; the input batch is not changed. */
export function dropTokens(batch: Batch, keep: Uint8Array, mode: EntropyClipConfig['drop_mode']): Batch {
  if (mode === 'mask') return { ...batch, mask: batch.mask.map((m, i) => (keep[i] ? m : 0)) };
  return { ...batch, advantages: batch.advantages.map((x, i) => (keep[i] ? x : 0)) };
}

export function entropyClipMetrics(batch: Batch, sel: ClipSelection, variant: EntropyClipConfig['variant']): Metrics {
  let neg = 0;
  let negDropped = 0;
  let pos = 0;
  let posDropped = 0;
  for (let i = 0; i < batch.mask.length; i++) {
    if (!batch.mask[i]) continue;
    const a = batch.advantages[i];
    if (a < 0) {
      neg += 1;
      negDropped += 1 - sel.keep[i];
    } else if (a > 0) {
      pos += 1;
      posDropped += 1 - sel.keep[i];
    }
  }
  const stats: Metrics =
    variant === 'batch' ? { S_mean: sel.mean, S_var: sel.std ** 2 } : { D_std: sel.std, capped: sel.capped ? 1 : 0 };
  return {
    frac_clipped: sel.dropped.length / Math.max(1, sel.valid),
    frac_clipped_neg: negDropped / Math.max(1, neg),
    frac_clipped_pos: posDropped / Math.max(1, pos),
    n_candidates: sel.candidates.length,
    ...stats,
  };
}

export class EntropyClip implements Regularizer {
  /** Clip_V reads D at the sampled token. */
  readonly readsActions: boolean;

  constructor(private readonly config: EntropyClipConfig) {
    this.readsActions = config.variant === 'vocab';
  }

  prepareBatch(batch: Batch): Reported<Batch> {
    const sel = selectEntropyClip(batch, this.config);
    return {
      value: dropTokens(batch, sel.keep, this.config.drop_mode),
      metrics: entropyClipMetrics(batch, sel, this.config.variant),
    };
  }
}

export const entropyClipDefinition = defineRegularizer({
  name: 'entropy_clip',
  summary:
    'Clip_B / Clip_V: drop negative-advantage tokens whose entropy discriminator is an outlier (sharp entropy drops)',
  schema: entropyClipSchema,
  create: (config) => new EntropyClip(config),
});
