// `entrolab train <config.yaml>`: one training run into <out>/<name>.
import type { CommandModule } from 'yargs';
import { TensorBoardWriter } from '../../run/tensorboard.ts';
import { train } from '../../train/trainer.ts';
import { resumeHint } from '../scheduler.ts';
import { resolveRun, withRunOptions, type RunArgs } from './run-options.ts';

interface TrainArgs extends RunArgs {
  resume: boolean;
}

export const trainCommand: CommandModule<object, TrainArgs> = {
  command: 'train <config>',
  describe: 'train a policy with GRPO (+ regularizers) from a YAML config',
  builder: (y) =>
    withRunOptions(y.positional('config', { type: 'string', demandOption: true, describe: 'YAML run config (see configs/)' }), 'grpo.clip_ratio_high=0.28')
      .option('resume', { type: 'boolean', default: false, describe: 'continue the run in <out>/<name> from its checkpoint (a finished run is skipped)' })
      .example('$0 train configs/quickstart.yaml', 'train the quickstart gridworld policy')
      .example('$0 train configs/quickstart.yaml --set steps=100 --seed 3 --name qs-s3', 'override keys') as never,
  handler: async (args) => {
    const { config, runDir } = resolveRun(args);
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
      process.stdout.write(`stopped after step ${result.steps} (checkpoint written); ${resumeHint('run the same command with --resume to continue')}\n`);
      if (result.interrupted) process.exitCode = 130;
    }
  },
};
