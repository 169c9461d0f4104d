// Loading and validating run configs: YAML file → `--set key=value` overrides → schema.
// Unknown keys are rejected with the nearest valid key; wrong types and out-of-range values name
// the key and what is allowed. Every problem is a UserError carrying the file and key.
import fs from 'node:fs';
import path from 'node:path';
import { distance } from 'fastest-levenshtein';
import YAML from 'yaml';
import type { z } from 'zod';
import { REGULARIZERS } from '../../algorithms/registry.ts';
import type { Regularizer, RegularizerDefinition } from '../../algorithms/regularizer.ts';
import { ENVS } from '../../envs/registry.ts';
import { UserError } from '../base/errors.ts';
import { loadedPlugins, loadPlugins, type PluginSource } from '../plugins/load-plugins.ts';
import { POLICIES } from '../policies/registry.ts';
import { assertNoForbiddenKeys, parseKeyPath } from './key-path.ts';
import { checkPolicyLossComposition, fillFixedAggregation } from './policy-loss-config.ts';
import { extremeSteps } from './schedule.ts';
import { schedulesInPlace, splitSchedules, valuesAt } from './scheduled-settings.ts';
import { type Config, pluginEntrySchema, topSchema } from './schema.ts';
import { keysOf, schemaAt } from './schema-walk.ts';

type Raw = Record<string, unknown>;

export function readYamlFile(file: string): unknown {
  if (!fs.existsSync(file)) throw new UserError(`config file not found`, file);
  if (fs.statSync(file).isDirectory()) throw new UserError('is a directory, not a YAML file', file);
  return parseYaml(fs.readFileSync(file, 'utf8'), file) ?? {};
}

/** A YAML text as plain data; any error (syntax, an undefined alias, a duplicate key, a forbidden key) is one line. */
function parseYaml(text: string, where: string): unknown {
  const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) throw new UserError(`invalid YAML: ${doc.errors[0].message.split('\n')[0]}`, where);
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (e) {
    throw new UserError(`invalid YAML: ${(e as Error).message.split('\n')[0]}`, where);
  }
  assertNoForbiddenKeys(value, where);
  return value;
}

/**
 * Apply `a.b.c=value` overrides; values are parsed as YAML ("0.3", "true", "[1,2]"); an empty value or null unsets the
 * key.
 */
export function applyOverrides(raw: Raw, sets: readonly string[]): Raw {
  const out = structuredClone(raw);
  for (const set of sets) {
    const eq = typeof set === 'string' ? set.indexOf('=') : -1;
    if (eq <= 0) throw new UserError(`--set expects key=value, got '${set}'`);
    const where = `--set ${set}`;
    const keyPath = parseKeyPath(set.slice(0, eq), where);
    const text = set.slice(eq + 1);
    const value = text.trim() === '' ? null : parseYaml(text, where);
    let node: Raw = out;
    for (const key of keyPath.slice(0, -1)) {
      const next = Object.hasOwn(node, key) ? node[key] : undefined;
      if (next === undefined || next === null) node[key] = {};
      else if (typeof next !== 'object') throw new UserError(`--set ${set}: '${key}' is not a section`);
      node = node[key] as Raw;
    }
    // `key=` or `key=null` removes the key, so its default applies again
    if (value === null) delete node[keyPath[keyPath.length - 1]];
    else node[keyPath[keyPath.length - 1]] = value;
  }
  return out;
}

function describeAllowed(schema: z.ZodType): string {
  const def = (
    schema as {
      def?: { type?: string; checks?: { _zod: { def: Record<string, unknown> } }[]; entries?: Record<string, string> };
    }
  ).def;
  if (!def) return '';
  if (def.type === 'enum' && def.entries) return `one of ${Object.values(def.entries).join(', ')}`;
  const parts: string[] = [];
  for (const check of def.checks ?? []) {
    const c = check._zod.def;
    if (c.check === 'greater_than') parts.push(`${c.inclusive ? '>=' : '>'} ${c.value}`);
    if (c.check === 'less_than') parts.push(`${c.inclusive ? '<=' : '<'} ${c.value}`);
    if (c.check === 'number_format' && String(c.format).includes('int')) parts.push('an integer');
  }
  return parts.join(', ');
}

export function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = distance(word, c);
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

/** A value as the user wrote it; NaN and ±Infinity by name, which JSON would print as null. */
export function showValue(value: unknown): string {
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  const named = (_key: string, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v);
  return JSON.stringify(value, named) ?? 'nothing';
}

