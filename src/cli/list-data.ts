// The data behind `entrolab list`, read from the environment, policy and regularizer registries.
import type { z } from 'zod';
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

export function listData(): ListData {
  return {
    envs: Object.values(ENVS).map((d) => ({ name: d.name, summary: d.summary, keys: keys(d.schema) })),
    presets: Object.entries(GRIDWORLD_PRESETS).map(([name, p]) => ({ name, summary: p.summary })),
    policies: Object.values(POLICIES).map((d) => ({ name: d.kind, summary: d.summary, keys: keys(d.schema) })),
    regularizers: Object.values(REGULARIZERS).map((d) => ({
      name: d.name,
      summary: d.summary,
      keys: keys(d.schema),
    })),
  };
}
