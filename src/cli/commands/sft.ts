// `entrolab sft <config.yaml>`: supervised warm start on the env's demonstrations into <out>/<name>.
import type { CommandModule } from 'yargs';
import { runSft } from '../../train/sft.ts';
import { type RunArgs, resolveRun, withRunOptions } from './run-options.ts';

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
    const { config, runDir } = await resolveRun(args);
    const result = await runSft(config, {
      runDir,
      backend: args.backend,
      force: args.force,
      log: args.quiet ? () => {} : undefined,
    });
    const f = result.final;
    process.stdout.write(
      `done: ${result.steps} SFT steps in ${result.wallSeconds.toFixed(1)} s on ${result.backend.detail} ` +
        `(${result.trainTokensPerSecond.toFixed(0)} train tokens/s), final loss ${result.finalLoss.toFixed(4)}\n` +
        `test split (${f.prompts} prompts): greedy success ${f.successGreedy.toFixed(3)}, ` +
        `sampled success (pass@1) ${f.successSampled.toFixed(3)}, pass@${f.k} ${f.passAtK.toFixed(3)}\n` +
        `outputs: ${runDir}/ (checkpoint.json, metrics.jsonl, summary.json)\n` +
        `next: entrolab train <grpo config> with init_from: ${runDir}\n`,
    );
  },
};
