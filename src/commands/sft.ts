// `entrolab sft <config.yaml>`: supervised warm start on the env's demonstrations into <out>/<name>.
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { BACKENDS, type BackendChoice } from '../backend.ts';
import { loadConfig } from '../config.ts';
import { runSft } from '../sft.ts';

interface SftArgs {
  config: string;
  set: string[];
  out: string;
  name?: string;
  seed?: number;
  backend: BackendChoice;
  force: boolean;
  quiet: boolean;
}

export const sftCommand: CommandModule<object, SftArgs> = {
  command: 'sft <config>',
  describe: 'supervised warm start of a text policy on the env\'s demonstrations (then GRPO with init_from)',
  builder: (y) =>
    y
      .positional('config', { type: 'string', demandOption: true, describe: 'YAML config with an sft: block (see configs/sft-*.yaml)' })
      .option('set', { type: 'string', array: true, default: [], describe: 'override a config key: --set sft.wrong_fraction=0.5 (repeatable)' })
      .option('out', { type: 'string', default: 'runs', describe: 'parent directory of run directories' })
      .option('name', { type: 'string', describe: 'run name (default: the config\'s name); the run dir is <out>/<name>' })
      .option('seed', { type: 'number', describe: 'override the config\'s seed' })
      .option('backend', { choices: BACKENDS, default: 'auto' as BackendChoice, describe: 'TensorFlow.js backend; auto = tensorflow → wasm → cpu' })
      .option('force', { type: 'boolean', default: false, describe: 'start over in a run dir that already holds a run' })
      .option('quiet', { type: 'boolean', default: false, describe: 'no progress output' })
      .example('$0 sft configs/sft-arithmetic.yaml', 'warm-start the arithmetic policy (then: $0 train configs/text-arithmetic.yaml)') as never,
  handler: async (args) => {
    const sets = [...args.set];
    if (args.seed !== undefined) sets.push(`seed=${args.seed}`);
    if (args.name !== undefined) sets.push(`name=${args.name}`);
    const config = loadConfig(args.config, sets);
    const runDir = path.join(args.out, config.name);
    const result = await runSft(config, { runDir, backend: args.backend, force: args.force, log: args.quiet ? () => {} : undefined });
    const f = result.final;
    process.stdout.write(
      `done: ${result.steps} SFT steps in ${result.wallSeconds.toFixed(1)} s on ${result.backend.detail} (${result.trainTokensPerSecond.toFixed(0)} train tokens/s), final loss ${result.finalLoss.toFixed(4)}\n` +
        `test split (${f.prompts} prompts): greedy success ${f.successGreedy.toFixed(3)}, sampled success (pass@1) ${f.successSampled.toFixed(3)}, pass@${f.k} ${f.passAtK.toFixed(3)}\n` +
        `outputs: ${runDir}/ (checkpoint.json, metrics.jsonl, summary.json)\n` +
        `next: entrolab train <grpo config> with init_from: ${runDir}\n`,
    );
  },
};
