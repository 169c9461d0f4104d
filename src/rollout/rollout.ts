// Rollouts: run groups of episodes in lock-step, sampling one token per active episode per step
// from the policy at a temperature (or greedily), and turn them into a padded training Batch.
import * as tf from '@tensorflow/tfjs';
import { tokenStats } from '../../algorithms/grpo.ts';
import type { Env, EnvFactory, Prompt, StepResult } from '../../envs/env.ts';
import type { Batch } from '../base/batch.ts';
import { logPolicyEntropy, logSoftmax, logSoftmaxAt } from '../base/numerics.ts';
import type { Rng } from '../base/rng.ts';
import type { EpisodeRecord, Policy } from '../policies/policy.ts';
import { layoutEpisodes, placePerAction } from './episode-layout.ts';

export interface GroupRequest {
  prompt: Prompt;
  /** Episodes to run from this prompt. */
  count: number;
  groupId: number;
  temperature: number;
  isExtra: boolean;
}

export interface Episode extends EpisodeRecord {
  groupId: number;
  prompt: Prompt;
  reward: number;
  success: boolean;
  /** Turn index at which each action was taken. */
  turnIndex: number[];
  /** log π(a) of each sampled action, from the very logits it was drawn from (sampling temperature). */
  sampleLogProbs: number[];
  /** log softmax(logits / T) over all actions at each sampled token, from the same logits (absent
   * from branching rollouts): lets buildBatch skip the old pass (rollout.recompute_old_logprobs). */
  sampleLogPolicy?: Float32Array[];
  turns: number;
  temperature: number;
  isExtra: boolean;
}

export interface RolloutRngs {
  env: Rng;
  sampling: Rng;
}

/** Sample from softmax(logits / T) (or argmax when greedy), in doubles. */
export function sampleToken(
  logits: Float32Array,
  offset: number,
  numActions: number,
  temperature: number,
  greedy: boolean,
  rng: Rng,
): number {
  let best = 0;
  for (let a = 1; a < numActions; a++) if (logits[offset + a] > logits[offset + best]) best = a;
  if (greedy) return best;
  const weights = new Float64Array(numActions);
  for (let a = 0; a < numActions; a++)
    weights[a] = Math.exp((logits[offset + a] - logits[offset + best]) / temperature);
  return rng.categorical(weights);
}

/** A fresh episode record for one member of group `g`; `keepLogPolicy` records full log-distributions. */
export function startEpisode(g: GroupRequest, keepLogPolicy = false): Episode {
  return {
    observations: [],
    actions: [],
    turnIndex: [],
    sampleLogProbs: [],
    sampleLogPolicy: keepLogPolicy ? [] : undefined,
    groupId: g.groupId,
    prompt: g.prompt,
    reward: 0,
    success: false,
    turns: 0,
    temperature: g.temperature,
    isExtra: g.isExtra,
  };
}

/**
 * One token of an episode: draw it from its row of `logits` (at the episode's temperature), record
 * it with its log-prob (and full log-distribution when the episode keeps them), and step the env.
 * `finished` when the env is done or the episode is out of tokens; then `turns` is set.
 */
export function sampleStep(
  ep: Episode,
  env: Env,
  observation: Float32Array | Int32Array,
  logits: Float32Array,
  offset: number,
  numActions: number,
  sampling: { greedy: boolean; rng: Rng },
): { result: StepResult; finished: boolean } {
  const action = sampleToken(logits, offset, numActions, ep.temperature, sampling.greedy, sampling.rng);
  ep.observations.push(observation);
  ep.actions.push(action);
  ep.turnIndex.push(env.turn);
  ep.sampleLogProbs.push(logSoftmaxAt(logits, offset, numActions, ep.temperature, action));
  ep.sampleLogPolicy?.push(logSoftmax(logits, offset, numActions, ep.temperature));
  const result = env.step(action);
  ep.reward += result.reward;
  if (result.success) ep.success = true;
  const finished = result.done || ep.actions.length >= env.maxTokens;
  if (finished) ep.turns = env.turn + (result.turnEnded ? 0 : 1);
  return { result, finished };
}

/**
 * Run every requested episode to the end. Deterministic given the streams' states: one pair for
 * every episode (the in-process rollout), or one pair per group, `rngs[g]` for `groups[g]` (the
 * rollout workers' way, src/rollout/group-streams.ts, so an episode's draws do not depend on which
 * other groups share its batch). `keepLogPolicy` records each sampled token's full log-distribution
 * (for `rollout.recompute_old_logprobs: false`); otherwise the hot loop skips that work.
 */
export function runEpisodes(
  envFactory: EnvFactory,
  policy: Policy,
  groups: readonly GroupRequest[],
  rngs: RolloutRngs | readonly RolloutRngs[],
  greedy = false,
  keepLogPolicy = false,
): Episode[] {
  const envs: Env[] = [];
  const episodes: Episode[] = [];
  const streams: RolloutRngs[] = [];
  groups.forEach((g, gi) => {
    const own = Array.isArray(rngs) ? (rngs as readonly RolloutRngs[])[gi] : (rngs as RolloutRngs);
    for (let k = 0; k < g.count; k++) {
      const env = envFactory();
      env.reset(g.prompt, own.env);
      envs.push(env);
      episodes.push(startEpisode(g, keepLogPolicy));
      streams.push(own);
    }
  });
  const session = policy.startSampling(episodes.length);
  try {
    let active = episodes.map((_, i) => i);
    while (active.length > 0) {
      const observations = active.map((i) => envs[i].observe());
      const logits = session.nextLogits(active, observations);
      const next: number[] = [];
      active.forEach((i, j) => {
        const A = policy.numActions;
        const step = sampleStep(episodes[i], envs[i], observations[j], logits, j * A, A, {
          greedy,
          rng: streams[i].sampling,
        });
        if (!step.finished) next.push(i);
      });
      active = next;
    }
  } finally {
    session.dispose();
  }
  return episodes;
}

