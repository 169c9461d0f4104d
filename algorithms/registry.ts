// Maps the `name` of each entry under `regularizers:` in a config to its implementation
// (verl's register_policy_loss idea). Adding a regularizer is one file plus one line here.
import type { RegularizerDefinition } from './regularizer.ts';

export const REGULARIZERS: Record<string, RegularizerDefinition> = {};

export function registerRegularizer(def: RegularizerDefinition): void {
  REGULARIZERS[def.name] = def;
}
