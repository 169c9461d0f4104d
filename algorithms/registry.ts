// Maps the `name` of each entry under `regularizers:` in a config to its implementation
// (verl's register_policy_loss idea). Adding a regularizer is one file plus one line here.
import { aepoDefinition } from './aepo.ts';
import { clipCovDefinition } from './clip-cov.ts';
import { entropyBonusDefinition } from './entropy-bonus.ts';
import { entropyFloorDefinition } from './entropy-floor.ts';
import { epoDefinition } from './epo.ts';
import { klCovDefinition } from './kl-cov.ts';
import type { RegularizerDefinition } from './regularizer.ts';
import { steerDefinition } from './steer.ts';

export const REGULARIZERS: Record<string, RegularizerDefinition> = {
  entropy_bonus: entropyBonusDefinition,
  clip_cov: clipCovDefinition,
  kl_cov: klCovDefinition,
  aepo: aepoDefinition,
  epo: epoDefinition,
  steer: steerDefinition,
  entropy_floor: entropyFloorDefinition,
};

export function registerRegularizer(def: RegularizerDefinition): void {
  REGULARIZERS[def.name] = def;
}
