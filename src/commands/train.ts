// `entrolab train <config.yaml>`: one training run into <out>/<name>.
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { BACKENDS, type BackendChoice } from '../backend.ts';
import { loadConfig } from '../config.ts';
import { TensorBoardWriter } from '../tensorboard.ts';
import { train } from '../trainer.ts';

interface TrainArgs {
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

export const trainCommand: CommandModule<object, TrainArgs> = {
  command: 'train <config>',
  describe: 'train a policy with GRPO (+ regularizers) from a YAML config',
  builder: (y) =>
    y
      .positional('config', { type: 'string', demandOption: true, describe: 'YAML run config (see configs/)' })
      .option('set', { type: 'string', array: true, default: [], describe: 'override a config key: --set grpo.clip_ratio_high=0.28 (repeatable)' })
      .option('out', { type: 'string', default: 'runs', describe: 'parent directory of run directories' })
      .option('name', { type: 'string', describe: 'run name (default: the config\'s name); the run dir is <out>/<name>' })
      .option('seed', { type: 'number', describe: 'override the config\'s seed' })
      .option('backend', { choices: BACKENDS, default: 'auto' as BackendChoice, describe: 'TensorFlow.js backend; auto = tensorflow → wasm → cpu' })
      .option('resume', { type: 'boolean', default: false, describe: 'continue the run in <out>/<name> from its checkpoint (a finished run is skipped)' })
      .option('force', { type: 'boolean', default: false, describe: 'start over in a run dir that already holds a run' })
      .option('quiet', { type: 'boolean', default: false, describe: 'no progress output' })
      .example('$0 train configs/quickstart.yaml', 'train the quickstart gridworld policy')
      .example('$0 train configs/quickstart.yaml --set steps=100 --seed 3 --name qs-s3', 'override keys') as never,
  handler: async (args) => {
    const sets = [...args.set];
    if (args.seed !== undefined) sets.push(`seed=${args.seed}`);
    if (args.name !== undefined) sets.push(`name=${args.name}`);
    const config = loadConfig(args.config, sets);
    const runDir = path.join(args.out, config.name);
    const result = await train(config, { runDir, backend: args.backend, resume: args.resume, force: args.force, progress: args.quiet ? 'quiet' : 'auto', sinks: [new TensorBoardWriter(runDir)] });
    if (result.skipped) return;
    if (result.final) {
      const f = result.final;
      process.stdout.write(
        `done: ${result.steps} steps in ${result.wallSeconds.toFixed(1)} s on ${result.backend.detail}\n` +
          `test split (${f.prompts} prompts): greedy success ${f.successGreedy.toFixed(3)}, sampled success ${f.successSampled.toFixed(3)}, pass@${f.k} ${f.passAtK.toFixed(3)}\n` +
          `outputs: ${runDir}/ (metrics.jsonl, config.resolved.yaml, checkpoint.json, summary.json)\n` +
          `next: entrolab eval ${runDir}   |   entrolab play ${runDir}\n`,
      );
    } else {
      process.stdout.write(`stopped after step ${result.steps}; continue with --resume\n`);
    }
  },
};
