// ARPO's entropy-triggered branching rollout ("Agentic Reinforced Policy Optimization", arXiv 2507.19849;
// code: dongguanting/ARPO `vllm_rollout_with_tools.py::generate_sequences`) and, with `rule: balanced`
// and `dynamic_budget: true`, the rollout part of entropy-balanced PO ("Agentic Entropy-Balanced Policy
// Optimization", arXiv 2510.14545; code: RUC-NLPIR/ARPO `AEPO/…/vllm_rollout_with_tools.py`). The loss
// stays GRPO's; `attribution: hard` rewrites the advantages of tokens that forked paths share.
// Formulas in words and the choices that differ from the code: docs/arpo.md.
import { z } from 'zod';
import type { Batch } from '../src/base/batch.ts';
import {
  arpoBranches,
  balancedBranches,
  globalRolloutBudget,
  hardAttribution,
  segmentEntropy,
} from './branch-rules.ts';
import { type Brancher, defineRegularizer, type Regularizer, type Reported, type StepInfo } from './regularizer.ts';

export const arpoSchema = z
  .object({
    /** arpo: branch when clip(u − w·Δ, 0, 1) ≤ τ; balanced: clip((u + w·Δ)(1 − penalty·l), 0, 1) ≥ τ. */
    rule: z.enum(['arpo', 'balanced']).default('arpo'),
    /** Share of each group's budget (rollout.group_size) sampled from the prompt before branching. */
    initial_fraction: z.number().gt(0).max(1).default(0.5),
    /** Set the share per prompt from a probe episode instead: m = ⌊n·σ(β·(H_root − H̄))⌋ + 1. */
    dynamic_budget: z.boolean().default(false),
    beta_budget: z.number().default(0.5),
    /**
     * Candidate forks per decision point: min(beam_size − 1, slots the prompt has left), each one
     * uniform draw (the code's beam_size); a prompt with no slot left draws nothing.
     */
    beam_size: z.number().int().min(2).max(16).default(2),
    /** τ and w of the rule. */
    branch_probability: z.number().min(0).max(1).default(0.5),
    entropy_weight: z.number().default(0.2),
    /** Penalty per consecutive forking turn of the prompt (rule: balanced). */
    branch_penalty: z.number().min(0).default(0.05),
    /** Positions per segment entropy, and mean (÷ k, default) or the code's sum over positions. */
    entropy_tokens: z.number().int().min(1).default(20),
    segment_entropy: z.enum(['mean', 'sum']).default('mean'),
    /** soft: every path trains on its own copy of a shared prefix; hard: a shared token trains once. */
    attribution: z.enum(['soft', 'hard']).default('soft'),
  })
  .strict();
export type ArpoConfig = z.infer<typeof arpoSchema>;

/**
 * Candidates drawn at one decision point: beam_size − 1, but never more than the prompt's remaining
 * slots (budget − paths so far), as the authors' rollout does (`min(beam_size − 1, remaining)`), so a
 * fork that cannot be made costs no draw and the next paths keep their chance.
 */
export function forkCandidates(beamSize: number, remaining: number): number {
  return Math.max(0, Math.min(beamSize - 1, remaining));
}

/** The step's Brancher for `cfg`, drawing its uniforms from `info.rng`. */
export function arpoBrancher(cfg: ArpoConfig, info: StepInfo): Brancher {
  return {
    segmentEntropy: (tokens, numActions) => segmentEntropy(tokens, numActions, cfg.entropy_tokens, cfg.segment_entropy),
    probe: cfg.dynamic_budget,
    initialPaths: (budget, probe) =>
      probe
        ? globalRolloutBudget(budget, probe.rootEntropy, probe.meanEntropy, cfg.beta_budget)
        : Math.max(1, Math.round(cfg.initial_fraction * budget)),
    forks: (point) => {
      const delta = point.entropy - point.initialEntropy;
      let n = 0;
      for (let k = 0; k < forkCandidates(cfg.beam_size, point.budget - point.paths); k++) {
        const u = info.rng.next();
        const yes =
          cfg.rule === 'arpo'
            ? arpoBranches(u, delta, cfg.branch_probability, cfg.entropy_weight)
            : balancedBranches(
                u,
                delta,
                point.consecutive,
                cfg.branch_probability,
                cfg.entropy_weight,
                cfg.branch_penalty,
              );
        if (yes) n += 1;
      }
      return n;
    },
  };
}

/**
 * Hard attribution on a batch: a token whose action prefix k rows of its group share gets their mean
 * advantage times 1/k, so the shared segment contributes once. The 1/k is folded into the advantage,
 * which weights the token's PPO-clip loss exactly (the loss is positively homogeneous in A).
 */
export function attributeHard(batch: Batch): Reported<Batch> {
  const { rows, width } = batch;
  const rowAdv = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let t = 0; t < width; t++) {
      if (batch.mask[r * width + t]) {
        rowAdv[r] = batch.advantages[r * width + t];
        break;
      }
    }
  }
  const { advantages, weights } = hardAttribution(batch.actions, batch.mask, rowAdv, batch.groupId, width);
  let shared = 0;
  let valid = 0;
  const out = new Float32Array(rows * width);
  for (let i = 0; i < out.length; i++) {
    if (!batch.mask[i]) continue;
    out[i] = batch.isExtra[Math.floor(i / width)] ? batch.advantages[i] : advantages[i] * weights[i];
    valid += 1;
    if (weights[i] < 1) shared += 1;
  }
  return { value: { ...batch, advantages: out }, metrics: { shared_token_frac: valid ? shared / valid : 0 } };
}

export const arpoDefinition = defineRegularizer({
  name: 'arpo',
  summary: 'ARPO / entropy-balanced PO rollouts: fork a path after a turn whose first tokens gained entropy',
  schema: arpoSchema,
  create(cfg): Regularizer {
    return {
      // hard attribution compares the paths' sampled tokens
      readsActions: cfg.attribution === 'hard',
      planBranches: (info) => arpoBrancher(cfg, info),
      ...(cfg.attribution === 'hard' ? { prepareBatch: attributeHard } : {}),
    };
  },
});