/** Validate `value` against `schema`; the first issue becomes one readable UserError line. */
export function validate<S extends z.ZodType>(
  schema: S,
  value: unknown,
  prefix: string,
  file: string,
  extraKeys: string[] = [],
): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const base = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0];
    const full = base ? `${base}.${key}` : key;
    const allowed = [...(issue.path.length === 0 ? extraKeys : []), ...keysOf(schemaAt(schema, issue.path))];
    const guess = nearest(key, allowed);
    throw new UserError(
      `config key '${full}' does not exist${guess ? `; did you mean '${base ? `${base}.` : ''}${guess}'?` : ''}` +
        ` (allowed here: ${allowed.join(', ')})`,
      file,
    );
  }
  const leaf = schemaAt(schema, issue.path);
  // a refinement's own message says what is allowed better than the key's type and range
  const allowed = leaf && issue.code !== 'custom' ? describeAllowed(leaf) : '';
  const got = issue.path.reduce<unknown>(
    (node, k) => (node as Record<PropertyKey, unknown> | undefined)?.[k as PropertyKey],
    value,
  );
  const shown = showValue(got);
  const message =
    typeof got === 'number' && !Number.isFinite(got)
      ? `got ${shown}, not a finite number`
      : issue.code === 'invalid_type'
        ? `expected ${issue.expected}, got ${shown}`
        : `got ${shown}`;
  throw new UserError(
    `config key '${base}': ${message}${allowed ? `; allowed: ${allowed}` : ` (${issue.message})`}`,
    file,
  );
}

function requireBlock(raw: Raw, key: string, file: string): Raw {
  const block = raw[key];
  if (block === undefined) throw new UserError(`config needs an '${key}' section`, file);
  if (typeof block !== 'object' || block === null || Array.isArray(block))
    throw new UserError(`config key '${key}' must be a mapping`, file);
  return block as Raw;
}

function pickNamed<T>(
  registry: Record<string, T>,
  block: Raw,
  tag: string,
  section: string,
  noun: string,
  file: string,
  fallback?: string,
): [string, T] {
  const name = block[tag] ?? fallback;
  const names = Object.keys(registry);
  if (typeof name !== 'string') {
    // YAML reads `{name:clip_cov}` (no space after the colon) as one key 'name:clip_cov'
    const glued = Object.keys(block).find((k) => k.startsWith(`${tag}:`));
    const hint = glued ? `; YAML needs a space after the colon: '${tag}: ${glued.slice(tag.length + 1)}'` : '';
    throw new UserError(`config key '${section}.${tag}' is required (one of ${names.join(', ')})${hint}`, file);
  }
  const entry = registry[name];
  if (!entry) {
    const guess = nearest(name, names);
    throw new UserError(
      `config key '${section}.${tag}': unknown ${noun} '${name}'${guess ? `; did you mean '${guess}'?` : ''}` +
        ` (one of ${names.join(', ')}; a plugin adds others: docs/plugins.md)`,
      file,
    );
  }
  return [name, entry];
}

/** One validated `regularizers:` entry (defaults filled in) and the hooks its definition creates from it. */
export interface CheckedRegularizer {
  entry: Config['regularizers'][number];
  definition: RegularizerDefinition;
  hooks: Regularizer;
}

/**
 * The one validator of a `regularizers:` list, used by every command (train, sft, sweep, loss) and
 * again by the trainer: each entry is a mapping whose `name` is registered (nearest name suggested,
 * the `{name:x}` missing-space hint), its keys valid for that regularizer, no name twice, and at
 * most one regularizer that replaces the policy loss — one whose created hooks include
 * `policyLoss` (definitions keep `create` free of side effects, so creating them here is safe).
 */
export function checkRegularizers(regularizers: unknown, file: string): CheckedRegularizer[] {
  if (regularizers !== undefined && regularizers !== null && !Array.isArray(regularizers)) {
    throw new UserError(
      "config key 'regularizers' must be a list of {name: ..., <settings>} " +
        `(one of ${Object.keys(REGULARIZERS).join(', ')})`,
      file,
    );
  }
  const regs = ((regularizers as unknown[] | undefined) ?? []).map((entry, i) => {
    const section = `regularizers.${i}`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
      throw new UserError(`config key '${section}' must be a mapping with a 'name'`, file);
    const [name, def] = pickNamed(REGULARIZERS, entry as Raw, 'name', section, 'regularizer', file);
    const { name: _r, ...rest } = entry as Raw;
    return { name, ...(validate(def.schema, rest, section, file, ['name']) as Raw) };
  });
  const seen = new Set<string>();
  for (const r of regs) {
    if (seen.has(r.name)) throw new UserError(`config key 'regularizers': '${r.name}' is listed twice`, file);
    seen.add(r.name);
  }
  const checked = regs.map(({ name, ...config }) => ({
    entry: { name, ...config },
    definition: REGULARIZERS[name],
    hooks: REGULARIZERS[name].create(config),
  }));
  const lossOwners = checked.filter((c) => c.hooks.policyLoss).map((c) => c.entry.name);
  if (lossOwners.length > 1) {
    throw new UserError(
      `config key 'regularizers': ${lossOwners.join(' and ')} both replace the policy loss; list at most one of them`,
      file,
    );
  }
  return checked;
}

