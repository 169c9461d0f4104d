// Maps the `env.name` of a config to its schema and factory. Adding an environment is adding
// one file in envs/ and one entry here.
import type { z } from 'zod';
import { arithmeticDefinition } from './arithmetic.ts';
import { constrainedWordsDefinition } from './constrained-words.ts';
import type { EnvFactory } from './env.ts';
import { gridworldDefinition } from './gridworld.ts';
import { guessNumberDefinition } from './guess-number.ts';
import { stringTransformDefinition } from './string-transform.ts';

export interface EnvDefinition<S extends z.ZodType = z.ZodType> {
  name: string;
  summary: string;
  /** Schema of the env block without its `name` key (strict: unknown keys are rejected). */
  schema: S;
  factory(config: z.infer<S>): EnvFactory;
}

export const ENVS: Record<string, EnvDefinition> = {
  [gridworldDefinition.name]: gridworldDefinition as unknown as EnvDefinition,
  [arithmeticDefinition.name]: arithmeticDefinition as unknown as EnvDefinition,
  [stringTransformDefinition.name]: stringTransformDefinition as unknown as EnvDefinition,
  [constrainedWordsDefinition.name]: constrainedWordsDefinition as unknown as EnvDefinition,
  [guessNumberDefinition.name]: guessNumberDefinition as unknown as EnvDefinition,
};
