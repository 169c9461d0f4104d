// Importing plugins: each file once per process, in the order named, after making `import
// 'entrolab'` reach the running copy (share-entrolab.ts). A plugin registers its definitions as it
// is imported (defineRegularizer, defineEnv, definePolicy), so everything it adds exists before any
// config block that names it is validated. Every failure — not found, not an ES module, a throw
// while importing, a name already taken — is one UserError line naming the plugin's file.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Registration, registrationLog } from '../base/definitions.ts';
import { UserError } from '../base/errors.ts';
import { type PluginRecord, resolvePlugin } from './plugin-ref.ts';
import { runningEntry, shareEntrolab } from './share-entrolab.ts';

/** A plugin reference and the folder it is relative to; `where` names the config key or flag. */
export interface PluginSource {
  ref: string;
  baseDir: string;
  where: string;
}

const loaded = new Map<string, PluginRecord>();
const additions = new Map<string, Registration[]>();
let typeScriptReady = import.meta.url.endsWith('.ts');

/** Every plugin imported in this process so far, in import order. */
export function loadedPlugins(): PluginRecord[] {
  return [...loaded.values()];
}

/** The names each imported plugin registered, by the plugin's file. */
export function pluginAdditions(): ReadonlyMap<string, readonly Registration[]> {
  return additions;
}

/** Imports each plugin not yet imported; returns the records of all of `sources`, in order. */
export async function loadPlugins(sources: readonly PluginSource[]): Promise<PluginRecord[]> {
  const records: PluginRecord[] = [];
  for (const source of sources) {
    const record = resolvePlugin(source.ref, source.baseDir, source.where);
    if (!loaded.has(record.file)) {
      await importPlugin(record.file);
      loaded.set(record.file, record);
    }
    records.push(loaded.get(record.file)!);
  }
  return records;
}

async function importPlugin(file: string): Promise<void> {
  assertEsModule(file);
  shareEntrolab();
  if (/\.m?ts$/.test(file) && !typeScriptReady) {
    // the compiled CLI runs on plain Node: tsx (a dependency) compiles TypeScript plugins
    (await import('tsx/esm/api')).register();
    typeScriptReady = true;
  }
  // the built-ins register first, so that what the plugin adds is what the log gains while it loads
  await import(runningEntry());
  const before = registrationLog().length;
  try {
    await import(pathToFileURL(file).href);
  } catch (e) {
    // one line: the first, and the next when the first only introduces it (esbuild's "Transform failed …:")
    const lines = (e instanceof Error ? e.message : String(e)).split('\n').filter((l) => l.trim());
    const text = lines[0]?.endsWith(':') && lines[1] ? `${lines[0]} ${lines[1].trim()}` : (lines[0] ?? 'no message');
    throw new UserError(`plugin failed to load: ${text}`, file);
  }
  additions.set(file, registrationLog().slice(before));
}

/** A .ts or .js plugin must be an ES module (its folder's package.json says "type": "module"). */
function assertEsModule(file: string): void {
  if (!/\.(ts|js)$/.test(file)) return;
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      if (JSON.parse(fs.readFileSync(manifest, 'utf8')).type === 'module') return;
      break;
    }
    if (path.dirname(dir) === dir) break;
  }
  const ext = path.extname(file);
  throw new UserError(
    `a plugin must be an ES module: add "type": "module" to the package.json of its folder, ` +
      `or name it .m${ext.slice(1)}`,
    file,
  );
}
