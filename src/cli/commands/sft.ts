// `entrolab sft <config.yaml>`: supervised warm start on the env's demonstrations into <out>/<name>.
// Like `train`, signals become an abort (checkpoint, status `interrupted`, exit 130) and --resume
// continues a stopped run.
import type { CommandModule } from 'yargs';
import { runSft } from '../../train/sft.ts';
import { exitInterrupted } from '../interrupt.ts';
import { resumeHint } from '../scheduler.ts';
import { type RunArgs, withRunOptions } from './run-options.ts';
import { startRun } from './run-start.ts';

export const sftCommand: CommandModule<object, RunArgs> = {
  command: 'sft <config>',
  describe: "supervised warm start of a text policy on the env's demonstrations (then GRPO with init_from)",
  builder: (y) =>
    withRunOptions(
      y.positional('config', {
        type: 'string',
        demandOption: true,
        describe: 'YAML config with an sft: block (see configs/sft-*.yaml)',
      }),
      'sft.wrong_fraction=0.5',
    ).example(
      '$0 sft configs/sft-arithmetic.yaml',
      'warm-start the arithmetic policy (then: $0 train configs/text-arithmetic.yaml)',
    ) as never,
  handler: async (args) => {
    const { config, runDir, log, signal, removeHandlers } = await startRun(args);
    const result = await runSft(config, {
      runDir,
      backend: args.backend,
      resume: args.resume,
      force: args.force,
      signal,
      log: args.quiet ? () => {} : log,
    }).finally(removeHandlers);
    if (result.skipped) return;
    if (result.interrupted || !result.final) {
      const hint = resumeHint('run the same command with --resume to continue');
      process.stdout.write(`stopped after SFT step ${result.steps} (checkpoint written); ${hint}\n`);
      return exitInterrupted();
    }
    const f = result.final;
    process.stdout.write(
      `done: ${result.steps} SFT steps in ${result.wallSeconds.toFixed(1)} s on ${result.backend.detail} ` +
        `(${result.trainTokensPerSecond!.toFixed(0)} train tokens/s), final loss ${result.finalLoss!.toFixed(4)}\n` +
        `test split (${f.prompts} prompts): greedy success ${f.successGreedy.toFixed(3)}, ` +
        `sampled success (pass@1) ${f.successSampled.toFixed(3)}, pass@${f.k} ${f.passAtK.toFixed(3)}\n` +
        `outputs: ${runDir}/ (checkpoint.json, metrics.jsonl, summary.json, status.json)\n` +
        `next: entrolab train <grpo config> with init_from: ${runDir}\n`,
    );
  },
};
