// One GRPO training step in seven phases: plan → rollout → advantages → prepare → update → observe
// → after. Everything a step reads or advances lives in a `TrainingState`, so a state restored from
// a checkpoint continues exactly; the loop around the step (trainer.ts) owns the run directory.
import os from 'node:os';
import { ADV_ESTIMATORS } from '../../algorithms/advantages/registry.ts';
import { needsReference } from '../../algorithms/regularizer.ts';
import type { Env, EnvFactory, Prompt } from '../../envs/env.ts';
import { type Batch, selectRows, tokenCount } from '../base/batch.ts';
import { UserError } from '../base/errors.ts';
import { maskedMean, mean, populationStats } from '../base/numerics.ts';
import { makeStreams, type RngStreams } from '../base/rng.ts';
import type { Config } from '../config/schema.ts';
import { Adam } from '../core/adam.ts';
import { estimateAdvantages, estimatorMetrics } from '../core/advantages.ts';
import { entropyChange, logProbAdvantageCovariance } from '../core/entropy-diagnostics.ts';
import { entropyProfile } from '../core/entropy-profile.ts';
import { policyLossWarnings } from '../core/policy-loss.ts';
import {
  type ActiveRegularizer,
  createRegularizers,
  prefixMetrics,
  regularizerWarnings,
} from '../core/regularizer-set.ts';
import { collectReplay } from '../core/replay.ts';
import { shapeRewards } from '../core/reward-shaping.ts';
import { type StepPosition, updatePolicy } from '../core/update.ts';
import type { Policy } from '../policies/policy.ts';
import { runBranchingEpisodes } from '../rollout/branching-rollout.ts';
import { greedyGroupRewards } from '../rollout/greedy-rewards.ts';
import { actionLogits, buildBatch, type Episode, type GroupRequest, oldPass, runEpisodes } from '../rollout/rollout.ts';
import { RolloutWorkers, workerCountWarning } from '../rollout/rollout-workers.ts';
import { type Checkpoint, decodeOptimizerState, loadCheckpoint } from '../run/checkpoint.ts';
import type { MetricsRecord } from '../run/metrics-log.ts';
import { applySchedules } from './schedules-in-force.ts';
import { makeEnvFactory, makePolicy } from './setup.ts';
import { sampleSteps, type TokenSample, tokenSamples } from './token-samples.ts';

/** What a training step reads and advances: policy, optimizer, RNG streams, regularizer state. */
export interface TrainingState {
  config: Config;
  envFactory: EnvFactory;
  /** Samples the training prompts (an env instance outside any episode). */
  probeEnv: Env;
  streams: RngStreams;
  policy: Policy;
  /** The reference (grpo.use_kl_loss, or a definition's needsReference), frozen at the run's starting weights. */
  reference: Policy | null;
  optimizer: Adam;
  regularizers: ActiveRegularizer[];
  /** @internal The rollout worker threads when rollout.workers > 1 (closed by disposeTrainingState). */
  workers?: RolloutWorkers;
}

/** The metrics record of one step (without eval/ and perf/ fields) and what perf/ is computed from. */
export interface StepOutcome {
  metrics: MetricsRecord;
  /** Sampling plus the old (and reference) pass. */
  rolloutSeconds: number;
  updateSeconds: number;
  /** Seconds by finer phase: sample, old_pass, after_update (the pass behind entropy/measured_delta). */
  phaseSeconds: Record<string, number>;
  /** Response tokens trained on. */
  tokens: number;
  /** Value sets for histogram sinks: `entropy/token`, π_old's entropy at every valid token of the main rollout. */
  histograms: Record<string, Float32Array>;
  /** On the steps diagnostics.token_samples names: a few episodes with each token's entropy. */
  samples: TokenSample[];
}

export interface StateOptions {
  /** Continue from this checkpoint (loaded with `{ resume: true }`). */
  resumeFrom?: Checkpoint;
  /** The file `resumeFrom` was read from, named in errors about its regularizer state. */
  resumeFile?: string;
  /** Start-up warnings go here. */
  log: (line: string) => void;
}

/**
 * A fresh state for `given`, or the one saved in `resumeFrom`. A config with `init_from` starts
 * from that run's weights (and uses them as the KL reference); one with schedules gets its own copy,
 * into which each step writes the values in force.
 */
