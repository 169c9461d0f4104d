// `entrolab list`: what a config can name — environments (and gridworld presets), policies,
// regularizers — each with its one-line summary and its config keys. The compiled CLI prints it from
// dist/list-data.json (written by `npm run build` from the same registries) so that it need not load
// TensorFlow.js; run from source, or with that file missing, it reads the registries.
import fs from 'node:fs';
import type { CommandModule } from 'yargs';
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

export const listCommand: CommandModule = {
  command: 'list',
  describe: 'list the environments, gridworld presets, policies and regularizers a config can name',
  handler: async () => {
    const data = builtListData() ?? (await import('../list-data.ts')).listData();
    process.stdout.write(formatList(data));
  },
};
