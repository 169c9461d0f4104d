// `entrolab loss <batch.json>`: prints what src/loss/loss-check.ts computes for one JSON mini-batch
// (format: docs/bonus-clipcov-klcov-loss.md "The loss command").
import type { CommandModule } from 'yargs';
import { BACKENDS, type BackendChoice, selectBackend } from '../../backend/backend.ts';
import { loadConfigPlugins } from '../../config/load.ts';
import { loadLossConfig } from '../../config/loss-config.ts';
import { readLossBatch } from '../../loss/loss-batch.ts';
import { computeLoss } from '../../loss/loss-check.ts';

interface LossArgs {
  batch: string;
  config?: string;
  set: string[];
  backend: BackendChoice;
  compact: boolean;
  prepare: boolean;
}

export const lossCommand: CommandModule<object, LossArgs> = {
  command: 'loss <batch>',
  describe: 'compute the loss, per-token loss, gradient and regularizer selections of one JSON mini-batch',
  builder: (y) =>
    y
      .positional('batch', {
        type: 'string',
        demandOption: true,
        describe:
          'JSON file: log_probs, old_log_probs, advantages (or rewards with group_ids), mask as [B][L] arrays ' +
          '(see docs/bonus-clipcov-klcov-loss.md)',
      })
      .option('config', {
        type: 'string',
        describe: 'YAML config for grpo.*, seed and regularizers (env/policy may be absent; they are ignored)',
      })
      .option('set', {
        type: 'string',
        array: true,
        default: [],
        describe: "override a key: --set grpo.clip_ratio_high=0.28 --set 'regularizers=[{name: clip_cov, ratio: 0.5}]'",
      })
      .option('backend', {
        choices: BACKENDS,
        default: 'cpu' as BackendChoice,
        describe: 'TensorFlow.js backend (cpu: the reference backend)',
      })
      .option('compact', { type: 'boolean', default: false, describe: 'print the JSON on one line' })
      .option('prepare', {
        type: 'boolean',
        default: false,
        describe: 'run prepareBatch hooks first (entropy_clip drops tokens, canon rewrites advantages)',
      })
      .example("$0 loss batch.json --set 'regularizers=[{name: clip_cov}]'", 'Clip-Cov loss of one mini-batch')
      .example(
        '$0 loss batch.json --config configs/kl-cov.yaml',
        'KL-Cov with the loss settings of a run config',
      ) as never,
  handler: async (args) => {
    await loadConfigPlugins(args.config, args.set);
    const config = loadLossConfig(args.config, args.set);
    const input = readLossBatch(args.batch);
    await selectBackend(args.backend);
    const out = computeLoss(input, config, { prepare: args.prepare });
    process.stdout.write(`${args.compact ? JSON.stringify(out) : formatLossOutput(out)}\n`);
  },
};

/** Pretty JSON with each [L] row of a [B][L] array, and each list of [row, column] pairs, on one line. */
export function formatLossOutput(value: unknown, indent = ''): string {
  const inner = `${indent}  `;
  const isNumbers = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => typeof x === 'number');
  if (isNumbers(value)) return `[${value.join(', ')}]`;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    if (value.every((x) => isNumbers(x) && x.length === 2))
      return `[${value.map((x) => formatLossOutput(x)).join(', ')}]`;
    return `[\n${value.map((x) => inner + formatLossOutput(x, inner)).join(',\n')}\n${indent}]`;
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value);
    if (entries.length === 0) return '{}';
    const lines = entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${formatLossOutput(v, inner)}`);
    return `{\n${lines.join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}
