// The data behind `entrolab list`, read from the environment, policy, regularizer, advantage-estimator
// and policy-loss registries.
import type { z } from 'zod';
import { ADV_ESTIMATORS } from '../../algorithms/advantages/registry.ts';
import { POLICY_LOSSES } from '../../algorithms/policy-losses/registry.ts';
import { REGULARIZERS } from '../../algorithms/registry.ts';
import { GRIDWORLD_PRESETS } from '../../envs/gridworld-maps.ts';
import { ENVS } from '../../envs/registry.ts';
import { POLICIES } from '../policies/registry.ts';
import type { ListData } from './list-format.ts';

function keys(schema: z.ZodType): string[] {
  type Def = { type: string; shape?: Record<string, unknown>; innerType?: unknown; in?: unknown };
  let s = schema as unknown as { def: Def };
  // unwrap refinements/pipes down to the object
  while (s.def.type !== 'object' && (s.def.innerType || s.def.in)) s = (s.def.innerType ?? s.def.in) as typeof s;
  return s.def.shape ? Object.keys(s.def.shape) : [];
}

/** `origin(kind, name)`: the plugin file that defined a name, for entries a plugin added. */
export function listData(origin: (kind: string, name: string) => string | undefined = () => undefined): ListData {
  const entry = (kind: string, name: string, summary: string, schema: z.ZodType) => {
    const plugin = origin(kind, name);
    return { name, summary, keys: keys(schema), ...(plugin ? { plugin } : {}) };
  };
  return {
    envs: Object.values(ENVS).map((d) => entry('env', d.name, d.summary, d.schema)),
    presets: Object.entries(GRIDWORLD_PRESETS).map(([name, p]) => ({ name, summary: p.summary })),
    policies: Object.values(POLICIES).map((d) => entry('policy', d.kind, d.summary, d.schema)),
    regularizers: Object.values(REGULARIZERS).map((d) => entry('regularizer', d.name, d.summary, d.schema)),
    estimators: Object.values(ADV_ESTIMATORS).map((e) => ({
      name: e.name,
      summary: e.summary,
      ...(e.keys.length ? { keys: e.keys.map((k) => `grpo.${k}`) } : {}),
    })),
    losses: Object.values(POLICY_LOSSES).map((l) => ({
      name: l.name,
      summary: l.summary,
      ...(l.keys.length ? { keys: l.keys.map((k) => `grpo.${k}`) } : {}),
    })),
  };
}
