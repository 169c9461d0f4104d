// Which settings of a config are schedules, and the config's values at one step. A schedule may
// replace any float setting of `grpo`, `optim`, a regularizer's block (built-in or plugin) and
// `rollout.temperature`; counts, sizes, switches and names cannot move during a run (they fix
// shapes, streams and memory), and neither can env, policy, eval or sft settings.
import { REGULARIZERS } from '../../algorithms/registry.ts';
import { UserError } from '../base/errors.ts';
import { parseKeyPath } from './key-path.ts';
import { isScheduleWritten, type Schedules, scheduleSchema, scheduleValue } from './schedule.ts';
import { topSchema } from './schema.ts';
import { isFloatSetting, schemaAt } from './schema-walk.ts';

type Raw = Record<string, unknown>;

const WHERE = 'the float settings of grpo, optim and a regularizer, and rollout.temperature';

function find(node: unknown, path: string[], out: string[][]): void {
  // a section or a regularizer's entry is never a schedule (a method may have a setting named `schedule`)
  const entry = path.length === 1 || (path.length === 2 && path[0] === 'regularizers');
  if (!entry && path.length > 0 && isScheduleWritten(node)) out.push(path);
  else if (typeof node === 'object' && node !== null)
    for (const [key, child] of Object.entries(node)) find(child, [...path, key], out);
}

/** Why the setting at `path` cannot be scheduled, or undefined when it can (or is left to the key check). */
function refusal(raw: Raw, path: string[]): string | undefined {
  const [section, a, b] = path;
  let leaf: ReturnType<typeof schemaAt>;
  if ((section === 'grpo' || section === 'optim') && path.length === 2) leaf = schemaAt(topSchema, path);
  else if (section === 'rollout' && a === 'temperature' && path.length === 2) leaf = schemaAt(topSchema, path);
  else if (section === 'regularizers' && path.length === 3) {
    const name = ((raw.regularizers as unknown[] | undefined)?.[Number(a)] as Raw | undefined)?.name;
    const def = typeof name === 'string' && Object.hasOwn(REGULARIZERS, name) ? REGULARIZERS[name] : undefined;
    if (!def) return undefined; // the regularizer check names the problem
    leaf = schemaAt(def.schema, [b]);
  } else if (section === 'rollout') return 'of rollout, only temperature can be scheduled (the others fix shapes)';
  else return `only ${WHERE} can be scheduled`;
  if (!leaf) return undefined; // an unknown key: the key check names it, with the nearest valid one
  if (isFloatSetting(leaf)) return undefined;
  const type = (leaf as unknown as { def: { type: string } }).def.type;
  return type === 'number'
    ? 'it is an integer (a count or size fixes shapes and draws for the whole run)'
    : `it is not a number (${type === 'enum' ? 'a choice' : type}); only ${WHERE} can be scheduled`;
}

function setAt(raw: Raw, path: readonly string[], value: unknown): void {
  let node = raw as Record<string, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[path[path.length - 1]] = value;
}

/**
 * The schedules written in `raw` (validated; a setting that cannot be scheduled is one UserError
 * naming it and why) and `raw` as written, schedules in place. A parsed config's
 * `schedules` (its key paths) are put back in place first, so a parsed config parses again.
 */
export function splitSchedules(raw: Raw, file: string): { schedules: Schedules; written: Raw } {
  const { schedules: parsed, ...rest } = raw;
  const written = structuredClone(rest);
  if (parsed !== undefined) {
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new UserError("config key 'schedules' does not exist (write a schedule in place of the number)", file);
    for (const [keyPath, spec] of Object.entries(parsed)) setAt(written, parseKeyPath(keyPath, file), spec);
  }
  const paths: string[][] = [];
  find(written, [], paths);
  const schedules: Schedules = {};
  for (const path of paths) {
    const key = path.join('.');
    const why = refusal(written, path);
    if (why) throw new UserError(`config key '${key}' cannot be scheduled: ${why}`, file);
    const result = scheduleSchema.safeParse(getAt(written, path));
    if (!result.success) {
      const issue = result.error.issues[0];
      const at = [key, ...issue.path.map(String)].join('.');
      const hint =
        issue.code === 'unrecognized_keys' ? ' (a schedule has: schedule, from, to, steps, warmup, every)' : '';
      throw new UserError(`config key '${at}': ${issue.message}${hint}`, file);
    }
    schedules[key] = result.data;
  }
  return { schedules, written };
}

function getAt(raw: Raw, path: readonly string[]): unknown {
  return path.reduce<unknown>((node, key) => (node as Raw)[key], raw);
}

/** `raw` with every scheduled setting replaced by its value at step `t` of `totalSteps`. */
export function valuesAt(raw: Raw, schedules: Schedules, t: number, totalSteps: number): Raw {
  const out = structuredClone(raw);
  for (const [key, s] of Object.entries(schedules)) setAt(out, key.split('.'), scheduleValue(s, t, totalSteps));
  return out;
}

/** A config with its schedules written back in place of their step-1 values (for YAML, for a re-parse). */
export function schedulesInPlace<C extends { schedules?: Schedules }>(config: C): Omit<C, 'schedules'> {
  const { schedules, ...rest } = config;
  if (!schedules) return rest;
  const out = structuredClone(rest) as Raw;
  for (const [key, s] of Object.entries(schedules)) setAt(out, key.split('.'), s);
  return out as Omit<C, 'schedules'>;
}
