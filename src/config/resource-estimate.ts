// How much memory a config needs, judged before the first step, so that a config that cannot fit
// (`rollout.group_size: 100000000`) is refused with one line instead of V8 dying with "Reached heap
// limit" halfway into a step. The figures are the big allocations of one step, with per-object
// overheads measured on Node 20 (bench/soak.ts prints what a run really holds); they are meant to
// be right within a factor of about two, which is enough to tell "fits" from "cannot possibly".
// The policy's sizes come from its own definition (PolicyDefinition.estimate), and an environment
// may add what its instances hold (EnvDefinition.estimate), so a plugin's policy or env is sized by
// its own rule rather than a built-in's.
import os from 'node:os';
import v8 from 'node:v8';
import { needsReference } from '../../algorithms/regularizer.ts';
import { ENVS } from '../../envs/registry.ts';
import { UserError } from '../base/errors.ts';
import type { EnvShape } from '../policies/policy.ts';
import { POLICIES } from '../policies/registry.ts';
import type { Config } from './schema.ts';

const FLOAT = 4;
/** An episode's record and its env instance on the JS heap (objects, arrays, prompt). */
const EPISODE_OVERHEAD = 2_048;
/** Per recorded action: the observation's typed-array object plus the action, turn and log-prob entries. */
const TOKEN_OVERHEAD = 200;
/** Live [rows × width × actions] float tensors per logits tensor (logits, log-softmax, probabilities, entropy). */
const OLD_PASS_COPIES = 5;
/** The same under tf.variableGrads: forward intermediates kept for backward, plus their gradients. */
const UPDATE_COPIES = 12;
/** wasm32 memory ends at 4 GiB (the tfjs wasm build's `getHeapMax`): every tensor lives in it. */
const WASM_MEMORY_LIMIT = 4 * 1024 ** 3 - 65_536;

export type MemoryPool = 'heap' | 'tensors';

export interface MemoryPart {
  /** What holds the memory, for the error line ("1600000 episodes of up to 40 actions"). */
  what: string;
  /** The config keys that size it (lowering any shrinks it). */
  keys: string[];
  /** Keys that shrink it when raised (`grpo.mini_batches` splits the update). */
  raise?: string[];
  bytes: number;
  /** Where it lives: JS objects on V8's heap, or tensor/typed-array memory. */
  pool: MemoryPool;
}

export interface MemoryBudget {
  heap: number;
  tensors: number;
  /** How the limits were derived, for the error line. */
  source: string;
}

/** Slots per row, floats per stored observation and weights, as the configured policy reports them. */
export function policyShape(config: Config, env: EnvShape) {
  const { kind, ...policyConfig } = config.policy;
  const cost = POLICIES[kind].estimate(policyConfig, env);
  const observationFloats = env.observation.kind === 'features' ? env.observation.size : env.observation.maxLength;
  return { ...cost, observationFloats };
}

/** Heap bytes per env instance beyond the episode record, and the env keys that size it, as the configured env reports them. */
function envCost(config: Config): { instanceBytes: number; envKeys: string[] } {
  const { name, ...envConfig } = config.env;
  const cost = ENVS[name].estimate?.(envConfig);
  return { instanceBytes: cost?.instanceBytes ?? 0, envKeys: cost?.keys ?? [] };
}

/**
 * Refuse an env whose one instance cannot fit in the JS heap, from its config alone: building it
 * (`env.size: 100000` is 10¹⁰ cells) would run for a minute into V8's out-of-memory abort.
 */
export function assertEnvCanBuild(config: Config): void {
  const { instanceBytes, envKeys } = envCost(config);
  const heap = memoryBudget('cpu').heap;
  if (instanceBytes <= heap / 4) return;
  throw new UserError(
    `env '${config.env.name}' needs about ${gib(instanceBytes)} of JS heap for one instance, more than a quarter ` +
      `of the ${gib(heap)} V8 heap limit (every episode holds one); lower ${envKeys.join(' or ') || 'its size'}`,
    'memory',
  );
}

/** The big allocations of one `train` step. */
export function estimateTrainMemory(config: Config, env: EnvShape): MemoryPart[] {
  const { prompts_per_step: P, group_size: G } = config.rollout;
  const rows = P * G;
  const shape = policyShape(config, env);
  const sizes = { observationFloats: shape.observationFloats, ...envCost(config) };
  const slots = rows * shape.width;
  const rolloutKeys = ['rollout.prompts_per_step', 'rollout.group_size'];
  const policyKeys = shape.keys;
  const perSlot = env.numActions * OLD_PASS_COPIES + shape.activationsPerSlot;
  const miniBatchSlots = Math.ceil(rows / config.grpo.mini_batches) * shape.width;
  const evalRows = config.eval.episodes * ((config.eval.samples ?? config.eval.k) + 1);
  // weights, Adam m and v, gradients (+ the frozen reference)
  const copies = needsReference(config.grpo.use_kl_loss, config.regularizers) ? 5 : 4;
  const parts: MemoryPart[] = [
    ...episodeParts(`${rows} episodes (P × G) of up to ${env.maxTokens} actions`, rolloutKeys, rows, env, sizes),
    {
      what: `the old-policy pass over ${rows} rows × ${shape.width} slots × ${env.numActions} actions`,
      // the policy's activations scale with the observation, which the env's keys size
      keys: [...sizes.envKeys, ...rolloutKeys, ...policyKeys],
      bytes: slots * perSlot * FLOAT,
      pool: 'tensors',
    },
    {
      what:
        `the update of ${Math.ceil(rows / config.grpo.mini_batches)} rows per mini-batch × ` +
        `${shape.width} slots × ${env.numActions} actions`,
      keys: [...sizes.envKeys, ...rolloutKeys, ...policyKeys],
      raise: ['grpo.mini_batches'],
      bytes: miniBatchSlots * (env.numActions * UPDATE_COPIES + 3 * shape.activationsPerSlot) * FLOAT,
      pool: 'tensors',
    },
    {
      what: `the KV cache of ${rows} sampled episodes`,
      keys: [...rolloutKeys, ...policyKeys],
      bytes: rows * shape.kvPerRow * FLOAT,
      pool: 'tensors',
    },
    {
      what: `${shape.params} weights with their Adam moments and gradients`,
      keys: policyKeys,
      bytes: shape.params * copies * FLOAT,
      pool: 'tensors',
    },
    ...episodeParts(
      `${evalRows} evaluation episodes (episodes × (samples + 1))`,
      ['eval.episodes', 'eval.samples', 'eval.k'],
      evalRows,
      env,
      sizes,
    ),
  ];
  return parts.filter((p) => p.bytes > 0);
}

