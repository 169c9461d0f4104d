// The categorical policy interface: logits over a discrete action/token set.
// A policy knows nothing of RL. It maps recorded episodes to a tensor-ready input, computes
// logits for every slot of that input (with gradient), and samples step by step during rollouts.
// `definePolicy` names and registers a policy the way `defineRegularizer` does a regularizer.
import type * as tf from '@tensorflow/tfjs';
import type { z } from 'zod';
import type { Env } from '../../envs/env.ts';
import { addDefinition, CONFIG_NAME, type DefinitionTable, definitionTable } from '../base/definitions.ts';
import type { PolicyInputs } from '../base/policy-inputs.ts';
import type { Rng } from '../base/rng.ts';

export type { PolicyInputs };

/** What one finished episode looked like, as the rollout recorded it. */
export interface EpisodeRecord {
  /** observations[j] is what the policy saw when it chose actions[j]. */
  observations: (Float32Array | Int32Array)[];
  actions: number[];
}

export interface EncodedEpisodes {
  inputs: PolicyInputs;
  /** slots[r][j] = index (in 0..width) of the slot whose logits chose action j of row r. */
  slots: Int32Array[];
}

/** One batch of episodes being sampled in lock-step; may keep a cache (KV cache). */
export interface SamplingSession {
  /**
   * Logits at temperature 1 for the next action of each listed episode, given the full
   * observation each one has now. Returns a [ids.length × numActions] row-major array.
   */
  nextLogits(ids: readonly number[], observations: readonly (Float32Array | Int32Array)[]): Float32Array;
  dispose(): void;
}

export interface Policy {
  readonly kind: string;
  readonly numActions: number;
  /** Trainable variables, in a fixed order (checkpoints and the optimizer rely on it). */
  readonly variables: tf.Variable[];
  /** Logits at temperature 1 for every slot: [rows*width, numActions], row-major. Differentiable. */
  logits(inputs: PolicyInputs): tf.Tensor2D;
  encodeEpisodes(episodes: readonly EpisodeRecord[]): EncodedEpisodes;
  startSampling(episodes: number): SamplingSession;
  /** A frozen copy with the current weights (the KL reference policy). */
  snapshot(): Policy;
  /** Extra state to save beside the weights (e.g. the tokenizer), JSON-serialisable. */
  describe(): Record<string, unknown>;
  /** Inputs from their `toJSON()` (rows restored from a checkpoint); throws on another policy's. */
  decodeInputs?(json: unknown): PolicyInputs;
  dispose(): void;
}

/** The env properties a policy's memory estimate may read (no instance is needed beyond these). */
export type EnvShape = Pick<Env, 'name' | 'numActions' | 'maxTokens' | 'observation'>;

/** The sizes of one policy on one env, for the memory estimate (src/config/resource-estimate.ts). */
export interface PolicyCost {
  /** Slots per row of the policy input (one set of logits each). */
  width: number;
  /** Trainable weights. */
  params: number;
  /** Floats of activations per slot in one forward pass (the update holds a few times this). */
  activationsPerSlot: number;
  /** Floats cached per sampled episode (a transformer's keys and values); 0 when none. */
  kvPerRow: number;
  /** The config keys that size the weights and caches, named when the estimate refuses a config. */
  keys: string[];
}

/** A policy's definition: its kind (written only here), config schema, constructor and estimate. */
export interface PolicyDefinition<S extends z.ZodType = z.ZodType> {
  /** The config name (`policy: {kind: ...}`). */
  kind: string;
  /** One line for `entrolab list` and the README. */
  summary: string;
  /** Schema of the policy block without its `kind` key (strict: unknown keys are rejected). */
  schema: S;
  /** Build a fresh policy for `env`, drawing initial weights from `rng`. */
  create(config: z.infer<S>, env: Env, rng: Rng): Policy;
  /** Rebuild a policy from `describe()` output (checkpoint); weights are loaded after. */
  restore?(config: z.infer<S>, env: Env, described: Record<string, unknown>, rng: Rng): Policy;
  /** Its sizes on `env`, judged before anything is built; throws create's error for an env it cannot read. */
  estimate(config: z.infer<S>, env: EnvShape): PolicyCost;
}

const DEFINITIONS = definitionTable<PolicyDefinition>();

/** Every registered policy by kind (built-ins register when src/policies/registry.ts is imported). */
export const POLICIES: DefinitionTable<PolicyDefinition> = DEFINITIONS;

/** Adds a definition to POLICIES; a kind that is taken or malformed is refused. */
export function registerPolicy(def: PolicyDefinition): void {
  addDefinition(DEFINITIONS, 'policy', def.kind, def, CONFIG_NAME);
}

/** Registers `def` and returns it (the one place a policy's kind is written). */
export function definePolicy<S extends z.ZodType>(def: PolicyDefinition<S>): PolicyDefinition<S> {
  registerPolicy(def);
  return def;
}
