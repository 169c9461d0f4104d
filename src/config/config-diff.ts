// Which keys two configs disagree on, as dotted paths with both values: what `--resume` names when
// the config it is given is not the one the run was started with (run-lifecycle.ts).
import { showValue } from './load.ts';

/** `a.b: old → new` for every leaf where `before` and `after` differ (lists compared whole), in key order. */
export function configDifferences(before: unknown, after: unknown, prefix = ''): string[] {
  const isMapping = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isMapping(before) && isMapping(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => configDifferences(before[k], after[k], prefix ? `${prefix}.${k}` : k));
  }
  const [a, b] = [showValue(before), showValue(after)];
  if (a === b) return [];
  const shown = (v: unknown, s: string) => (v === undefined ? '(not set)' : s);
  return [`${prefix}: ${shown(before, a)} → ${shown(after, b)}`];
}
