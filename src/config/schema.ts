// The typed run configuration: every field with its default and a one-line doc (CleanRL style).
// The env, policy and regularizer blocks are validated by the schema their registry entry owns.
import { z } from 'zod';
import { ADV_ESTIMATOR_NAMES } from '../../algorithms/advantages/registry.ts';
import { AGG_MODES } from '../../algorithms/aggregate.ts';
import { KL_TYPES } from '../../algorithms/grpo.ts';
import { bapoSchema } from '../../algorithms/policy-losses/bapo.ts';
import { droSchema } from '../../algorithms/policy-losses/dro.ts';
import { gppoSchema } from '../../algorithms/policy-losses/gppo.ts';
import { POLICY_LOSS_NAMES } from '../../algorithms/policy-losses/registry.ts';
import { sapoSchema } from '../../algorithms/policy-losses/sapo.ts';
import type { Schedules } from './schedule.ts';

export { AGG_MODES, KL_TYPES };

/** The most rollout worker threads a run may ask for (rollout.workers). */
export const MAX_ROLLOUT_WORKERS = 64;

const positiveInt = z.number().int().min(1);
/** A count from 1 to `max`: the maxima are far above anything that trains on one machine, and the
 * memory estimate (src/config/resource-estimate.ts) judges what a combination of them needs. */
const count = (max: number) => positiveInt.max(max);

/** One directory name: letters, digits, '.', '_', '-', and not '.' or '..' (names come from shared files). */
export const pathSegment = z
  .string()
  .regex(/^[A-Za-z0-9._-]+$/, { message: "must be one path segment: letters, digits, '.', '_', '-'" })
  .refine((s) => s !== '.' && s !== '..', { message: "must be one path segment, not '.' or '..'" });

export const rolloutSchema = z
  .object({
    /** P: start states ("prompts") drawn per step. */
    prompts_per_step: count(65_536).default(8),
    /** G: episodes per prompt (one GRPO group). */
    group_size: count(65_536).default(8),
    /** Sampling temperature; log-probs and entropy use the same scaled logits. */
    temperature: z.number().gt(0).default(1),
    /** Recompute π_old's log-probs, entropies and distributions in a separate no-grad pass (verl's
     * way); false reuses the sampler's own when it sampled at this temperature (README says when). */
    recompute_old_logprobs: z.boolean().default(true),
    /** Threads that sample the rollouts (README "Rollout workers"): 1 samples in the main thread on the
     * run's streams; W > 1 splits the groups over the main thread and W − 1 worker threads, each group
     * on streams of its own. */
    workers: count(MAX_ROLLOUT_WORKERS).default(1),
  })
  .strict();

/** grpo.otb: the optimal token baseline's settings (docs/advantages.md "Optimal token baseline"). */
export const otbSchema = z
  .object({
    /** When a group's longest row is unique, its baseline is 0 past the second-longest length (verl's default). */
    handle_zero_tail: z.boolean().default(true),
    /** ε added to the baseline's denominator Σ W. */
    epsilon: z.number().min(0).default(1e-8),
  })
  .strict();

export const grpoSchema = z
  .object({
    /** How rewards become advantages (docs/advantages.md): grpo, rloo, reinforce_plus_plus, remax, … */
    adv_estimator: z.enum(ADV_ESTIMATOR_NAMES).default('grpo'),
    /** Discount of the reward-to-go (reinforce_plus_plus). */
    gamma: z.number().min(0).max(1).default(1),
    /** QAE (arXiv 2509.22611): the group baseline is this quantile of the group's rewards when 0 < K < 1
     * (README's start: 0.4); any other value is plain GRPO. Only with adv_estimator: grpo. */
    quantile_k: z.number().default(-1),
    otb: otbSchema.default(otbSchema.parse({})),
    /** The per-token PG loss (docs/policy-losses.md): vanilla PPO-clip, gspo, sapo, cispo, geo_mean, gpg, … */
    policy_loss: z.enum(POLICY_LOSS_NAMES).default('vanilla'),
    /** SAPO's gate temperatures (policy_loss: sapo). */
    sapo: sapoSchema.default(sapoSchema.parse({})),
    /** DRO's penalty β (policy_loss: dro, where it is required). */
    dro: droSchema.default(droSchema.parse({})),
    /** GPPO / CE-GPPO's gradient scales and positive NLL term (policy_loss: gppo). */
    gppo: gppoSchema.default(gppoSchema.parse({})),
    /** BAPO's bound search (policy_loss: bapo); bounds are ratios, not ε's. */
    bapo: bapoSchema.default(bapoSchema.parse({})),
    /** Divide by the group's (unbiased) std; false = Dr.GRPO mean-only (docs/grpo.md "Group advantages"). */
    norm_adv_by_std: z.boolean().default(true),
    /** ε added to the group std. */
    epsilon: z.number().min(0).default(1e-6),
    /** ε_low of the PPO clip (docs/grpo.md "PPO-clip with clip-higher and dual clip"). */
    clip_ratio_low: z.number().min(0).default(0.2),
    /** ε_high of the PPO clip; > ε_low is DAPO's clip-higher. */
    clip_ratio_high: z.number().min(0).default(0.2),
    /** Dual-clip c (> 1): caps the loss of negative-advantage tokens at c·|A|. */
    clip_ratio_c: z.number().gt(1).default(3),
    /** How per-token losses are reduced (docs/grpo.md "Loss aggregation"). */
    loss_agg_mode: z.enum(AGG_MODES).default('token-mean'),
    /** Entropy bonus coefficient; entropy is always computed and logged. */
    entropy_coeff: z.number().min(0).default(0),
    /** Add coef · KL(π‖π_ref) to the loss, π_ref = the initial policy. */
    use_kl_loss: z.boolean().default(false),
    kl_loss_coef: z.number().min(0).default(0.001),
    /** KL estimator (docs/grpo.md "KL estimators"); a "+" suffix takes k2's gradient (straight-through). */
    kl_loss_type: z.enum(KL_TYPES).default('low_var_kl'),
    /** Passes over each rollout. */
    epochs: count(1_000).default(1),
    /** Mini-batches per epoch (one optimizer step each); regularizer statistics are per mini-batch. */
    mini_batches: count(65_536).default(1),
  })
  .strict()
  .refine((g) => g.adv_estimator === 'grpo' || !(g.quantile_k > 0 && g.quantile_k < 1), {
    message:
      'QAE replaces the group mean of adv_estimator: grpo only; leave quantile_k at -1 (off) with another estimator',
    path: ['quantile_k'],
  })
  .refine((g) => g.policy_loss !== 'dro' || g.dro.beta !== undefined, {
    message: "policy_loss dro needs grpo.dro.beta > 0 (verl's example: 0.05)",
    path: ['dro', 'beta'],
  });

