// Maps the `policy.kind` of a config to its schema and constructor. Adding a policy is adding
// one file in src/ and one entry here.
import type { z } from 'zod';
import type { Env } from '../../envs/env.ts';
import type { Rng } from '../base/rng.ts';
import { mlpPolicyDefinition } from './mlp.ts';
import type { Policy } from './policy.ts';
import { transformerPolicyDefinition } from './transformer.ts';

export interface PolicyDefinition<S extends z.ZodType = z.ZodType> {
  kind: string;
  summary: string;
  /** Schema of the policy block without its `kind` key. */
  schema: S;
  /** Build a fresh policy for `env`, drawing initial weights from `rng`. */
  create(config: z.infer<S>, env: Env, rng: Rng): Policy;
  /** Rebuild a policy from `describe()` output (checkpoint); weights are loaded after. */
  restore?(config: z.infer<S>, env: Env, described: Record<string, unknown>, rng: Rng): Policy;
}

export const POLICIES: Record<string, PolicyDefinition> = {
  [mlpPolicyDefinition.kind]: mlpPolicyDefinition as unknown as PolicyDefinition,
  [transformerPolicyDefinition.kind]: transformerPolicyDefinition as unknown as PolicyDefinition,
};
