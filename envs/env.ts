// The one environment interface of entrolab: episodic, possibly multi-turn, discrete actions.
//
// An action is a "token". A gridworld step is one token per turn; a text environment consumes
// the policy's tokens one at a time and ends a turn when the policy emits its end-of-turn token,
// then appends its own feedback to the observation. Either way the trainer sees the same loop:
// observe → sample a token → step. A "prompt" is a start state: GRPO draws P prompts per step and
// runs G episodes from each (docs/grpo.md "Group advantages": one group per prompt).
// `defineEnv` names and registers an environment the way `defineRegularizer` does a regularizer.
import type { z } from 'zod';
import { addDefinition, CONFIG_NAME, type DefinitionTable, definitionTable } from '../src/base/definitions.ts';
import type { Rng } from '../src/base/rng.ts';
import type { Tokenizer } from '../src/base/tokenizer.ts';

/** What an observation looks like, so the policy can be built to fit. */
export type ObservationSpec =
  | { kind: 'features'; size: number } // a Float32Array of `size` numbers (MLP input)
  | { kind: 'tokens'; vocabSize: number; maxLength: number }; // an Int32Array of token ids (transformer input)

export interface StepResult {
  reward: number;
  done: boolean;
  /** True when the task was solved (for success rates and pass@k). */
  success: boolean;
  /** True when this action closed a turn (always true for one-token turns). */
  turnEnded: boolean;
}

/** A JSON-serialisable description of a start state; the env knows how to reset to it. */
export type Prompt = { id: string } & Record<string, unknown>;

export type Split = 'train' | 'test';

export interface Env {
  readonly name: string;
  readonly numActions: number;
  readonly observation: ObservationSpec;
  /** Hard cap on the number of tokens (actions) in one episode. */
  readonly maxTokens: number;
  /** Draw a start state for the given split; the same rng state gives the same prompt. */
  samplePrompt(rng: Rng, split: Split): Prompt;
  /** Start an episode from `prompt`; `rng` drives the environment's own randomness (slips). */
  reset(prompt: Prompt, rng: Rng): void;
  observe(): Float32Array | Int32Array;
  step(action: number): StepResult;
  /** Index of the current turn, starting at 0 (EPO aggregates token → turn → trajectory). */
  readonly turn: number;
  /** Human-readable state for `entrolab play` and debugging. */
  render(): string;
  /** Names of the actions (e.g. 'up', or a token's text) for display. */
  actionName(action: number): string;
  /** Text environments: the vocabulary behind their token ids (saved with a transformer's checkpoint). */
  readonly tokenizer?: Tokenizer;
}

/** A factory builds fresh, independent env instances from a validated env config. */
export type EnvFactory = () => Env;

/** What an environment adds to the memory estimate (src/config/resource-estimate.ts), per episode. */
export interface EnvCost {
  /** JS heap bytes one env instance holds beyond its episode record (e.g. its own word list or grid). */
  instanceBytes: number;
  /**
   * The env keys that size an instance and its observations (`env.size`), named when they are what
   * does not fit; computed from the config alone, so a grid too large to build is refused unbuilt.
   */
  keys?: string[];
}

/** An environment's definition: its name (written only here), config schema and factory. */
export interface EnvDefinition<S extends z.ZodType = z.ZodType> {
  /** The config name (`env: {name: ...}`). */
  name: string;
  /** One line for `entrolab list` and the README. */
  summary: string;
  /** Schema of the env block without its `name` key (strict: unknown keys are rejected). */
  schema: S;
  factory(config: z.infer<S>): EnvFactory;
  /** Memory an instance holds that the estimate cannot see; omitted = nothing beyond the episode. */
  estimate?(config: z.infer<S>): EnvCost;
}

const DEFINITIONS = definitionTable<EnvDefinition>();

/** Every registered environment by name (built-ins register when envs/registry.ts is imported). */
export const ENVS: DefinitionTable<EnvDefinition> = DEFINITIONS;

/** Adds a definition to ENVS; a name that is taken or malformed is refused. */
export function registerEnv(def: EnvDefinition): void {
  addDefinition(DEFINITIONS, 'env', def.name, def, CONFIG_NAME);
}

/** Registers `def` and returns it (the one place an environment's name is written). */
export function defineEnv<S extends z.ZodType>(def: EnvDefinition<S>): EnvDefinition<S> {
  registerEnv(def);
  return def;
}
