// `entrolab loss <batch.json>`: the GRPO loss (+ regularizers) of one mini-batch given as JSON, its
// per-token values, its gradient with respect to every log-prob and entropy, the metrics, and which
// tokens each regularizer selected — through composeLoss, the trainer's own loss, with tf.grad. For
// checking entrolab against another implementation token by token. Format: docs/bonus-clipcov-klcov-loss.md
// "The loss command"; the batch parsing is src/core/loss-batch.ts.
import * as tf from '@tensorflow/tfjs';
import type { CommandModule } from 'yargs';
import { REGULARIZERS } from '../../../algorithms/registry.ts';
import type { Regularizer, StepInfo, TokenSelection } from '../../../algorithms/regularizer.ts';
import { BACKENDS, selectBackend, type BackendChoice } from '../../core/backend.ts';
import { applyOverrides, nearest, readYamlFile, validate } from '../../config/load.ts';
import { topSchema, type GrpoConfig } from '../../config/schema.ts';
import { UserError } from '../../errors.ts';
import { readLossBatch, type LossBatch } from '../../core/loss-batch.ts';
import { makeStreams } from '../../core/rng.ts';
import { composeLoss, type UpdateMetrics } from '../../core/update.ts';

type Raw = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// Config: only the loss settings matter (grpo.*, seed, regularizers); env/policy are ignored

export interface LossConfig {
  grpo: GrpoConfig;
  /** Seeds the regularizer stream exactly as a run with this seed does at its first draw. */
  seed: number;
  regularizers: ({ name: string } & Raw)[];
}

export function parseLossConfig(raw: unknown, file: string): LossConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UserError('config must be a YAML mapping', file);
  const { env: _env, policy: _policy, regularizers, ...top } = raw as Raw;
  const parsed = validate(topSchema, top, '', file, ['env', 'policy', 'regularizers']);
  const names = Object.keys(REGULARIZERS);
  if (regularizers !== undefined && regularizers !== null && !Array.isArray(regularizers)) {
    throw new UserError(`config key 'regularizers' must be a list of {name: ..., <settings>} (one of ${names.join(', ')})`, file);
  }
  const regs = ((regularizers as unknown[] | undefined) ?? []).map((entry, i) => {
    const section = `regularizers.${i}`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new UserError(`config key '${section}' must be a mapping with a 'name'`, file);
    const { name, ...rest } = entry as Raw;
    const def = typeof name === 'string' ? REGULARIZERS[name] : undefined;
    if (!def) {
      const guess = typeof name === 'string' ? nearest(name, names) : undefined;
      throw new UserError(`config key '${section}.name': unknown regularizer ${JSON.stringify(name)}${guess ? `; did you mean '${guess}'?` : ''} (one of ${names.join(', ')})`, file);
    }
    return { name: name as string, ...(validate(def.schema, rest, section, file, ['name']) as Raw) };
  });
  return { grpo: parsed.grpo, seed: parsed.seed, regularizers: regs };
}

