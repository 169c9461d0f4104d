// `entrolab play <run-dir>`: watch a trained policy act, one frame per step.
import type { CommandModule } from 'yargs';
import { BACKENDS, type BackendChoice, selectBackend } from '../../backend/backend.ts';
import { Rng } from '../../base/rng.ts';
import { sampleToken } from '../../rollout/rollout.ts';
import { loadRun, loadRunPlugins } from '../../train/setup.ts';
import { numberOption, SEED_RANGE } from '../number-flag.ts';

interface PlayArgs {
  run: string;
  episodes: number;
  greedy: boolean;
  delay?: number;
  seed: number;
  backend: BackendChoice;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const playCommand: CommandModule<object, PlayArgs> = {
  command: 'play <run>',
  describe: 'watch a trained policy in its environment (terminal rendering)',
  builder: (y) =>
    y
      .positional('run', { type: 'string', demandOption: true, describe: 'run directory' })
      .option('episodes', numberOption('episodes', 'episodes to play', { min: 1, max: 10_000 }, 1))
      .option('greedy', {
        type: 'boolean',
        default: false,
        describe: 'take the most likely action instead of sampling',
      })
      .option(
        'delay',
        numberOption('delay', 'milliseconds between frames (default 250 on a terminal, 0 otherwise)', {
          min: 0,
          max: 60_000,
          integer: false,
        }),
      )
      .option('seed', numberOption('seed', 'seed of the test prompts and samples', SEED_RANGE, 0))
      .option('backend', { choices: BACKENDS, default: 'auto' as BackendChoice }) as never,
  handler: async (args) => {
    await selectBackend(args.backend);
    await loadRunPlugins(args.run);
    const { config, envFactory, policy } = loadRun(args.run);
    const delay = args.delay ?? (process.stdout.isTTY ? 250 : 0);
    const rng = new Rng(`play:${args.seed}`);
    const env = envFactory();
    for (let e = 0; e < args.episodes; e++) {
      const prompt = env.samplePrompt(rng, 'test');
      env.reset(prompt, rng);
      const session = policy.startSampling(1);
      let total = 0;
      process.stdout.write(`episode ${e + 1} (${prompt.id})\n${env.render()}\n`);
      for (let t = 0; t < env.maxTokens; t++) {
        const logits = session.nextLogits([0], [env.observe()]);
        const action = sampleToken(logits, 0, policy.numActions, config.rollout.temperature, args.greedy, rng);
        const result = env.step(action);
        total += result.reward;
        process.stdout.write(`\nstep ${t + 1}: ${env.actionName(action)}  reward ${result.reward}\n${env.render()}\n`);
        if (delay > 0) await sleep(delay);
        if (result.done) {
          process.stdout.write(`${result.success ? 'solved' : 'not solved'}; return ${total}\n\n`);
          break;
        }
      }
      session.dispose();
    }
    policy.dispose();
  },
};