export function createTrainingState(given: Config, { resumeFrom, resumeFile, log }: StateOptions): TrainingState {
  // schedules write the value in force into the state's own copy, never into the caller's config
  const config = given.schedules ? structuredClone(given) : given;
  const envFactory = makeEnvFactory(config);
  const probeEnv = envFactory();
  const streams: RngStreams = makeStreams(config.seed, resumeFrom?.rng);
  const warmStart = config.init_from ? loadCheckpoint(config.init_from) : undefined;
  const policy = makePolicy(config, probeEnv, streams.init, resumeFrom ?? warmStart);
  const optimizer = new Adam(policy.variables, config.optim);
  if (resumeFrom?.optimizer) optimizer.setState(decodeOptimizerState(resumeFrom.optimizer, policy.variables));
  // the KL reference is the policy the run started from: the warm start, or the seed's fresh init
  const reference = needsReference(config.grpo.use_kl_loss, config.regularizers)
    ? makePolicy(config, probeEnv, makeStreams(config.seed).init, warmStart)
    : null;
  const regularizers: ActiveRegularizer[] = createRegularizers(config.regularizers, {
    seed: config.seed,
    where: 'regularizers',
    saved: resumeFrom?.regularizers,
    savedFrom: resumeFile,
  });
  const shape = {
    epochs: config.grpo.epochs,
    miniBatches: config.grpo.mini_batches,
    totalSteps: config.steps,
  };
  for (const w of [...policyLossWarnings(config.grpo), ...regularizerWarnings(regularizers, shape)]) {
    log(`entrolab: warning: ${w}`);
  }
  const state: TrainingState = { config, envFactory, probeEnv, streams, policy, reference, optimizer, regularizers };
  if (config.rollout.workers > 1) {
    try {
      state.workers = startWorkers(config, policy, envFactory, regularizers);
      const crowded = workerCountWarning(config.rollout.workers, os.availableParallelism());
      if (crowded) log(`entrolab: warning: ${crowded}`);
    } catch (e) {
      disposeTrainingState(state);
      throw e;
    }
  }
  return state;
}

/** The rollout worker threads, refused for a branching rollout (it forks episodes mid-way, in one thread). */
function startWorkers(
  config: Config,
  policy: Policy,
  envFactory: EnvFactory,
  regularizers: readonly ActiveRegularizer[],
): RolloutWorkers {
  const brancher = regularizers.find((r) => r.hooks.planBranches);
  if (brancher) {
    throw new UserError(
      `${config.rollout.workers} threads cannot run '${brancher.name}': its branching rollout runs in one thread; ` +
        'set rollout.workers: 1',
      'rollout.workers',
    );
  }
  return new RolloutWorkers(config, policy, envFactory);
}

export function disposeTrainingState(state: TrainingState): void {
  state.workers?.close();
  state.optimizer.dispose();
  state.policy.dispose();
  state.reference?.dispose();
}

