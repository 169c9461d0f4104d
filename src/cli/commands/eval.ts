// `entrolab eval <run-dir>`: greedy and sampled success, pass@k and the pass@k curve, on the test split.
import type { CommandModule } from 'yargs';
import { BACKENDS, type BackendChoice, selectBackend } from '../../backend/backend.ts';
import { UserError } from '../../base/errors.ts';
import { evalOptionsOf, evaluate } from '../../core/evaluate.ts';
import { defaultPassKs } from '../../core/pass-at-k.ts';
import { describeRunState } from '../../run/run-state.ts';
import { loadRun, loadRunPlugins } from '../../train/setup.ts';
import { EPISODES_RANGE, numberOption, SEED_RANGE } from '../number-flag.ts';

interface EvalArgs {
  run: string;
  episodes?: number;
  k?: string;
  samples?: number;
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
      .option(
        'episodes',
        numberOption('episodes', "test prompts to evaluate (default: the config's eval.episodes)", EPISODES_RANGE),
      )
      .option('k', {
        type: 'string',
        describe:
          'pass@k up to K (a number: K samples per prompt, the curve at 1, 2, 4, …, K) or at a list of k ' +
          "(e.g. 1,16,64: as many samples as the largest) (default: the config's eval.k, eval.samples, eval.pass_k)",
      })
      .option(
        'samples',
        numberOption(
          'samples',
          'samples per prompt (n ≥ every k) for the unbiased pass@k estimate (default: the largest k)',
          { min: 1, max: 1024 },
        ),
      )
      .option('seed', numberOption('seed', "seed of the evaluation's prompts and samples", SEED_RANGE, 0))
      .option('backend', { choices: BACKENDS, default: 'auto' as BackendChoice })
      .option('json', { type: 'boolean', default: false, describe: 'print the result as JSON' }) as never,
  handler: async (args) => {
    const note = describeRunState(args.run);
    if (note) process.stderr.write(`note: ${note}; evaluating its last checkpoint\n`);
    const backend = await selectBackend(args.backend);
    await loadRunPlugins(args.run);
    const { config, envFactory, policy, ckpt } = loadRun(args.run);
    const fromConfig = evalOptionsOf(config.eval, config.rollout.temperature, `eval-cli:${args.seed}`);
    const asked = args.k === undefined ? undefined : parseKList(args.k);
    const samples = args.samples ?? asked?.samples ?? fromConfig.samples;
    if (samples !== undefined && !(Number.isInteger(samples) && samples >= 1 && samples <= 1024))
      throw new UserError(`--samples must be an integer from 1 to 1024, got ${samples}`, '--samples');
    const k = asked ? Math.max(...asked.ks) : fromConfig.k;
    if (samples !== undefined && samples < Math.max(k, ...(asked?.ks ?? fromConfig.passKs ?? [])))
      throw new UserError(`--samples ${samples} is fewer than the largest k asked for`, '--samples');
    const result = evaluate(envFactory, policy, {
      ...fromConfig,
      prompts: args.episodes ?? config.eval.episodes,
      k,
      samples,
      passKs: asked?.ks ?? fromConfig.passKs,
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
        `  pass@${result.k}${' '.repeat(Math.max(1, 13 - String(result.k).length))}${result.passAtK.toFixed(3)}\n` +
        `  pass@k curve      ${curveText(result.passAtKCurve)} (from ${result.samples} samples per prompt)\n` +
        `  mean reward       ${result.rewardMean.toFixed(3)}\n` +
        `  mean length       ${result.lengthMean.toFixed(2)} tokens\n`,
    );
  },
};

/** `--k`: one number K (K samples, the curve 1, 2, 4, …, K) or a comma-separated list of k (as many samples as the largest). */
export function parseKList(text: string): { samples: number; ks: number[] } {
  const parts = String(text)
    .split(',')
    .map((s) => s.trim());
  const ks = parts.map(Number);
  if (parts.some((s) => !/^\d+$/.test(s)) || ks.some((k) => k < 1 || k > 1024))
    throw new UserError(
      `expected a number K or a comma-separated list of k, each from 1 to 1024; got '${text}'`,
      '--k',
    );
  const samples = Math.max(...ks);
  return { samples, ks: ks.length === 1 ? defaultPassKs(samples) : [...new Set(ks)].sort((a, b) => a - b) };
}

function curveText(curve: Record<string, number>): string {
  return Object.entries(curve)
    .map(([k, v]) => `@${k} ${v.toFixed(3)}`)
    .join('  ');
}