/**
 * Lay episodes out as a padded Batch and run the "old pass": log-probs and full entropy of π_old at
 * the training temperature for every slot (docs/grpo.md "Log-probs and entropy": the same scaled
 * logits as the loss). With `reuseSampled`, when every episode was sampled at the training
 * temperature and kept its sampler's distributions, those are π_old (the same weights, the same
 * logits up to float error) and no pass runs.
 */
export function buildBatch(
  policy: Policy,
  episodes: readonly Episode[],
  trainingTemperature: number,
  keepLogPolicy: boolean,
  reuseSampled = false,
): Batch {
  const layout = layoutEpisodes(policy, episodes);
  const { inputs, slots, rows, width, actions, mask } = layout;
  const n = rows * width;
  const turnIndex = placePerAction(layout, episodes, (ep, j) => ep.turnIndex[j], new Int32Array(n));
  const sampleLogProbs = placePerAction(layout, episodes, (ep, j) => ep.sampleLogProbs[j], new Float32Array(n));
  // rows sampled at another temperature (AEPO's extra rollouts) need the pass at the training one
  const reuse = reuseSampled && episodes.every((e) => e.sampleLogPolicy && e.temperature === trainingTemperature);
  const old = reuse
    ? sampledPass(episodes, slots, width, policy.numActions, keepLogPolicy)
    : oldPass(policy, inputs, actions, trainingTemperature, keepLogPolicy);
  return {
    rows,
    width,
    inputs,
    actions,
    mask,
    turnIndex,
    sampleLogProbs,
    oldLogProbs: old.logProbs,
    oldEntropy: old.entropy,
    oldLogPolicy: old.logPolicy,
    numActions: policy.numActions,
    advantages: new Float32Array(n),
    groupId: Int32Array.from(episodes, (e) => e.groupId),
    reward: Float64Array.from(episodes, (e) => e.reward),
    success: Uint8Array.from(episodes, (e) => (e.success ? 1 : 0)),
    length: Int32Array.from(episodes, (e) => e.actions.length),
    turns: Int32Array.from(episodes, (e) => e.turns),
    temperature: Float32Array.from(episodes, (e) => e.temperature),
    isExtra: Uint8Array.from(episodes, (e) => (e.isExtra ? 1 : 0)),
  };
}

export interface PassValues {
  logProbs: Float32Array;
  entropy: Float32Array;
  logPolicy?: Float32Array;
}

/** The old pass's values from the sampler's own distributions; padding slots get the uniform one. */
function sampledPass(
  episodes: readonly Episode[],
  slots: readonly ArrayLike<number>[],
  width: number,
  A: number,
  keepLogPolicy: boolean,
): PassValues {
  const n = episodes.length * width;
  const logProbs = new Float32Array(n);
  const entropy = new Float32Array(n).fill(Math.log(A));
  const logPolicy = new Float32Array(keepLogPolicy ? n * A : 0).fill(-Math.log(A));
  episodes.forEach((ep, r) =>
    ep.actions.forEach((_, j) => {
      const s = r * width + slots[r][j];
      const dist = ep.sampleLogPolicy![j];
      logProbs[s] = ep.sampleLogProbs[j];
      entropy[s] = logPolicyEntropy(dist, 0, A);
      if (keepLogPolicy) logPolicy.set(dist, s * A);
    }),
  );
  return { logProbs, entropy, logPolicy: keepLogPolicy ? logPolicy : undefined };
}

/** A forward pass without gradient, read back into arrays. */
export function oldPass(
  policy: Policy,
  inputs: Batch['inputs'],
  actions: Int32Array,
  temperature: number,
  keepLogPolicy: boolean,
): PassValues {
  const stats = tf.tidy(() => {
    const s = tokenStats(policy.logits(inputs), actions, temperature);
    return [s.logProbs, s.entropy, s.logPolicy] as const;
  });
  const out: PassValues = {
    logProbs: stats[0].dataSync() as Float32Array,
    entropy: stats[1].dataSync() as Float32Array,
    logPolicy: keepLogPolicy ? (stats[2].dataSync() as Float32Array) : undefined,
  };
  stats.forEach((t) => t.dispose());
  return out;
}

/**
 * π_old's raw logit (before temperature) of each taken action, [rows*width], in a no-grad pass
 * (UCAS normalises it over the batch; needsActionLogits in algorithms/regularizer.ts).
 */
export function actionLogits(policy: Policy, inputs: Batch['inputs'], actions: Int32Array): Float32Array {
  const picked = tf.tidy(() => {
    const logits = policy.logits(inputs);
    return tf.sum(tf.mul(logits, tf.oneHot(tf.tensor1d(actions, 'int32'), logits.shape[1])), 1);
  });
  const out = picked.dataSync() as Float32Array;
  picked.dispose();
  return out;
}
