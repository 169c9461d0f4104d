// Building the pieces of a run from a validated config: env factory, policy (fresh, warm-started
// from another run's checkpoint, or restored), and loading a finished run for eval/play.
import fs from 'node:fs';
import path from 'node:path';
import type { Env, EnvFactory } from '../../envs/env.ts';
import { ENVS } from '../../envs/registry.ts';
import { UserError } from '../base/errors.ts';
import { Rng } from '../base/rng.ts';
import { loadConfigPlugins, parseConfig, readYamlFile } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import type { Policy } from '../policies/policy.ts';
import { POLICIES } from '../policies/registry.ts';
import { assignTensors, type Checkpoint, loadCheckpoint } from '../run/checkpoint.ts';
import { RESOLVED_CONFIG_FILE } from '../run/run-dir.ts';

export function makeEnvFactory(config: Config): EnvFactory {
  const { name, ...rest } = config.env;
  return ENVS[name].factory(rest);
}

/** A policy for `env`: restored from `ckpt` when given (weights loaded), else freshly initialised. */
export function makePolicy(config: Config, env: Env, rng: Rng, ckpt?: Checkpoint): Policy {
  const { kind, ...rest } = config.policy;
  const def = POLICIES[kind];
  if (ckpt && ckpt.policy.kind !== kind) {
    throw new UserError(
      `checkpoint holds a '${ckpt.policy.kind}' policy but the config asks for '${kind}'`,
      'policy.kind',
    );
  }
  const policy = ckpt && def.restore ? def.restore(rest, env, ckpt.policy.described, rng) : def.create(rest, env, rng);
  if (ckpt) assignTensors(policy.variables, ckpt.policy.weights, 'policy weights');
  return policy;
}

export function readRunConfig(runDir: string): Config {
  const file = path.join(runDir, RESOLVED_CONFIG_FILE);
  if (!fs.existsSync(runDir)) throw new UserError('run directory not found', runDir);
  if (!fs.existsSync(file)) throw new UserError(`not a run directory (no ${RESOLVED_CONFIG_FILE})`, runDir);
  return parseConfig(readYamlFile(file), file);
}

/** Imports the plugins a run directory's resolved config lists (before readRunConfig or loadRun). */
export async function loadRunPlugins(runDir: string): Promise<void> {
  const file = path.join(runDir, RESOLVED_CONFIG_FILE);
  if (fs.existsSync(file)) await loadConfigPlugins(file);
}

/** Config, env factory and the trained policy of a run directory (for eval and play). */
export function loadRun(runDir: string): { config: Config; envFactory: EnvFactory; policy: Policy; ckpt: Checkpoint } {
  const config = readRunConfig(runDir);
  const ckpt = loadCheckpoint(runDir);
  const envFactory = makeEnvFactory(config);
  const policy = makePolicy(config, envFactory(), new Rng('restore'), ckpt);
  return { config, envFactory, policy, ckpt };
}
