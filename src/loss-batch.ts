// `entrolab loss`: the JSON batch format, the loss-only config, and the computation — one mini-batch
// through composeLoss (the trainer's own loss) with the gradient taken by tf.grad with respect to
// the log-probs and entropies given in the file. Format: docs/regularizers-a.md "The loss command".
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { REGULARIZERS } from '../algorithms/registry.ts';
import type { Regularizer, StepInfo, TokenSelection } from '../algorithms/regularizer.ts';
import type { Batch } from './batch.ts';
import { applyOverrides, nearest, readYamlFile, validate } from './config.ts';
import { topSchema, type GrpoConfig } from './config-schema.ts';
import { UserError } from './errors.ts';
import type { PolicyInputs } from './policy.ts';
import { makeStreams } from './rng.ts';
import { composeLoss, type UpdateMetrics } from './update.ts';

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
// The batch file

export interface LossBatch {
  batch: Batch;
  logProbs: Float32Array;
  entropy: Float32Array;
  step: number;
  totalSteps: number;
  epoch: number;
  miniBatch: number;
}

const TOKEN_FIELDS = ['log_probs', 'old_log_probs', 'advantages', 'mask', 'ref_log_probs', 'entropy', 'old_entropy', 'turn_index', 'old_log_policy'] as const;
const ROW_FIELDS = ['group_ids', 'rewards', 'is_extra'] as const;
const SCALAR_FIELDS = ['step', 'total_steps', 'epoch', 'mini_batch'] as const;
const ALL_FIELDS: readonly string[] = [...TOKEN_FIELDS, ...ROW_FIELDS, ...SCALAR_FIELDS];
const REQUIRED = ['log_probs', 'old_log_probs', 'advantages', 'mask'] as const;

/** A batch that only carries data: no policy reads it (the loss command has no policy). */
function dataOnlyInputs(rows: number, width: number): PolicyInputs {
  return { rows, width, selectRows: (r) => dataOnlyInputs(r.length, width) };
}

class FieldReader {
  constructor(
    private readonly doc: Raw,
    private readonly file: string,
  ) {}

  fail(field: string, message: string): never {
    throw new UserError(`field '${field}' ${message}`, this.file);
  }

  private number(field: string, value: unknown, where: string, integer: boolean): number {
    if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
      this.fail(field, `must hold ${integer ? 'integers' : 'finite numbers'}; ${where} is ${JSON.stringify(value)}`);
    }
    return value;
  }

  /** A [B][L] (or [B][L][A] when depth = 3) array of numbers, flattened row-major. */
  tokens(field: string, rows: number, width: number, opts: { integer?: boolean; binary?: boolean } = {}): Float32Array {
    const value = this.doc[field];
    const shape = `a [B][L] array of ${opts.binary ? '0/1' : 'numbers'} with B = ${rows} rows of L = ${width} entries (the shape of 'log_probs')`;
    if (!Array.isArray(value)) this.fail(field, `must be ${shape}; got ${value === null ? 'null' : typeof value}`);
    if (value.length !== rows) this.fail(field, `must be ${shape}; it has ${value.length} rows`);
    const out = new Float32Array(rows * width);
    value.forEach((row, r) => {
      if (!Array.isArray(row)) this.fail(field, `must be ${shape}; row ${r} is ${JSON.stringify(row)}`);
      if (row.length !== width) this.fail(field, `must be ${shape}; row ${r} has ${row.length} entries`);
      row.forEach((x, t) => {
        const v = this.number(field, x, `[${r}][${t}]`, opts.integer ?? false);
        if (opts.binary && v !== 0 && v !== 1) this.fail(field, `must hold 0 or 1; [${r}][${t}] is ${v}`);
        out[r * width + t] = v;
      });
    });
    return out;
  }

  /** [B][L][A], flattened. */
  distributions(field: string, rows: number, width: number): { values: Float32Array; numActions: number } {
    const value = this.doc[field];
    const shape = `a [B][L][A] array of numbers (B = ${rows}, L = ${width}, the same A everywhere)`;
    if (!Array.isArray(value) || value.length !== rows) this.fail(field, `must be ${shape}`);
    const first = (value as unknown[][])[0]?.[0];
    if (!Array.isArray(first) || first.length === 0) this.fail(field, `must be ${shape}; [0][0] is ${JSON.stringify(first)}`);
    const a = first.length;
    const out = new Float32Array(rows * width * a);
    (value as unknown[]).forEach((row, r) => {
      if (!Array.isArray(row) || row.length !== width) this.fail(field, `must be ${shape}; row ${r} does not have ${width} entries`);
      row.forEach((dist, t) => {
        if (!Array.isArray(dist) || dist.length !== a) this.fail(field, `must be ${shape}; [${r}][${t}] does not have ${a} entries`);
        dist.forEach((x, k) => (out[(r * width + t) * a + k] = this.number(field, x, `[${r}][${t}][${k}]`, false)));
      });
    });
    return { values: out, numActions: a };
  }

  perRow(field: string, rows: number, integer: boolean): number[] {
    const value = this.doc[field];
    if (!Array.isArray(value) || value.length !== rows) this.fail(field, `must be a [B] array of ${integer ? 'integers' : 'numbers'} with B = ${rows}`);
    return value.map((x, r) => this.number(field, x, `[${r}]`, integer));
  }

  scalar(field: string, fallback: number, min: number): number {
    const value = this.doc[field];
    if (value === undefined) return fallback;
    const v = this.number(field, value, 'the value', true);
    if (v < min) this.fail(field, `must be an integer >= ${min}; got ${v}`);
    return v;
  }
}