export const optimSchema = z
  .object({
    /** Adam learning rate. */
    lr: z.number().gt(0).default(3e-3),
    beta1: z.number().min(0).lt(1).default(0.9),
    beta2: z.number().min(0).lt(1).default(0.999),
    eps: z.number().gt(0).default(1e-8),
    /** Clip the global gradient norm to this value (0 = off). */
    grad_clip: z.number().min(0).default(1),
  })
  .strict();

export const evalSchema = z
  .object({
    /** Episodes per evaluation (greedy and sampled). */
    episodes: count(1_000_000).default(64),
    /** Evaluate on the test split every N steps during training (0 = only at the end). */
    every: z.number().int().min(0).max(100_000_000).default(0),
    /** k of pass@k for `entrolab eval`. */
    k: count(1_024).default(4),
    /** Sampled episodes per test prompt, n ≥ k (default: k); pass@k uses the unbiased estimator from n. */
    samples: count(1_024).optional(),
    /** The k's of summary.json's pass@k curve, each ≤ samples (default: 1, 2, 4, … up to samples, and k). */
    pass_k: z.array(count(1_024)).min(1).optional(),
    /** pass@k logged as eval/pass@K at every eval.every step, each ≤ samples (drawing samples per prompt). */
    log_pass_k: z.array(count(1_024)).min(1).optional(),
  })
  .strict()
  .refine((e) => (e.samples ?? e.k) >= e.k, { message: 'eval.samples must be >= eval.k', path: ['samples'] })
  .refine((e) => (e.pass_k ?? []).every((k) => k <= (e.samples ?? e.k)), {
    message: 'every eval.pass_k must be <= eval.samples (default: eval.k)',
    path: ['pass_k'],
  })
  .refine((e) => (e.log_pass_k ?? []).every((k) => k <= (e.samples ?? e.k)), {
    message: 'every eval.log_pass_k must be <= eval.samples (default: eval.k)',
    path: ['log_pass_k'],
  });

export const checkpointSchema = z
  .object({
    /** Write a checkpoint every N steps (and always at the end). */
    every: count(100_000_000).default(10),
  })
  .strict();

/** diagnostics.entropy_alarm: a warning (or a stop) when the rollout entropy stays past a bound. */
export const entropyAlarmSchema = z
  .object({
    /** Alarm when the rollout entropy stays below this (a collapse); omit for no lower bound. */
    below: z.number().min(0).optional(),
    /** Alarm when the rollout entropy stays above this (an explosion); omit for no upper bound. */
    above: z.number().min(0).optional(),
    /** fraction: the bounds are multiples of the run's first-step rollout entropy; nats: absolute. */
    unit: z.enum(['fraction', 'nats']).default('fraction'),
    /** Consecutive steps past a bound before the alarm fires. */
    patience: count(100_000_000).default(5),
    /** warn: a progress-line warning and alarm/ metrics; stop: that, then checkpoint and end the run (status `stopped`). */
    on_alarm: z.enum(['warn', 'stop']).default('warn'),
  })
  .strict()
  .refine((a) => a.below === undefined || a.above === undefined || a.below < a.above, {
    message: 'entropy_alarm.below must be < entropy_alarm.above',
    path: ['below'],
  });

