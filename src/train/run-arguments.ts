// The library boundary of `train` and `runSft`: a JavaScript caller that leaves out the options,
// misspells one, passes the wrong type or hands over something that is not a valid config gets one
// UserError line naming the argument, instead of a TypeError from deep inside. The config is
// checked again by the schema (parseConfig): one from loadConfig or parseConfig passes unchanged,
// and a parsed config edited afterwards (`steps: -1`) is refused like the same key in a YAML file.
import { BACKENDS } from '../backend/backend.ts';
import { UserError } from '../base/errors.ts';
import { nearest, parseConfig, showValue } from '../config/load.ts';
import type { Config } from '../config/schema.ts';

const isFunction = (v: unknown) => typeof v === 'function';
const isBoolean = (v: unknown) => typeof v === 'boolean';

/** Every option `train` and `runSft` take: what is allowed, and the check. */
const OPTIONS: Record<string, [allowed: string, ok: (value: unknown) => boolean]> = {
  runDir: ['the run directory, a non-empty path string', (v) => typeof v === 'string' && v.length > 0],
  backend: [`one of ${BACKENDS.join(', ')}`, (v) => (BACKENDS as readonly unknown[]).includes(v)],
  resume: ['true or false', isBoolean],
  force: ['true or false', isBoolean],
  signal: ['an AbortSignal (from an AbortController)', (v) => v instanceof AbortSignal],
  onStep: ['a function', isFunction],
  sinks: [
    'a list of metrics sinks, each with write(step, scalars) and close()',
    (v) =>
      Array.isArray(v) &&
      v.every((s) => typeof s === 'object' && s !== null && isFunction(s.write) && isFunction(s.close)),
  ],
  log: ['a function of one line', isFunction],
};

function kindOf(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${showValue(value)}`;
}

/** The validated config and options of `fn(config, opts)`, or a UserError naming what is wrong. */
export function checkRunArguments(fn: string, config: unknown, opts: unknown): Config {
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) {
    throw new UserError(
      `expected an options object with at least runDir (the run directory), got ${kindOf(opts)}`,
      `${fn}() options`,
    );
  }
  const given = opts as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (OPTIONS[key]) continue;
    const guess = nearest(key, Object.keys(OPTIONS));
    const hint = guess ? `; did you mean '${guess}'?` : '';
    throw new UserError(
      `option '${key}' does not exist${hint} (allowed: ${Object.keys(OPTIONS).join(', ')})`,
      `${fn}() options`,
    );
  }
  for (const [key, [allowed, ok]] of Object.entries(OPTIONS)) {
    const value = given[key];
    if (value === undefined && key !== 'runDir') continue;
    if (!ok(value)) {
      const got = value === undefined ? 'it is missing' : `got ${kindOf(value)}`;
      throw new UserError(`expected ${allowed}; ${got}`, `${fn}() option '${key}'`);
    }
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new UserError(
      `expected a config object (from loadConfig or parseConfig), got ${kindOf(config)}`,
      `${fn}() config`,
    );
  }
  return parseConfig(config, `${fn}() config`);
}
