// The policy contract's registration: definePolicy names a policy once, refuses a taken kind, and
// the memory estimate sizes a run by what the definition reports, not by the built-ins' formulas.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseConfig } from '../../src/config/load.ts';
import { estimateTrainMemory } from '../../src/config/resource-estimate.ts';
import { mlpPolicyDefinition } from '../../src/policies/mlp.ts';
import { definePolicy, POLICIES } from '../../src/policies/policy.ts';
import '../../src/policies/registry.ts';
import { makeEnvFactory } from '../../src/train/setup.ts';

// An MLP that reports a fixed, recognisable size to the estimate.
const sized = definePolicy({
  kind: 'test-sized',
  summary: 'the MLP, reporting 1000 weights and 7 activations per slot (test only)',
  schema: z.object({ width: z.number().int().min(1).default(5) }).strict(),
  create: (_config, env, rng) => mlpPolicyDefinition.create(mlpPolicyDefinition.schema.parse({}), env, rng),
  estimate: (config) => ({ width: config.width, params: 1000, activationsPerSlot: 7, kvPerRow: 2, keys: ['policy.x'] }),
});

describe('definePolicy', () => {
  it('registers under the kind written once; a taken kind is refused', () => {
    expect(POLICIES['test-sized']).toBe(sized);
    expect(Object.keys(POLICIES).slice(0, 2)).toEqual(['mlp', 'transformer']);
    expect(() => definePolicy({ ...mlpPolicyDefinition })).toThrow("policy 'mlp' is already registered");
    expect(() => parseConfig({ env: { name: 'gridworld' }, policy: { kind: 'toString' } })).toThrow(
      "unknown policy 'toString'",
    );
  });

  it("sizes the update, the KV cache and the weights from the definition's own estimate", () => {
    const config = parseConfig({
      env: { name: 'gridworld' },
      policy: { kind: 'test-sized', width: 5 },
      rollout: { prompts_per_step: 2, group_size: 3 },
    });
    const env = makeEnvFactory(config)();
    const parts = estimateTrainMemory(config, env);
    const find = (prefix: string) => parts.find((p) => p.what.startsWith(prefix))!;
    // 6 rows × 5 slots × (4 actions × 12 + 3 × 7) floats
    expect(find('the update').bytes).toBe(6 * 5 * (4 * 12 + 3 * 7) * 4);
    // 6 rows × 2 cached floats; 1000 weights × 4 copies (weights, Adam m and v, gradients)
    expect(find('the KV cache')).toMatchObject({ bytes: 6 * 2 * 4, keys: expect.arrayContaining(['policy.x']) });
    expect(find('1000 weights').bytes).toBe(1000 * 4 * 4);
  });
});