export type EntropyAlarmConfig = z.infer<typeof entropyAlarmSchema>;

export const diagnosticsSchema = z
  .object({
    /** entropy/by_position/k and entropy/by_turn/k are logged for k = 1 … this many. */
    entropy_positions: count(1_000).default(8),
    /** entropy/frac_high: the share of valid tokens whose entropy is above this many nats. */
    high_entropy_nats: z.number().min(0).default(1),
    /** Sampled episodes saved with each token's entropy (token-samples.jsonl; the report shades them), or false. */
    token_samples: z
      .union([
        z.literal(false),
        z
          .object({
            /** The steps to save (default: the first, the middle and the last). */
            steps: z.array(count(100_000_000)).min(1).optional(),
            /** Episodes per saved step: the first episode of the first this-many prompts. */
            episodes: count(64).default(3),
          })
          .strict(),
      ])
      .default({ episodes: 3 }),
    /** Watch the rollout entropy for a collapse (default: below 10% of step 1's for 5 steps, warn); false: off. */
    entropy_alarm: z.union([z.literal(false), entropyAlarmSchema]).default(entropyAlarmSchema.parse({ below: 0.1 })),
    /** Measure the update's entropy change (an extra forward pass after the update) on steps 1, 1+N,
     * 1+2N, …; the other steps' records lack entropy/after_update, measured_delta and predicted_delta. */
    entropy_change_every: count(100_000_000).default(1),
  })
  .strict();

/** `entrolab sft`: supervised warm start on the env's demonstrations (text envs). */
export const sftSchema = z
  .object({
    /** Demonstration episodes generated from the train split. */
    demos: count(10_000_000).default(2000),
    /** Fraction of demonstrations with a wrong answer (so the warm start is imperfect). */
    wrong_fraction: z.number().min(0).max(1).default(0.3),
    /** Optimizer steps (one mini-batch each). */
    steps: count(100_000_000).default(400),
    /** Demonstrations per mini-batch. */
    batch_size: count(1_000_000).default(64),
    /** Adam learning rate. */
    lr: z.number().gt(0).default(3e-3),
    /** Clip the global gradient norm to this value (0 = off). */
    grad_clip: z.number().min(0).default(1),
    /** Write a metrics line every N steps. */
    log_every: count(100_000_000).default(20),
    /** Write a checkpoint every N steps (and always at the end); an SFT step is far cheaper than a GRPO one. */
    checkpoint_every: count(100_000_000).default(100),
  })
  .strict();

/** A plugin as written (a path or package name) or as a resolved config records it. */
export const pluginEntrySchema = z.union([
  z.string().min(1),
  z
    .object({
      /** Absolute path of the imported file. */
      file: z.string().min(1),
      /** sha256 of the file when the run started; `--resume` refuses when it differs. */
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
      package: z.string().optional(),
      version: z.string().optional(),
    })
    .strict(),
]);

export const topSchema = z
  .object({
    /** Modules imported before env, policy and regularizers are read: paths relative to this file,
     * or package names (docs/plugins.md). A run's resolved config lists each with its sha256. */
    plugins: z.array(pluginEntrySchema).optional(),
    /** Run name: the run directory is <out>/<name> (one path segment). */
    name: pathSegment.default('run'),
    /** One seed for every random stream (init, prompts, env, sampling, shuffle, one per regularizer). */
    seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
    /** Training steps (each: rollout, advantages, update). */
    steps: count(100_000_000).default(50),
    /** Start from another run's checkpoint (e.g. an SFT warm start): a run dir or checkpoint file. */
    init_from: z.string().optional(),
    rollout: rolloutSchema.default(rolloutSchema.parse({})),
    grpo: grpoSchema.default(grpoSchema.parse({})),
    optim: optimSchema.default(optimSchema.parse({})),
    eval: evalSchema.default(evalSchema.parse({})),
    checkpoint: checkpointSchema.default(checkpointSchema.parse({})),
    diagnostics: diagnosticsSchema.default(diagnosticsSchema.parse({})),
    /** Settings of `entrolab sft` (ignored by `train`). */
    sft: sftSchema.optional(),
  })
  .strict();

export type TopConfig = z.infer<typeof topSchema>;
export type RolloutConfig = z.infer<typeof rolloutSchema>;
export type GrpoConfig = z.infer<typeof grpoSchema>;
export type OptimConfig = z.infer<typeof optimSchema>;
export type SftConfig = z.infer<typeof sftSchema>;
export type EvalConfig = z.infer<typeof evalSchema>;

/** A validated config: the top-level sections plus the registry-validated blocks. */
export interface Config extends TopConfig {
  env: { name: string } & Record<string, unknown>;
  policy: { kind: string } & Record<string, unknown>;
  regularizers: ({ name: string } & Record<string, unknown>)[];
  /** The settings written as schedules (docs/schedules.md), by key path; each setting above holds
   * its value at step 1, and the trainer sets the value in force at every step. */
  schedules?: Schedules;
}
