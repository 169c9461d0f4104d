// The tables behind defineRegularizer, defineEnv and definePolicy: name → definition maps without a
// prototype, so a config naming `constructor` or `toString` finds nothing, and a name that is taken
// is refused (verl's register_policy_loss raises the same way) instead of silently replacing one.
// The tables exist once per process: a second copy of entrolab (another install imported beside the
// running one) would bring tables the running copy never reads, so its import is refused here.
import { fileURLToPath } from 'node:url';

/** A name → definition map with no prototype; read it like any record (`table[name]`, `Object.keys`). */
export type DefinitionTable<T> = Readonly<Record<string, T>>;

/** What a name may look like, and the words that say so when it does not. */
export interface NameRule {
  pattern: RegExp;
  says: string;
}

/** Env and policy names: lower-case words joined by '-' or '_' (`string-transform`). */
export const CONFIG_NAME: NameRule = { pattern: /^[a-z][a-z0-9_-]*$/, says: "lower case, digits, '-' or '_'" };

/** Regularizer names prefix metric keys (`clip_cov/frac`), so they are snake_case. */
export const METRIC_PREFIX: NameRule = {
  pattern: /^[a-z][a-z0-9_]*$/,
  says: "snake_case: lower case, digits, '_' (it prefixes metric names)",
};

/** A name that was registered, and of which kind. */
export interface Registration {
  kind: string;
  name: string;
}

const registrations: Registration[] = [];

/** Every name registered in this process so far, in order (what a plugin added is a slice of it). */
export function registrationLog(): readonly Registration[] {
  return registrations;
}

/** An empty table. */
export function definitionTable<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** Adds `def` under `name`; throws when the name breaks `rule` or is taken. `kind` starts the message. */
export function addDefinition<T>(table: Record<string, T>, kind: string, name: string, def: T, rule: NameRule): void {
  if (typeof name !== 'string' || !rule.pattern.test(name)) {
    throw new Error(`${kind} name '${name}' must be ${rule.says}`);
  }
  if (Object.hasOwn(table, name)) throw new Error(`${kind} '${name}' is already registered`);
  table[name] = def;
  registrations.push({ kind, name });
}

const COPY = Symbol.for('entrolab.copy');

/**
 * Records `url` (this module's) as the process's copy of entrolab; throws when another copy's
 * module got there first. Exported for its test; it runs once when this module is first imported.
 */
export function claimProcess(url: string, holder: Record<symbol, unknown> = globalThis): void {
  const first = holder[COPY];
  if (typeof first === 'string' && first !== url) {
    const root = (u: string) => fileURLToPath(new URL('../..', u));
    throw new Error(
      `a second copy of entrolab was imported (${root(url)}) while ${root(first)} runs; definitions made through ` +
        "it would be invisible to the running one: let every import of 'entrolab' reach one install " +
        '(plugins loaded by the entrolab command reach its own copy)',
    );
  }
  holder[COPY] = url;
}

claimProcess(import.meta.url);