/** `checkRegularizers`' entries: the list with defaults filled in. */
export function validateRegularizers(regularizers: unknown, file: string): Config['regularizers'] {
  return checkRegularizers(regularizers, file).map((c) => c.entry);
}

/**
 * Validate a raw config object (already merged with overrides). A setting written as a schedule
 * holds its step-1 value and is listed in `schedules`; the config is also checked with the values
 * of every schedule's extreme steps (start, end of warm-up and ramp, last step), so no step of the
 * run reaches a value its key does not allow.
 */
export function parseConfig(raw: unknown, file = '<config>'): Config {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new UserError('config must be a YAML mapping', file);
  const { schedules, written } = splitSchedules(raw as Raw, file);
  if (Object.keys(schedules).length === 0) return parseUnscheduled(written, file);
  // a count cannot be scheduled, so the run's length is known before any schedule's value
  const parsedSteps = topSchema.shape.steps.safeParse(written.steps);
  const totalSteps = parsedSteps.success ? parsedSteps.data : 1;
  const config = parseUnscheduled(valuesAt(written, schedules, 1, totalSteps), file);
  const steps = new Set(Object.values(schedules).flatMap((s) => extremeSteps(s, totalSteps)));
  steps.delete(1);
  for (const t of steps) {
    try {
      parseUnscheduled(valuesAt(written, schedules, t, totalSteps), file);
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      const message = e.message.startsWith(`${file}: `) ? e.message.slice(file.length + 2) : e.message;
      throw new UserError(`${message} — the value its schedule reaches at step ${t} of ${totalSteps}`, file);
    }
  }
  return { ...config, schedules };
}

function parseUnscheduled(raw: Raw, file: string): Config {
  const { env, policy, regularizers, ...top } = raw;
  const blocks = raw;
  const topParsed = validate(topSchema, fillFixedAggregation(top, file), '', file, ['env', 'policy', 'regularizers']);

  const envBlock = requireBlock(blocks, 'env', file);
  const [envName, envDef] = pickNamed(ENVS, envBlock, 'name', 'env', 'env', file);
  const { name: _n, ...envRest } = envBlock;
  const envParsed = validate(envDef.schema, envRest, 'env', file, ['name']);

  const policyBlock = policy === undefined ? { kind: 'mlp' } : requireBlock(blocks, 'policy', file);
  const [policyKind, policyDef] = pickNamed(POLICIES, policyBlock, 'kind', 'policy', 'policy', file, 'mlp');
  const { kind: _k, ...policyRest } = policyBlock;
  const policyParsed = validate(policyDef.schema, policyRest, 'policy', file, ['kind']);

  const checked = checkRegularizers(regularizers, file);
  checkPolicyLossComposition(topParsed.grpo.policy_loss, checked, file);
  const regs = checked.map((c) => c.entry);

  return {
    ...topParsed,
    env: { name: envName, ...(envParsed as Raw) },
    policy: { kind: policyKind, ...(policyParsed as Raw) },
    regularizers: regs,
  };
}

export function loadConfig(file: string, sets: readonly string[] = []): Config {
  const raw = readYamlFile(file);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new UserError('config must be a YAML mapping', file);
  return parseConfig(applyOverrides(raw as Raw, sets), file);
}

/** The `plugins` entries of a raw config, relative to the folder of `file` (the working directory without one). */
export function pluginSources(raw: Raw, file: string | undefined): PluginSource[] {
  const label = file ?? '--set';
  const entries = validate(pluginEntrySchema.array().optional(), raw.plugins, 'plugins', label) ?? [];
  const baseDir = file === undefined ? process.cwd() : path.dirname(path.resolve(file));
  return entries.map((entry, i) => ({
    ref: typeof entry === 'string' ? entry : entry.file,
    baseDir,
    where: `${label}: plugins.${i}`,
  }));
}

/** Imports the plugins that config `file` (none: only `sets`) names once `sets` are applied. */
export async function loadConfigPlugins(file: string | undefined, sets: readonly string[] = []): Promise<void> {
  const raw = file === undefined ? {} : readYamlFile(file);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return;
  await loadPlugins(pluginSources(applyOverrides(raw as Raw, sets), file));
}

/**
 * loadConfig for a command: the config's plugins are imported first (so their names validate), and
 * `plugins` of the result lists every plugin this process has imported, `--plugin` ones included,
 * each with its file and sha256 (absent when there are none, as before plugins existed).
 */
export async function loadConfigWithPlugins(file: string, sets: readonly string[] = []): Promise<Config> {
  await loadConfigPlugins(file, sets);
  const { plugins: _written, ...config } = loadConfig(file, sets);
  const plugins = loadedPlugins();
  return plugins.length > 0 ? { plugins, ...config } : config;
}

/** The config as YAML, schedules in place of their step-1 values (it loads back to the same config). */
export function configToYaml(config: Config): string {
  return YAML.stringify(schedulesInPlace(config), { lineWidth: 0 });
}
