// `entrolab eval <run-dir>`: greedy and sampled success, pass@k, on the test split.
import type { CommandModule } from 'yargs';
import { BACKENDS, type BackendChoice, selectBackend } from '../../backend/backend.ts';
import { evaluate } from '../../core/evaluate.ts';
import { describeRunState } from '../../run/run-state.ts';
import { loadRun } from '../../train/setup.ts';

interface EvalArgs {
  run: string;
  episodes?: number;
  k?: number;
  seed: number;
  backend: BackendChoice;
  json: boolean;
}

export const evalCommand: CommandModule<object, EvalArgs> = {
  command: 'eval <run>',
  describe: 'evaluate a trained run on its test split: greedy and sampled success rate, pass@1 and pass@k',
  builder: (y) =>
    y
      .positional('run', {
        type: 'string',
        demandOption: true,
        describe: 'run directory (holds config.resolved.yaml and checkpoint.json)',
      })
      .option('episodes', {
        type: 'number',
        describe: "test prompts to evaluate (default: the config's eval.episodes)",
      })
      .option('k', { type: 'number', describe: 'samples per prompt for pass@k (default: eval.k)' })
      .option('seed', { type: 'number', default: 0, describe: "seed of the evaluation's prompts and samples" })
      .option('backend', { choices: BACKENDS, default: 'auto' as BackendChoice })
      .option('json', { type: 'boolean', default: false, describe: 'print the result as JSON' }) as never,
  handler: async (args) => {
    const note = describeRunState(args.run);
    if (note) process.stderr.write(`note: ${note}; evaluating its last checkpoint\n`);
    const backend = await selectBackend(args.backend);
    const { config, envFactory, policy, ckpt } = loadRun(args.run);
    const result = evaluate(envFactory, policy, {
      prompts: args.episodes ?? config.eval.episodes,
      k: args.k ?? config.eval.k,
      temperature: config.rollout.temperature,
      seed: `eval-cli:${args.seed}`,
    });
    policy.dispose();
    if (args.json) {
      process.stdout.write(`${JSON.stringify({ run: args.run, step: ckpt.step, backend: backend.name, ...result })}\n`);
      return;
    }
    process.stdout.write(
      `${args.run} (step ${ckpt.step}, ${config.env.name}, backend ${backend.detail})\n` +
        `  test prompts      ${result.prompts}\n` +
        `  greedy success    ${result.successGreedy.toFixed(3)}\n` +
        `  sampled (pass@1)  ${result.successSampled.toFixed(3)}\n` +
        `  pass@${result.k}            ${result.passAtK.toFixed(3)}\n` +
        `  mean reward       ${result.rewardMean.toFixed(3)}\n` +
        `  mean length       ${result.lengthMean.toFixed(2)} tokens\n`,
    );
  },
};