/** The big allocations of `sft`: every demonstration is held for the whole run. */
export function estimateSftMemory(config: Config, env: EnvShape): MemoryPart[] {
  const sft = config.sft ?? { demos: 2000, batch_size: 64 };
  const shape = policyShape(config, env);
  const sizes = { observationFloats: shape.observationFloats, ...envCost(config) };
  const batchSlots = Math.min(sft.batch_size, sft.demos) * shape.width;
  return [
    ...episodeParts(
      `${sft.demos} demonstrations of up to ${env.maxTokens} tokens`,
      ['sft.demos'],
      sft.demos,
      env,
      sizes,
    ),
    {
      what: `a step on ${sft.batch_size} demonstrations × ${shape.width} slots × ${env.numActions} tokens`,
      keys: ['sft.batch_size'],
      bytes: batchSlots * (env.numActions * UPDATE_COPIES + 3 * shape.activationsPerSlot) * FLOAT,
      pool: 'tensors',
    },
    {
      what: `${shape.params} weights with their Adam moments and gradients`,
      keys: ['policy'],
      bytes: shape.params * 4 * FLOAT,
      pool: 'tensors',
    },
  ];
}

/** Recorded episodes: JS objects on the heap (with the env instance each holds), observation arrays outside it. */
function episodeParts(
  what: string,
  keys: string[],
  rows: number,
  env: EnvShape,
  sizes: { observationFloats: number; instanceBytes: number; envKeys: string[] },
): MemoryPart[] {
  const { observationFloats, instanceBytes, envKeys } = sizes;
  return [
    {
      what,
      keys,
      bytes: rows * (EPISODE_OVERHEAD + env.maxTokens * TOKEN_OVERHEAD),
      pool: 'heap',
    },
    {
      what: `the env instances of ${what} (${gib(instanceBytes)} each)`,
      keys: [...envKeys, ...keys],
      bytes: rows * instanceBytes,
      pool: 'heap',
    },
    {
      what: `the observations of ${what} (${observationFloats} floats each)`,
      // an env's keys size its observations too (a gridworld's features are 2 × its cells)
      keys: [...envKeys, ...keys],
      bytes: rows * env.maxTokens * observationFloats * FLOAT,
      pool: 'tensors',
    },
  ];
}

/** What this process may use: V8's heap limit for JS objects; wasm's 4 GiB or the machine's memory for tensors. */
export function memoryBudget(backend: string): MemoryBudget {
  const heapLimit = v8.getHeapStatistics().heap_size_limit;
  const machine = os.totalmem();
  const tensors = backend === 'wasm' ? Math.min(WASM_MEMORY_LIMIT, machine) : machine;
  const tensorPool = backend === 'wasm' ? `wasm memory ${gib(tensors)}` : `machine memory ${gib(machine)}`;
  return {
    heap: heapLimit,
    tensors,
    source: `V8 heap limit ${gib(heapLimit)}, ${tensorPool}`,
  };
}

export function gib(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(1)} GiB` : `${(bytes / 1024 ** 2).toFixed(0)} MiB`;
}

/** Refuse a `train` config that cannot fit, before anything is written. */
export function assertTrainFits(config: Config, env: EnvShape, backend: string): void {
  assertFits(estimateTrainMemory(config, env), memoryBudget(backend));
}

/** Refuse an `sft` config that cannot fit, before anything is written. */
export function assertSftFits(config: Config, env: EnvShape, backend: string): void {
  assertFits(estimateSftMemory(config, env), memoryBudget(backend));
}

/** Throw one UserError line naming the keys of the largest part when a pool overflows. */
export function assertFits(parts: readonly MemoryPart[], budget: MemoryBudget): void {
  for (const pool of ['heap', 'tensors'] as const) {
    const inPool = parts.filter((p) => p.pool === pool);
    const total = inPool.reduce((s, p) => s + p.bytes, 0);
    if (total <= budget[pool]) continue;
    const largest = inPool.reduce((a, b) => (b.bytes > a.bytes ? b : a));
    const where = pool === 'heap' ? 'JS heap' : 'tensor memory';
    throw new UserError(
      `config needs about ${gib(total)} of ${where}, more than the ${gib(budget[pool])} available ` +
        `(${budget.source}); ` +
        `most of it (${gib(largest.bytes)}) is ${largest.what}: lower ${largest.keys.join(' or ')}` +
        (largest.raise ? `, or raise ${largest.raise.join(' or ')}` : ''),
      'memory',
    );
  }
}