/** Training step `step` (0-based): the seven phases, returning the step's metrics. */
export function trainStep(state: TrainingState, step: number): StepOutcome {
  const scheduled = state.config.schedules ? applySchedules(state.config, state.regularizers, step + 1) : {};
  const { config, envFactory, probeEnv, streams, policy, reference, optimizer, regularizers } = state;
  const temperature = config.rollout.temperature;
  const { prompts_per_step: P, group_size: G } = config.rollout;
  const actionNames = Array.from({ length: probeEnv.numActions }, (_, a) => probeEnv.actionName(a));
  const decodeInputs = policy.decodeInputs && ((json: unknown) => policy.decodeInputs!(json));
  const info: StepPosition = {
    step,
    totalSteps: config.steps,
    promptsPerStep: P,
    groupSize: G,
    actionNames,
    ...(decodeInputs && { decodeInputs }),
  };

  // 1. plan
  let sampleTemperature = temperature;
  const groups: GroupRequest[] = [];
  const prompts: Prompt[] = Array.from({ length: P }, () => probeEnv.samplePrompt(streams.prompts, 'train'));
  const extras: GroupRequest[] = [];
  for (const reg of regularizers) {
    const plan = reg.hooks.planRollout?.({ ...info, rng: reg.rng });
    if (plan?.temperature !== undefined) sampleTemperature = plan.temperature;
    if (plan?.extra) {
      const { promptIndices, groupSize, temperature: t } = plan.extra;
      for (const i of promptIndices)
        extras.push({
          prompt: prompts[i],
          count: groupSize,
          groupId: P + extras.length,
          temperature: t,
          isExtra: true,
        });
    }
  }
  prompts.forEach((prompt, i) =>
    groups.push({ prompt, count: G, groupId: i, temperature: sampleTemperature, isExtra: false }),
  );
  const branching = regularizers.flatMap((reg) => {
    const brancher = reg.hooks.planBranches?.({ ...info, rng: reg.rng });
    return brancher ? [{ name: reg.name, brancher }] : [];
  });
  if (branching.length > 1) throw new Error(`only one regularizer may plan branches (${branching.map((b) => b.name)})`);

  // 2. rollout and the old pass
  const tRollout = performance.now();
  const rngs = { env: streams.env, sampling: streams.sampling };
  const reuseSampled = !config.rollout.recompute_old_logprobs;
  let branchStats: Record<string, number> = {};
  let episodes: Episode[];
  if (branching.length) {
    const run = runBranchingEpisodes(envFactory, policy, groups, branching[0].brancher, rngs);
    episodes = [...run.episodes, ...(extras.length ? runEpisodes(envFactory, policy, extras, rngs) : [])];
    branchStats = prefixMetrics(branching[0].name, { ...run.stats });
  } else if (state.workers) episodes = state.workers.run(policy, [...groups, ...extras], step, reuseSampled);
  else episodes = runEpisodes(envFactory, policy, [...groups, ...extras], rngs, false, reuseSampled);
  // ReMax's baseline: one greedy episode per prompt, after the sampled ones (docs/advantages.md "ReMax")
  const estimator = ADV_ESTIMATORS[config.grpo.adv_estimator];
  const greedy = estimator.needs?.includes('greedyReward')
    ? greedyGroupRewards(envFactory, policy, [...groups, ...extras], rngs)
    : undefined;
  const tOldPass = performance.now();
  let batch = buildBatch(policy, episodes, temperature, true, reuseSampled);
  if (reference) batch.refLogProbs = oldPass(reference, batch.inputs, batch.actions, temperature, false).logProbs;
  if (regularizers.some((r) => r.definition.needsActionLogits))
    batch.oldActionLogits = actionLogits(policy, batch.inputs, batch.actions);
  const rolloutSeconds = (performance.now() - tRollout) / 1000;

  // 3. reward shaping, then the advantages of grpo.adv_estimator over the whole batch (docs/advantages.md)
  const shaped = shapeRewards(batch, regularizers, info);
  batch = shaped.batch;
  const greedyReward = greedy && Float64Array.from(batch.groupId, (g) => greedy.get(g) ?? 0);
  batch.advantages = estimateAdvantages({ ...batch, greedyReward }, config.grpo);
  const mainRows = Array.from({ length: batch.rows }, (_, i) => i).filter((i) => !batch.isExtra[i]);
  const main = extras.length ? selectRows(batch, mainRows) : batch;
  // the rollout's metrics describe the environment's rewards; shaping logs its own
  const scores = shaped.raw ? { ...main, reward: Float64Array.from(mainRows, (r) => shaped.raw![r]) } : main;
  const record: MetricsRecord = { step: step + 1, ...rowMetrics(scores, temperature), ...scheduled };
  record['entropy/cov_logprob_adv'] = logProbAdvantageCovariance(main.oldLogProbs, main.advantages, main.mask);
  const { entropy_positions: positions, high_entropy_nats: highNats } = config.diagnostics;
  Object.assign(record, entropyProfile({ ...main, entropy: main.oldEntropy }, { positions, highNats }));
  Object.assign(record, estimatorMetrics(main.advantages, main.mask, main.rows, main.width, config.grpo));
  if (greedyReward) record['adv/greedy_reward_mean'] = mean(Array.from(mainRows, (r) => greedyReward[r]));
  Object.assign(record, branchStats, shaped.metrics);

  // 4. prepare
  for (const reg of regularizers) {
    if (!reg.hooks.prepareBatch) continue;
    const prepared = reg.hooks.prepareBatch(batch, { ...info, rng: reg.rng });
    batch = prepared.value;
    Object.assign(record, prefixMetrics(reg.name, prepared.metrics));
  }

  const { replay, metrics: replayMetrics } = collectReplay(regularizers, batch, info);
  Object.assign(record, replayMetrics);

  // 5. update
  const tUpdate = performance.now();
  const update = updatePolicy(
    policy,
    optimizer,
    batch,
    regularizers,
    {
      grpo: config.grpo,
      gradClip: config.optim.grad_clip,
      temperature,
      highEntropyNats: config.diagnostics.high_entropy_nats,
    },
    info,
    streams.shuffle,
    replay,
  );
  Object.assign(record, update);
  const updateSeconds = (performance.now() - tUpdate) / 1000;

  // 6. observe: entropy on the same states after the update (every diagnostics.entropy_change_every steps)
  const tAfter = performance.now();
  const observe = step % config.diagnostics.entropy_change_every === 0;
  if (observe) Object.assign(record, entropyAfterUpdate(policy, main, temperature));
  const afterSeconds = (performance.now() - tAfter) / 1000;

  // 7. after
  for (const reg of regularizers) {
    const summary = {
      step,
      rolloutEntropy: record['entropy/rollout'],
      updateNll: update['actor/nll'] ?? 0,
      updateEntropy: update['actor/entropy'] ?? 0,
      batch,
    };
    Object.assign(record, prefixMetrics(reg.name, reg.hooks.afterStep?.(summary)?.metrics));
  }
  const phaseSeconds = {
    sample: (tOldPass - tRollout) / 1000,
    old_pass: rolloutSeconds - (tOldPass - tRollout) / 1000,
    ...(observe ? { after_update: afterSeconds } : {}),
  };
  const tokenEntropy = main.oldEntropy.filter((_, i) => main.mask[i] !== 0);
  return {
    metrics: record,
    rolloutSeconds,
    updateSeconds,
    phaseSeconds,
    tokens: tokenCount(batch),
    histograms: { 'entropy/token': tokenEntropy },
    samples: sampleSteps(config).has(step + 1) ? tokenSamples(step + 1, config, envFactory, episodes, main) : [],
  };
}

