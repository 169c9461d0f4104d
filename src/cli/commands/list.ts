// `entrolab list`: what a config can name — environments (and gridworld presets), policies,
// regularizers — each with its one-line summary and its config keys. The compiled CLI prints it from
// dist/list-data.json (written by `npm run build` from the same registries) so that it need not load
// TensorFlow.js; run from source, with that file missing, or with --plugin, it reads the registries
// (after the plugins were imported) and names the plugin of each entry one added.
import fs from 'node:fs';
import type { CommandModule } from 'yargs';
import { pluginAdditions } from '../../plugins/load-plugins.ts';
import { formatList, LIST_DATA_FILE, type ListData } from '../list-format.ts';

function builtListData(): ListData | undefined {
  // only the compiled module sits in dist/src/cli/commands/, three levels below the JSON
  if (!import.meta.url.endsWith('.js')) return undefined;
  try {
    return JSON.parse(fs.readFileSync(new URL(`../../../${LIST_DATA_FILE}`, import.meta.url), 'utf8')) as ListData;
  } catch {
    return undefined;
  }
}

/** The plugin file that registered `name` of `kind`, if a plugin did. */
function pluginOf(kind: string, name: string): string | undefined {
  for (const [file, added] of pluginAdditions()) {
    if (added.some((r) => r.kind === kind && r.name === name)) return file;
  }
  return undefined;
}

export const listCommand: CommandModule<object, { plugin?: string[] }> = {
  command: 'list',
  describe:
    'list the envs, gridworld presets, policies, regularizers, advantage estimators and policy losses a config names',
  handler: async (args) => {
    const fromPlugins = (args.plugin?.length ?? 0) > 0;
    const data = (!fromPlugins && builtListData()) || (await import('../list-data.ts')).listData(pluginOf);
    process.stdout.write(formatList(data));
  },
};
