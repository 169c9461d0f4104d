// What `entrolab list` prints, as plain data, and how it prints it. Kept free of the registries (which
// load TensorFlow.js) so the compiled CLI can print the list from the JSON that `npm run build` writes.
export interface ListEntry {
  name: string;
  summary: string;
  // the config keys of the entry's schema, in declaration order; absent for gridworld presets
  keys?: string[];
  // the file of the plugin that defined it; absent for built-ins
  plugin?: string;
}

export interface ListData {
  envs: ListEntry[];
  presets: ListEntry[];
  policies: ListEntry[];
  regularizers: ListEntry[];
  /** grpo.adv_estimator values, keys as `grpo.<key>` (absent from a list-data.json built before them). */
  estimators?: ListEntry[];
  /** grpo.policy_loss values, keys as `grpo.<key>` (absent from a list-data.json built before them). */
  losses?: ListEntry[];
}

// the file beside dist/src that scripts/build.js writes and the compiled `list` reads
export const LIST_DATA_FILE = 'list-data.json';

function section(title: string, entries: ListEntry[]): string[] {
  const lines = [title];
  for (const e of entries) {
    lines.push(`  ${e.name.padEnd(18)} ${e.summary}`);
    if (e.keys) lines.push(`  ${''.padEnd(18)} keys: ${e.keys.join(', ')}`);
    if (e.plugin) lines.push(`  ${''.padEnd(18)} from plugin: ${e.plugin}`);
  }
  return lines;
}

export function formatList(data: ListData): string {
  const out = [
    ...section('environments (env.name):', data.envs),
    '',
    ...section('gridworld presets (env.preset):', data.presets),
    '',
    ...section('policies (policy.kind):', data.policies),
    '',
    ...section('regularizers (regularizers: [{name: ...}]):', data.regularizers),
    '',
    ...section('advantage estimators (grpo.adv_estimator):', data.estimators ?? []),
    '',
    ...section('policy losses (grpo.policy_loss):', data.losses ?? []),
  ];
  return `${out.join('\n')}\n`;
}