/** The same states' entropy after the update, and its measured and predicted (first-order) change. */
function entropyAfterUpdate(policy: Policy, main: Batch, temperature: number): MetricsRecord {
  const after = oldPass(policy, main.inputs, main.actions, temperature, true);
  const change = entropyChange(main.oldLogPolicy!, after.logPolicy!, main.mask, main.numActions);
  return {
    'entropy/after_update': maskedMean(after.entropy, main.mask),
    'entropy/measured_delta': change.measured,
    'entropy/predicted_delta': change.predicted,
  };
}

/** Rollout metrics of the main (non-extra) rows, named as verl names them where it has them. */
function rowMetrics(batch: Batch, temperature: number): MetricsRecord {
  const rewards = Array.from(batch.reward);
  const score = populationStats(rewards);
  const groups = new Map<number, number[]>();
  batch.groupId.forEach((g, i) => groups.set(g, [...(groups.get(g) ?? []), rewards[i]]));
  let zeroStd = 0;
  for (const rs of groups.values()) if (rs.every((r) => r === rs[0])) zeroStd += 1;
  // the sampler's log-probs (incremental, e.g. KV cache) against the training forward pass's:
  // equal up to float error when both use the same temperature
  let mismatch = 0;
  for (let i = 0; i < batch.mask.length; i++) {
    const row = Math.floor(i / batch.width);
    if (batch.mask[i] && batch.sampleLogProbs && batch.temperature[row] === Math.fround(temperature)) {
      mismatch = Math.max(mismatch, Math.abs(batch.sampleLogProbs[i] - batch.oldLogProbs[i]));
    }
  }
  return {
    'rollout/logprob_diff_max': mismatch,
    'critic/score/mean': score.mean,
    'critic/score/std': score.std,
    success_rate: mean(batch.success),
    'response_length/mean': mean(batch.length),
    'num_turns/mean': mean(batch.turns),
    frac_reward_zero_std: groups.size ? zeroStd / groups.size : 0,
    'entropy/rollout': maskedMean(batch.oldEntropy, batch.mask),
  };
}
