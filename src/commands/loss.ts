// `entrolab loss <batch.json>`: the GRPO loss (+ regularizers) of one mini-batch given as JSON, its
// per-token values, its gradient with respect to every log-prob, the metrics, and which tokens each
// regularizer selected. For checking entrolab against another implementation token by token.
// Format: docs/regularizers-a.md "The loss command"; parsing and computation: src/loss-batch.ts.
import type { CommandModule } from 'yargs';
import { BACKENDS, selectBackend, type BackendChoice } from '../backend.ts';
import { computeLoss, loadLossConfig, readLossBatch } from '../loss-batch.ts';

interface LossArgs {
  batch: string;
  config?: string;
  set: string[];
  backend: BackendChoice;
  compact: boolean;
}

export const lossCommand: CommandModule<object, LossArgs> = {
  command: 'loss <batch>',
  describe: 'compute the loss, per-token loss, gradient and regularizer selections of one JSON mini-batch',
  builder: (y) =>
    y
      .positional('batch', { type: 'string', demandOption: true, describe: 'JSON file: log_probs, old_log_probs, advantages, mask as [B][L] arrays (see docs/regularizers-a.md)' })
      .option('config', { type: 'string', describe: 'YAML config for grpo.*, seed and regularizers (env/policy may be absent; they are ignored)' })
      .option('set', { type: 'string', array: true, default: [], describe: "override a key: --set grpo.clip_ratio_high=0.28 --set 'regularizers=[{name: clip_cov, ratio: 0.5}]'" })
      .option('backend', { choices: BACKENDS, default: 'cpu' as BackendChoice, describe: 'TensorFlow.js backend (cpu: the reference backend)' })
      .option('compact', { type: 'boolean', default: false, describe: 'print the JSON on one line' })
      .example("$0 loss batch.json --set 'regularizers=[{name: clip_cov}]'", 'Clip-Cov loss of one mini-batch')
      .example('$0 loss batch.json --config configs/kl-cov.yaml', 'KL-Cov with the loss settings of a run config') as never,
  handler: async (args) => {
    const config = loadLossConfig(args.config, args.set);
    const input = readLossBatch(args.batch);
    await selectBackend(args.backend);
    const out = computeLoss(input, config);
    process.stdout.write(`${args.compact ? JSON.stringify(out) : formatLossOutput(out)}\n`);
  },
};

/** Pretty JSON with each [L] row of a [B][L] array on one line. */
export function formatLossOutput(out: object): string {
  return JSON.stringify(out, null, 2).replace(/\[\s+(-?[\d.e+-]+(?:,\s+-?[\d.e+-]+)*)\s+\]/g, (_m, inner: string) => `[${inner.split(/,\s+/).join(', ')}]`);
}
