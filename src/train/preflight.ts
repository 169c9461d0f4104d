// Everything a GRPO run can be refused for before its first step, in one place: the env fits in
// memory before it is built (its own estimate), the env builds
// (a gridworld start on a wall, a preset beside a map), the policy fits the env and the step fits
// in memory (resource-estimate.ts), the warm start exists and is not the run itself, and every
// regularizer's `errors(run)` (an AEPO target above ln |A|). `train` runs it before it touches the
// run directory; a sweep runs it for every cell before it launches the first.
import fs from 'node:fs';
import path from 'node:path';
import type { Env } from '../../envs/env.ts';
import { UserError } from '../base/errors.ts';
import { checkRegularizers } from '../config/load.ts';
import { assertEnvCanBuild, assertTrainFits } from '../config/resource-estimate.ts';
import type { Config } from '../config/schema.ts';
import { CHECKPOINT_FILE } from '../run/run-dir.ts';
import { makeEnvFactory } from './setup.ts';

/**
 * Throws the first reason `config` cannot train on `backend` (a backend name: wasm, cpu,
 * tensorflow; undefined where the machine is not this one, e.g. an emitted cluster job, skips the
 * memory estimate); returns its probe env.
 */
export function assertTrainCanStart(config: Config, backend: string | undefined): Env {
  assertEnvCanBuild(config);
  const env = makeEnvFactory(config)();
  if (backend !== undefined) assertTrainFits(config, env, backend);
  assertWarmStartExists(config);
  const shape = {
    epochs: config.grpo.epochs,
    miniBatches: config.grpo.mini_batches,
    totalSteps: config.steps,
    numActions: env.numActions,
  };
  checkRegularizers(config.regularizers, 'regularizers').forEach(({ entry, hooks }, i) => {
    const error = hooks.errors?.(shape)[0];
    if (error) throw new UserError(`regularizers.${i} (${entry.name}): ${error}`, 'config');
  });
  return env;
}

/** `init_from` names a checkpoint file, or a run directory holding one (its contents are read at the start). */
function assertWarmStartExists(config: Config): void {
  const from = config.init_from;
  if (!from) return;
  const file = fs.existsSync(from) && fs.statSync(from).isDirectory() ? path.join(from, CHECKPOINT_FILE) : from;
  if (!fs.existsSync(file)) throw new UserError('no checkpoint found', file);
}
