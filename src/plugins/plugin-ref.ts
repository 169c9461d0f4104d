// A plugin as a config or `--plugin` names it, turned into the one file to import and its content
// hash. A reference is a module path when it starts with '.', '/' (or a drive letter) or ends in
// .ts/.mts/.js/.mjs — relative to the folder it was written in (the config file's, or the working
// directory for --plugin) — and a package name otherwise, found in that folder's node_modules or
// above, its entry chosen by package.json `exports` ('import', 'node', 'default') or `main`.
//
// The hash is sha256 of the imported file's bytes. For a package that is its entry file, and the
// record also carries the package.json version; a change in a file the entry imports is not seen
// (docs/plugins.md says so).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../base/errors.ts';

/** What a run's resolved config records about one plugin. */
export interface PluginRecord {
  /** Absolute path of the imported file (a package's entry file). */
  file: string;
  /** sha256 of that file's bytes, hex. */
  sha256: string;
  /** A package plugin's name and package.json version. */
  package?: string;
  version?: string;
}

const MODULE_EXTENSIONS = /\.(ts|mts|js|mjs)$/;

export function isModulePath(ref: string): boolean {
  return /^(\.{1,2}([/\\]|$)|[/\\]|[A-Za-z]:[/\\])/.test(ref) || MODULE_EXTENSIONS.test(ref);
}

export function sha256File(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** The record of plugin `ref` written in folder `baseDir`; `where` names the config key or flag for errors. */
export function resolvePlugin(ref: string, baseDir: string, where: string): PluginRecord {
  if (isModulePath(ref)) {
    const file = path.resolve(baseDir, ref);
    if (!fs.existsSync(file) || !fs.statSync(file).isFile())
      throw new UserError(`plugin '${ref}' not found (looked for ${file})`, where);
    if (!MODULE_EXTENSIONS.test(file))
      throw new UserError(`plugin '${ref}' must be a .ts, .mts, .js or .mjs file`, where);
    return { file, sha256: sha256File(file) };
  }
  const { dir, manifest } = findPackage(ref, baseDir, where);
  const file = packageEntry(ref, dir, manifest, where);
  return { file, sha256: sha256File(file), package: ref, version: String(manifest.version ?? '') };
}

type Manifest = { version?: unknown; main?: unknown; exports?: unknown };

/** `name` (`pkg`, `@scope/pkg`, `pkg/sub`) split into the package and the subpath `exports` keys use. */
function splitName(name: string): [pkg: string, subpath: string] {
  const parts = name.split('/');
  const size = name.startsWith('@') ? 2 : 1;
  const rest = parts.slice(size).join('/');
  return [parts.slice(0, size).join('/'), rest ? `./${rest}` : '.'];
}

function findPackage(name: string, baseDir: string, where: string): { dir: string; manifest: Manifest } {
  const [pkg] = splitName(name);
  for (let dir = path.resolve(baseDir); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', pkg);
    const manifestFile = path.join(candidate, 'package.json');
    if (fs.existsSync(manifestFile))
      return { dir: fs.realpathSync(candidate), manifest: JSON.parse(fs.readFileSync(manifestFile, 'utf8')) };
    if (path.dirname(dir) === dir) break;
  }
  throw new UserError(
    `plugin '${name}' is neither a file nor an installed package (no node_modules/${pkg} above ${baseDir}); ` +
      "a path needs './' in front",
    where,
  );
}

const CONDITIONS = ['import', 'node', 'default'];

/** The target of an `exports` value for the running conditions, or undefined. */
function exportTarget(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(exportTarget).find((t) => t !== undefined);
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [condition, target] of Object.entries(value)) {
    if (CONDITIONS.includes(condition)) {
      const found = exportTarget(target);
      if (found) return found;
    }
  }
  return undefined;
}

function packageEntry(name: string, dir: string, manifest: Manifest, where: string): string {
  const [, subpath] = splitName(name);
  const { exports } = manifest;
  let target: string | undefined;
  if (exports !== undefined) {
    const keyed =
      typeof exports === 'object' && exports !== null && Object.keys(exports).some((k) => k.startsWith('.'));
    target = exportTarget(
      keyed ? (exports as Record<string, unknown>)[subpath] : subpath === '.' ? exports : undefined,
    );
  } else {
    target = subpath === '.' ? (typeof manifest.main === 'string' ? manifest.main : 'index.js') : subpath;
  }
  const file = target ? path.resolve(dir, target) : undefined;
  if (!file || !fs.existsSync(file))
    throw new UserError(`plugin '${name}': its package.json names no entry file for '${subpath}' (in ${dir})`, where);
  return file;
}
