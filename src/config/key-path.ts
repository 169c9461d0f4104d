// The one parser of a dotted config key path (`optim.lr`, `regularizers.0.coef`), for `--set`,
// sweep axes and options, and the library's applyOverrides: non-empty segments, and none of the
// names through which an assignment reaches an object's prototype (`__proto__`, `prototype`,
// `constructor`), so `--set __proto__.polluted=yes` is refused instead of changing every object
// in the process.
import { UserError } from '../base/errors.ts';

const FORBIDDEN = new Set(['__proto__', 'prototype', 'constructor']);

/** The segments of `keyPath`; `where` starts the error (`--set x=1`, `axes.0.key`). */
export function parseKeyPath(keyPath: string, where: string): string[] {
  const segments = keyPath.split('.');
  for (const s of segments) {
    if (s.length === 0)
      throw new UserError(`key path '${keyPath}' has an empty segment; write keys as section.key`, where);
    if (FORBIDDEN.has(s))
      throw new UserError(
        `key path '${keyPath}': '${s}' is not a config key (no key may be named ${[...FORBIDDEN].join(', ')})`,
        where,
      );
  }
  return segments;
}

/** Throws when any key of `value`, at any depth, is a forbidden name (a YAML or JSON document given as a value). */
export function assertNoForbiddenKeys(value: unknown, where: string): void {
  if (typeof value !== 'object' || value === null) return;
  for (const key of Object.keys(value)) {
    if (FORBIDDEN.has(key))
      throw new UserError(`'${key}' is not a config key (no key may be named ${[...FORBIDDEN].join(', ')})`, where);
    assertNoForbiddenKeys((value as Record<string, unknown>)[key], where);
  }
}