/** Validate a parsed JSON document into a Batch plus the taped values. */
export function parseLossBatch(doc: unknown, file: string): LossBatch {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new UserError(`must be a JSON object with fields ${REQUIRED.join(', ')} ([B][L] arrays) and optional ${ALL_FIELDS.filter((f) => !(REQUIRED as readonly string[]).includes(f)).join(', ')}`, file);
  }
  const raw = doc as Raw;
  for (const key of Object.keys(raw)) {
    if (!ALL_FIELDS.includes(key)) {
      const guess = nearest(key, ALL_FIELDS);
      throw new UserError(`unknown field '${key}'${guess ? `; did you mean '${guess}'?` : ''} (allowed: ${ALL_FIELDS.join(', ')})`, file);
    }
  }
  const reader: FieldReader = new FieldReader(raw, file);
  for (const field of REQUIRED) if (raw[field] === undefined) reader.fail(field, 'is required: a [B][L] array of numbers (rows = responses, columns = token slots)');
  const lp = raw.log_probs;
  if (!Array.isArray(lp) || lp.length === 0 || !Array.isArray(lp[0]) || lp[0].length === 0) {
    return reader.fail('log_probs', `must be a non-empty [B][L] array of numbers; got ${JSON.stringify(lp)?.slice(0, 60)}`);
  }
  const rows = lp.length;
  const width = (lp[0] as unknown[]).length;
  const tokens = (field: string, opts?: { integer?: boolean; binary?: boolean }) => reader.tokens(field, rows, width, opts);
  const has = (field: string) => raw[field] !== undefined;

  const logProbs = tokens('log_probs');
  const mask = tokens('mask', { binary: true });
  const entropy = has('entropy') ? tokens('entropy') : has('old_entropy') ? tokens('old_entropy') : new Float32Array(rows * width);
  const oldEntropy = has('old_entropy') ? tokens('old_entropy') : entropy.slice();
  const turnIndex = has('turn_index') ? Int32Array.from(tokens('turn_index', { integer: true })) : new Int32Array(rows * width);
  const policy = has('old_log_policy') ? reader.distributions('old_log_policy', rows, width) : undefined;
  const length = new Int32Array(rows);
  const turns = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let t = 0; t < width; t++) {
      if (!mask[r * width + t]) continue;
      length[r] += 1;
      turns[r] = Math.max(turns[r], turnIndex[r * width + t] + 1);
    }
  }
  const batch: Batch = {
    rows,
    width,
    inputs: dataOnlyInputs(rows, width),
    actions: new Int32Array(rows * width),
    mask,
    turnIndex,
    oldLogProbs: tokens('old_log_probs'),
    oldEntropy,
    refLogProbs: has('ref_log_probs') ? tokens('ref_log_probs') : undefined,
    oldLogPolicy: policy?.values,
    numActions: policy?.numActions ?? 0,
    advantages: tokens('advantages'),
    groupId: has('group_ids') ? Int32Array.from(reader.perRow('group_ids', rows, true)) : Int32Array.from({ length: rows }, (_, i) => i),
    reward: has('rewards') ? Float64Array.from(reader.perRow('rewards', rows, false)) : new Float64Array(rows),
    success: new Uint8Array(rows),
    length,
    turns,
    temperature: new Float32Array(rows).fill(1),
    isExtra: has('is_extra') ? Uint8Array.from(reader.perRow('is_extra', rows, true)) : new Uint8Array(rows),
  };
  const step = reader.scalar('step', 0, 0);
  const totalSteps = reader.scalar('total_steps', Math.max(1, step + 1), 1);
  return { batch, logProbs, entropy, step, totalSteps, epoch: reader.scalar('epoch', 0, 0), miniBatch: reader.scalar('mini_batch', 0, 0) };
}

export function readLossBatch(file: string): LossBatch {
  if (!fs.existsSync(file)) throw new UserError('batch file not found', file);
  let doc: unknown;
  try {
    doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`invalid JSON: ${(e as Error).message}`, file);
  }
  return parseLossBatch(doc, file);
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
    metrics: Object.fromEntries(Object.entries(allMetrics).sort(([a], [b]) => a.localeCompare(b))),
    selections,
  };
}
