// The config of `entrolab loss`: only the loss settings matter (grpo.*, seed, regularizers); env and
// policy may be absent and are ignored. Regularizers go through the same validator as a run's config.

import { UserError } from '../base/errors.ts';
import { applyOverrides, checkRegularizers, readYamlFile, validate } from './load.ts';
import { checkPolicyLossComposition, fillFixedAggregation } from './policy-loss-config.ts';
import { type GrpoConfig, topSchema } from './schema.ts';

type Raw = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------

export interface LossConfig {
  grpo: GrpoConfig;
  /** Seeds each regularizer's stream exactly as a run with this seed does at its first draw. */
  seed: number;
  regularizers: ({ name: string } & Record<string, unknown>)[];
  /** diagnostics.high_entropy_nats: where the PPO clip fraction is split into high- and low-entropy tokens. */
  highEntropyNats: number;
}

export function parseLossConfig(raw: unknown, file: string): LossConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new UserError('config must be a YAML mapping', file);
  const { env: _env, policy: _policy, regularizers, ...top } = raw as Raw;
  const parsed = validate(topSchema, fillFixedAggregation(top, file), '', file, ['env', 'policy', 'regularizers']);
  const checked = checkRegularizers(regularizers, file);
  checkPolicyLossComposition(parsed.grpo.policy_loss, checked, file);
  return {
    grpo: parsed.grpo,
    seed: parsed.seed,
    regularizers: checked.map((c) => c.entry),
    highEntropyNats: parsed.diagnostics.high_entropy_nats,
  };
}

/** `--config` file (optional) then `--set` overrides. */
export function loadLossConfig(file: string | undefined, sets: readonly string[]): LossConfig {
  const raw = file ? readYamlFile(file) : {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new UserError('config must be a YAML mapping', file);
  return parseLossConfig(applyOverrides(raw as Raw, sets), file ?? '--set');
}
