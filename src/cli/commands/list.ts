// `entrolab list`: what a config can name — environments (and gridworld presets), policies,
// regularizers — each with its one-line summary and its config keys.
import type { CommandModule } from 'yargs';
import type { z } from 'zod';
import { REGULARIZERS } from '../../../algorithms/registry.ts';
import { GRIDWORLD_PRESETS } from '../../../envs/gridworld-maps.ts';
import { ENVS } from '../../../envs/registry.ts';
import { POLICIES } from '../../policies/registry.ts';

function keys(schema: z.ZodType): string {
  let s = schema as unknown as { def: { type: string; shape?: Record<string, unknown>; innerType?: unknown; in?: unknown } };
  // unwrap refinements/pipes down to the object
  while (s.def.type !== 'object' && (s.def.innerType || s.def.in)) s = (s.def.innerType ?? s.def.in) as typeof s;
  return s.def.shape ? Object.keys(s.def.shape).join(', ') : '';
}

export const listCommand: CommandModule = {
  command: 'list',
  describe: 'list the environments, gridworld presets, policies and regularizers a config can name',
  handler: () => {
    const out: string[] = ['environments (env.name):'];
    for (const def of Object.values(ENVS)) out.push(`  ${def.name.padEnd(18)} ${def.summary}\n  ${''.padEnd(18)} keys: ${keys(def.schema)}`);
    out.push('', 'gridworld presets (env.preset):');
    for (const [name, p] of Object.entries(GRIDWORLD_PRESETS)) out.push(`  ${name.padEnd(18)} ${p.summary}`);
    out.push('', 'policies (policy.kind):');
    for (const def of Object.values(POLICIES)) out.push(`  ${def.kind.padEnd(18)} ${def.summary}\n  ${''.padEnd(18)} keys: ${keys(def.schema)}`);
    out.push('', 'regularizers (regularizers: [{name: ...}]):');
    for (const def of Object.values(REGULARIZERS)) out.push(`  ${def.name.padEnd(18)} ${def.summary}\n  ${''.padEnd(18)} keys: ${keys(def.schema)}`);
    process.stdout.write(`${out.join('\n')}\n`);
  },
};
