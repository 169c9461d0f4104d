// The tables behind defineRegularizer, defineEnv and definePolicy: name → definition maps without a
// prototype, so a config naming `constructor` or `toString` finds nothing, and a name that is taken
// is refused (verl's register_policy_loss raises the same way) instead of silently replacing one.

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
}
