// The options every run-producing command shares (train, sft): config overrides, where the run
// directory goes, seed, backend, and what to do with an existing run (--resume, --force).
import path from 'node:path';
import type { Argv } from 'yargs';
import { BACKENDS, type BackendChoice } from '../../backend/backend.ts';
import { loadConfigWithPlugins } from '../../config/load.ts';
import type { Config } from '../../config/schema.ts';
import { numberOption, SEED_RANGE } from '../number-flag.ts';

export interface RunArgs {
  config: string;
  set: string[];
  out: string;
  name?: string;
  seed?: number;
  backend: BackendChoice;
  resume: boolean;
  force: boolean;
  quiet: boolean;
}

export function withRunOptions<T>(y: Argv<T>, exampleSet: string) {
  return y
    .option('set', {
      type: 'string',
      array: true,
      default: [] as string[],
      describe: `override a config key: --set ${exampleSet} (repeatable; values are YAML)`,
    })
    .option('out', { type: 'string', default: 'runs', describe: 'parent directory of run directories' })
    .option('name', { type: 'string', describe: "run name (default: the config's name); the run dir is <out>/<name>" })
    .option('seed', numberOption('seed', "override the config's seed", SEED_RANGE))
    .option('backend', {
      choices: BACKENDS,
      default: 'auto' as BackendChoice,
      describe: 'TensorFlow.js backend; auto = tensorflow → wasm → cpu',
    })
    .option('resume', {
      type: 'boolean',
      default: false,
      describe: 'continue the run in <out>/<name> from its checkpoint (a finished run is skipped)',
    })
    .option('force', { type: 'boolean', default: false, describe: 'start over in a run dir that already holds a run' })
    .option('quiet', { type: 'boolean', default: false, describe: 'no progress output' });
}

/** The validated config (its plugins imported; --set, --seed and --name applied) and its run directory. */
export async function resolveRun(args: RunArgs): Promise<{ config: Config; runDir: string }> {
  const sets = [...args.set];
  if (args.seed !== undefined) sets.push(`seed=${args.seed}`);
  // quoted, so that `--name 2024` stays the string it is (YAML would read a number)
  if (args.name !== undefined) sets.push(`name=${JSON.stringify(args.name)}`);
  const config = await loadConfigWithPlugins(args.config, sets);
  return { config, runDir: path.join(args.out, config.name) };
}
