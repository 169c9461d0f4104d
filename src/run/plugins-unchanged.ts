// `--resume` continues a run with the code it started with: the plugins its resolved config lists
// must be the ones imported now, byte for byte (sha256), or the run would finish under other
// definitions than it began with. A run started before plugins existed lists none; a directory
// with no run yet (a sweep passes --resume to every run) has nothing to compare.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { UserError } from '../base/errors.ts';
import type { PluginRecord } from '../plugins/plugin-ref.ts';
import { RESOLVED_CONFIG_FILE } from './run-dir.ts';

/** The plugins the run's resolved config lists; undefined when no run was started there. */
function recordedPlugins(runDir: string): PluginRecord[] | undefined {
  const file = path.join(runDir, RESOLVED_CONFIG_FILE);
  if (!fs.existsSync(file)) return undefined;
  const entries = (YAML.parse(fs.readFileSync(file, 'utf8')) as { plugins?: unknown } | null)?.plugins;
  return Array.isArray(entries) ? entries.filter((e): e is PluginRecord => typeof e?.file === 'string') : [];
}

/** Refuses (one line) to resume `runDir` unless `current` are the plugins it recorded, unchanged. */
export function assertPluginsUnchanged(runDir: string, current: readonly PluginRecord[]): void {
  const before = recordedPlugins(runDir);
  if (!before) return;
  const restart = 'or start over with --force';
  for (const old of before) {
    const now = current.find((p) => p.file === old.file);
    if (!now)
      throw new UserError(
        `the run was started with plugin ${old.file}, which is not loaded now; load it, ${restart}`,
        runDir,
      );
    if (now.sha256 !== old.sha256) {
      throw new UserError(
        `plugin ${old.file} changed since the run started (sha256 ${old.sha256.slice(0, 12)}… → ` +
          `${now.sha256.slice(0, 12)}…); restore it, ${restart}`,
        runDir,
      );
    }
  }
  const added = current.find((p) => !before.some((old) => old.file === p.file));
  if (added)
    throw new UserError(`plugin ${added.file} was not loaded when the run started; leave it out, ${restart}`, runDir);
}
