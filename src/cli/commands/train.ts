// `entrolab train <config.yaml>`: one training run into <out>/<name>. The command owns the process:
// signals become an abort of the trainer, progress is drawn from its per-step reports, and an
// interrupted run exits 130.
import fs from 'node:fs';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { TensorBoardWriter } from '../../run/tensorboard.ts';
import { TOKEN_SAMPLES_FILE } from '../../train/token-samples.ts';
import { type StepReport, train } from '../../train/trainer.ts';
import { exitInterrupted } from '../interrupt.ts';
import { makeProgress, type Progress } from '../progress.ts';
import { resumeHint } from '../scheduler.ts';
import { type RunArgs, withRunOptions } from './run-options.ts';
import { startRun } from './run-start.ts';

export const trainCommand: CommandModule<object, RunArgs> = {
  command: 'train <config>',
  describe: 'train a policy with GRPO (+ regularizers) from a YAML config',
  builder: (y) =>
    withRunOptions(
      y.positional('config', { type: 'string', demandOption: true, describe: 'YAML run config (see configs/)' }),
      'grpo.clip_ratio_high=0.28',
    )
      .example('$0 train configs/quickstart.yaml', 'train the quickstart gridworld policy')
      .example('$0 train configs/quickstart.yaml --set steps=100 --seed 3 --name qs-s3', 'override keys') as never,
  handler: async (args) => {
    const { config, runDir, log, signal, removeHandlers } = await startRun(args);
    // the bar starts at the first report, which says where a resumed run picks up
    let progress: Progress | undefined;
    const onStep = ({ step, totalSteps, metrics }: StepReport) => {
      progress ??= makeProgress(totalSteps, step - 1, config.name, args.quiet ? 'quiet' : 'auto');
      const values = {
        reward: metrics['critic/score/mean'],
        entropy: metrics['actor/entropy'],
        success: metrics.success_rate,
      };
      progress.update(step, values);
    };
    const result = await train(config, {
      runDir,
      backend: args.backend,
      resume: args.resume,
      force: args.force,
      signal,
      onStep,
      log,
      sinks: [new TensorBoardWriter(runDir)],
    }).finally(() => {
      progress?.stop();
      removeHandlers();
    });
    if (result.skipped) return;
    if (result.interrupted) {
      const hint = resumeHint('run the same command with --resume to continue');
      process.stdout.write(`stopped after step ${result.steps} (checkpoint written); ${hint}\n`);
      exitInterrupted();
    } else if (result.final) {
      const f = result.final;
      if (result.stopped) process.stdout.write(`ended early: ${result.stopped} (--resume continues the run)\n`);
      process.stdout.write(
        `done: ${result.steps} steps in ${result.wallSeconds.toFixed(1)} s on ${result.backend.detail}\n` +
          `test split (${f.prompts} prompts): greedy success ${f.successGreedy.toFixed(3)}, ` +
          `sampled success ${f.successSampled.toFixed(3)}, pass@${f.k} ${f.passAtK.toFixed(3)}\n` +
          `outputs: ${runDir}/ (metrics.jsonl, config.resolved.yaml, checkpoint.json, summary.json, status.json` +
          `${fs.existsSync(path.join(runDir, TOKEN_SAMPLES_FILE)) ? `, ${TOKEN_SAMPLES_FILE}` : ''}; ` +
          'TensorBoard: events.out.tfevents.*; entrolab report draws them)\n' +
          `next: entrolab eval ${runDir}   |   entrolab play ${runDir}\n`,
      );
    }
  },
};