/** `--config` file (optional) then `--set` overrides. */
export function loadLossConfig(file: string | undefined, sets: readonly string[]): LossConfig {
  const raw = file ? readYamlFile(file) : {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UserError('config must be a YAML mapping', file);
  return parseLossConfig(applyOverrides(raw as Raw, sets), file ?? '--set');
}

// ---------------------------------------------------------------------------------------------
// The computation

export interface SelectionOutput {
  label: string;
  /** [row, column] pairs. */
  tokens?: [number, number][];
  candidates?: [number, number][];
  weights?: number[][];
}

export interface LossOutput {
  loss: number;
  /** Per-token loss after regularizer weights, before aggregation; 0 on padded slots. [B][L] */
  token_loss: number[][];
  /** d loss / d log_probs [B][L]. */
  grad_log_probs: number[][];
  /** d loss / d entropy [B][L] (non-zero with entropy terms). */
  grad_entropy: number[][];
  metrics: Record<string, number>;
  /** Per regularizer that reports one (Regularizer.lastSelection). */
  selections: Record<string, SelectionOutput>;
}

/** The shortest decimal that reads back as the same float32 (so 0.2f prints as 0.2). */
export function float32Number(x: number): number {
  const f = Math.fround(x);
  for (let p = 1; p < 10; p++) {
    const y = Number(f.toPrecision(p));
    if (Math.fround(y) === f) return y;
  }
  return f;
}

function toRows(values: ArrayLike<number>, rows: number, width: number, mask?: ArrayLike<number>): number[][] {
  return Array.from({ length: rows }, (_, r) =>
    Array.from({ length: width }, (_, t) => {
      const i = r * width + t;
      return mask && !mask[i] ? 0 : float32Number(values[i]) + 0; // + 0 turns −0 into 0
    }),
  );
}

function selectionOutput(sel: TokenSelection, rows: number, width: number): SelectionOutput {
  const pairs = (idx: number[]) => idx.map((i): [number, number] => [Math.floor(i / width), i % width]);
  const out: SelectionOutput = { label: sel.label };
  if (sel.tokens) out.tokens = pairs(sel.tokens);
  if (sel.candidates) out.candidates = pairs(sel.candidates);
  if (sel.weights) out.weights = toRows(sel.weights, rows, width);
  return out;
}

export function computeLoss(input: LossBatch, config: LossConfig): LossOutput {
  const { batch } = input;
  if (config.grpo.use_kl_loss && !batch.refLogProbs) {
    throw new UserError("grpo.use_kl_loss is on but the batch has no 'ref_log_probs' ([B][L] log-probs under the reference policy)", 'batch');
  }
  const regularizers: Regularizer[] = config.regularizers.map(({ name, ...rest }) => REGULARIZERS[name].create(rest));
  const owners = regularizers.filter((r) => r.policyLoss);
  if (owners.length > 1) {
    throw new UserError(`at most one regularizer may replace the policy loss; got ${owners.map((r) => r.name).join(' and ')}`, 'regularizers');
  }
  const groups = new Set(batch.groupId).size;
  const info: StepInfo = {
    step: input.step,
    totalSteps: input.totalSteps,
    rng: makeStreams(config.seed).regularizer,
    promptsPerStep: groups,
    groupSize: Math.max(1, Math.round(batch.rows / groups)),
  };
  const metrics: UpdateMetrics = {};
  let tokenLoss: Float32Array = new Float32Array(batch.rows * batch.width);
  const lp = tf.tensor1d(input.logProbs);
  const ent = tf.tensor1d(input.entropy);
  let loss = 0;
  let grads: tf.Tensor[] = [];
  try {
    const f = tf.grads((logProbs: tf.Tensor, entropy: tf.Tensor) => {
      const value = composeLoss(logProbs as tf.Tensor1D, entropy as tf.Tensor1D, batch, regularizers, config.grpo, info, { epoch: input.epoch, miniBatch: input.miniBatch }, metrics, (_ctx, perToken) => {
        tokenLoss = perToken.dataSync() as Float32Array;
      });
      loss = value.dataSync()[0];
      // a zero-weight path, so tf.grads has one to the entropies even when no term uses them
      return tf.add(value, tf.mul(tf.sum(entropy), 0));
    });
    grads = tf.tidy(() => f([lp, ent]));
  } finally {
    lp.dispose();
    ent.dispose();
  }
  const [gLp, gEnt] = grads.map((g) => g.dataSync() as Float32Array);
  grads.forEach((g) => g.dispose());
  const allMetrics: Record<string, number> = { ...metrics };
  const selections: Record<string, SelectionOutput> = {};
  for (const reg of regularizers) {
    for (const [k, v] of Object.entries(reg.metrics?.() ?? {})) allMetrics[k.includes('/') ? k : `${reg.name}/${k}`] = v;
    const sel = reg.lastSelection?.();
    if (sel) selections[reg.name] = selectionOutput(sel, batch.rows, batch.width);
  }
  return {
    loss: float32Number(loss),
    token_loss: toRows(tokenLoss, batch.rows, batch.width, batch.mask),
    grad_log_probs: toRows(gLp, batch.rows, batch.width),
    grad_entropy: toRows(gEnt, batch.rows, batch.width),
    // every metric derives from float32 data: print it at float32 precision too
    metrics: Object.fromEntries(Object.entries(allMetrics).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, float32Number(v) + 0])),
    selections,
  };
}
// ---------------------------------------------------------------------------------------------
// The command

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
      .positional('batch', { type: 'string', demandOption: true, describe: 'JSON file: log_probs, old_log_probs, advantages, mask as [B][L] arrays (see docs/bonus-clipcov-klcov-loss.md)' })
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

/** Pretty JSON with each [L] row of a [B][L] array, and each list of [row, column] pairs, on one line. */
export function formatLossOutput(value: unknown, indent = ''): string {
  const inner = `${indent}  `;
  const isNumbers = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => typeof x === 'number');
  if (isNumbers(value)) return `[${value.join(', ')}]`;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    if (value.every((x) => isNumbers(x) && x.length === 2)) return `[${value.map((x) => formatLossOutput(x)).join(', ')}]`;
    return `[\n${value.map((x) => inner + formatLossOutput(x, inner)).join(',\n')}\n${indent}]`;
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value);
    if (entries.length === 0) return '{}';
    return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${formatLossOutput(v, inner)}`).join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}
