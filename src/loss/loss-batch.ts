// The JSON batch format of `entrolab loss` (docs/bonus-clipcov-klcov-loss.md "The loss command"): one
// mini-batch of per-token values as [B][L] arrays, validated into a Batch with one-line UserErrors
// that name the field, the expected shape and the offending entry.
import fs from 'node:fs';
import type { Batch } from '../base/batch.ts';
import { UserError } from '../base/errors.ts';
import { nearest } from '../config/load.ts';
import type { PolicyInputs } from '../policies/policy.ts';

type Raw = Record<string, unknown>;

export interface LossBatch {
  /** `batch.actions` holds zeros when the file has no `actions` field (`hasActions` false). */
  batch: Batch;
  /** 'rewards' when the file gives `rewards` and no `advantages`: the command computes them (grpo.adv_estimator). */
  advantagesFrom: 'given' | 'rewards';
  /** `greedy_rewards`: ReMax's baseline per row. */
  greedyReward?: Float64Array;
  hasActions: boolean;
  logProbs: Float32Array;
  entropy: Float32Array;
  /** The current log-distribution per slot, [B·L·A] (field `log_policy`), for the tape's logPolicy. */
  logPolicy?: Float32Array;
  step: number;
  totalSteps: number;
  epoch: number;
  miniBatch: number;
  /** Fields `rewards` and `success` were given (else every row has reward 0 and counts as wrong). */
  hasRewards: boolean;
  hasSuccess: boolean;
  /** Each action's name by id (field `action_names`), for regularizers configured with names. */
  actionNames?: string[];
  /**
   * Field `state`: per regularizer name, the controller or anchor state its hooks start from (what
   * its getState returns, as saved in a checkpoint's regularizers entry). Checked by computeLoss.
   */
  state: Record<string, unknown>;
}

const TOKEN_FIELDS = [
  'log_probs',
  'old_log_probs',
  'advantages',
  'mask',
  'ref_log_probs',
  'entropy',
  'old_entropy',
  'turn_index',
  'old_log_policy',
  'actions',
  'log_policy',
  'old_action_logits',
] as const;
const ROW_FIELDS = ['group_ids', 'rewards', 'greedy_rewards', 'success', 'is_extra'] as const;
const SCALAR_FIELDS = ['step', 'total_steps', 'epoch', 'mini_batch'] as const;
const OTHER_FIELDS = ['action_names', 'state'] as const;
const ALL_FIELDS: readonly string[] = [...TOKEN_FIELDS, ...ROW_FIELDS, ...SCALAR_FIELDS, ...OTHER_FIELDS];
const REQUIRED = ['log_probs', 'old_log_probs', 'advantages', 'mask'] as const;

/** A batch that only carries data: no policy reads it (the loss command has no policy). */
export function dataOnlyInputs(rows: number, width: number): PolicyInputs {
  return {
    rows,
    width,
    selectRows: (r) => dataOnlyInputs(r.length, width),
    concatRows: (other, w) => dataOnlyInputs(rows + other.rows, w),
    toJSON: () => ({ rows, width }),
  };
}

/** The data-only inputs of saved rows (`{rows, width}`, as a replay buffer in the batch file's `state` has them). */
export function decodeDataOnlyInputs(json: unknown): PolicyInputs {
  const { rows, width } = (json ?? {}) as { rows?: unknown; width?: unknown };
  if (!Number.isInteger(rows) || !Number.isInteger(width)) throw new Error('saved inputs need integer rows and width');
  return dataOnlyInputs(rows as number, width as number);
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
    const shape =
      `a [B][L] array of ${opts.binary ? '0/1' : 'numbers'} with B = ${rows} rows of L = ${width} entries ` +
      "(the shape of 'log_probs')";
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
    if (!Array.isArray(first) || first.length === 0)
      this.fail(field, `must be ${shape}; [0][0] is ${JSON.stringify(first)}`);
    const a = first.length;
    const out = new Float32Array(rows * width * a);
    (value as unknown[]).forEach((row, r) => {
      if (!Array.isArray(row) || row.length !== width)
        this.fail(field, `must be ${shape}; row ${r} does not have ${width} entries`);
      row.forEach((dist, t) => {
        if (!Array.isArray(dist) || dist.length !== a)
          this.fail(field, `must be ${shape}; [${r}][${t}] does not have ${a} entries`);
        dist.forEach((x, k) => (out[(r * width + t) * a + k] = this.number(field, x, `[${r}][${t}][${k}]`, false)));
      });
    });
    return { values: out, numActions: a };
  }

  perRow(field: string, rows: number, integer: boolean, binary = false): number[] {
    const value = this.doc[field];
    const what = binary ? '0/1 values' : integer ? 'integers' : 'numbers';
    if (!Array.isArray(value) || value.length !== rows)
      this.fail(field, `must be a [B] array of ${what} with B = ${rows}`);
    return value.map((x, r) => {
      const v = this.number(field, x, `[${r}]`, integer);
      if (binary && v !== 0 && v !== 1) this.fail(field, `must hold 0 or 1; [${r}] is ${v}`);
      return v;
    });
  }

  /** `[A]` strings, one per action, A = `numActions` when known. */
  names(field: string, numActions: number): string[] | undefined {
    const value = this.doc[field];
    if (value === undefined) return undefined;
    const size = numActions > 0 ? ` with A = ${numActions} entries (the last dimension of the distributions)` : '';
    if (!Array.isArray(value) || value.some((x) => typeof x !== 'string') || value.length === 0)
      this.fail(field, `must be a non-empty [A] array of strings, each action's name${size}`);
    if (numActions > 0 && value.length !== numActions)
      this.fail(field, `must be an [A] array of strings${size}; it has ${value.length}`);
    return value as string[];
  }

  scalar(field: string, fallback: number, min: number): number {
    const value = this.doc[field];
    if (value === undefined) return fallback;
    const v = this.number(field, value, 'the value', true);
    if (v < min) this.fail(field, `must be an integer >= ${min}; got ${v}`);
    return v;
  }
}

/** Token indices ≥ 0 on the valid slots, and < A when a distribution gives the action count. */
function checkActions(
  reader: FieldReader,
  actions: Int32Array,
  mask: Float32Array,
  width: number,
  dist: { field: string; numActions: number } | undefined,
): void {
  for (let i = 0; i < actions.length; i++) {
    if (!mask[i]) continue;
    const a = actions[i];
    if (a >= 0 && (!dist || a < dist.numActions)) continue;
    const range = dist ? `0 <= a < ${dist.numActions} (the last dimension of '${dist.field}')` : 'a >= 0';
    reader.fail('actions', `must hold token indices ${range}; [${Math.floor(i / width)}][${i % width}] is ${a}`);
  }
}

/**
 * On the valid slots, `log_policy` is a log-distribution (Σ exp = 1 within 1e-4) whose entry at the
 * taken action is `log_probs` (within 1e-5): the tape's two views of one forward pass must agree.
 */
function checkLogPolicy(
  reader: FieldReader,
  values: Float32Array,
  numActions: number,
  logProbs: Float32Array,
  actions: Int32Array,
  mask: Float32Array,
  width: number,
): void {
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    const at = `[${Math.floor(i / width)}][${i % width}]`;
    let total = 0;
    for (let v = 0; v < numActions; v++) total += Math.exp(values[i * numActions + v]);
    if (Math.abs(total - 1) > 1e-4)
      reader.fail('log_policy', `must hold log-distributions; the probabilities at ${at} sum to ${total}`);
    const entry = values[i * numActions + actions[i]];
    if (Math.abs(entry - logProbs[i]) > 1e-5) {
      reader.fail(
        'log_probs',
        `must equal 'log_policy' at the taken action; at ${at} it is ${logProbs[i]}, ` +
          `log_policy${at}[${actions[i]}] is ${entry}`,
      );
    }
  }
}

/** Validate a parsed JSON document into a Batch plus the taped values. */
export function parseLossBatch(doc: unknown, file: string): LossBatch {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    const optional = ALL_FIELDS.filter((f) => !(REQUIRED as readonly string[]).includes(f));
    throw new UserError(
      `must be a JSON object with fields ${REQUIRED.join(', ')} ([B][L] arrays) and optional ${optional.join(', ')}`,
      file,
    );
  }
  const raw = doc as Raw;
  for (const key of Object.keys(raw)) {
    if (!ALL_FIELDS.includes(key)) {
      const guess = nearest(key, ALL_FIELDS);
      throw new UserError(
        `unknown field '${key}'${guess ? `; did you mean '${guess}'?` : ''} (allowed: ${ALL_FIELDS.join(', ')})`,
        file,
      );
    }
  }
  const reader: FieldReader = new FieldReader(raw, file);
  const fromRewards = raw.advantages === undefined && raw.rewards !== undefined;
  for (const field of REQUIRED) {
    if (raw[field] !== undefined || (field === 'advantages' && fromRewards)) continue;
    const alternative =
      field === 'advantages'
        ? "; or give 'rewards' ([B], with 'group_ids') and the command computes them with grpo.adv_estimator"
        : '';
    reader.fail(
      field,
      `is required: a [B][L] array of numbers (rows = responses, columns = token slots)${alternative}`,
    );
  }
  const lp = raw.log_probs;
  if (!Array.isArray(lp) || lp.length === 0 || !Array.isArray(lp[0]) || lp[0].length === 0) {
    return reader.fail(
      'log_probs',
      `must be a non-empty [B][L] array of numbers; got ${JSON.stringify(lp)?.slice(0, 60)}`,
    );
  }
  const rows = lp.length;
  const width = (lp[0] as unknown[]).length;
  const tokens = (field: string, opts?: { integer?: boolean; binary?: boolean }) =>
    reader.tokens(field, rows, width, opts);
  const has = (field: string) => raw[field] !== undefined;

  const logProbs = tokens('log_probs');
  const mask = tokens('mask', { binary: true });
  const entropy = has('entropy')
    ? tokens('entropy')
    : has('old_entropy')
      ? tokens('old_entropy')
      : new Float32Array(rows * width);
  const oldEntropy = has('old_entropy') ? tokens('old_entropy') : entropy.slice();
  const turnIndex = has('turn_index')
    ? Int32Array.from(tokens('turn_index', { integer: true }))
    : new Int32Array(rows * width);
  const policy = has('old_log_policy') ? reader.distributions('old_log_policy', rows, width) : undefined;
  const current = has('log_policy') ? reader.distributions('log_policy', rows, width) : undefined;
  if (current && !has('actions'))
    reader.fail('actions', "is required with 'log_policy': a [B][L] array of integers, the token taken at each slot");
  if (current && policy && current.numActions !== policy.numActions)
    reader.fail('log_policy', `has ${current.numActions} actions per slot, 'old_log_policy' ${policy.numActions}`);
  const actions = has('actions') ? Int32Array.from(tokens('actions', { integer: true })) : new Int32Array(rows * width);
  const sized = current ? { field: 'log_policy', ...current } : policy && { field: 'old_log_policy', ...policy };
  if (has('actions')) checkActions(reader, actions, mask, width, sized);
  if (current) checkLogPolicy(reader, current.values, current.numActions, logProbs, actions, mask, width);
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
    actions,
    mask,
    turnIndex,
    oldLogProbs: tokens('old_log_probs'),
    oldEntropy,
    refLogProbs: has('ref_log_probs') ? tokens('ref_log_probs') : undefined,
    oldLogPolicy: policy?.values,
    numActions: policy?.numActions ?? current?.numActions ?? 0,
    advantages: fromRewards ? new Float32Array(rows * width) : tokens('advantages'),
    oldActionLogits: has('old_action_logits') ? tokens('old_action_logits') : undefined,
    groupId: has('group_ids')
      ? Int32Array.from(reader.perRow('group_ids', rows, true))
      : Int32Array.from({ length: rows }, (_, i) => i),
    reward: has('rewards') ? Float64Array.from(reader.perRow('rewards', rows, false)) : new Float64Array(rows),
    success: has('success') ? Uint8Array.from(reader.perRow('success', rows, true, true)) : new Uint8Array(rows),
    length,
    turns,
    temperature: new Float32Array(rows).fill(1),
    isExtra: has('is_extra') ? Uint8Array.from(reader.perRow('is_extra', rows, true)) : new Uint8Array(rows),
  };
  const state = raw.state ?? {};
  if (typeof state !== 'object' || state === null || Array.isArray(state))
    reader.fail('state', `must map regularizer names to their saved state; got ${JSON.stringify(state)}`);
  const step = reader.scalar('step', 0, 0);
  const totalSteps = reader.scalar('total_steps', Math.max(1, step + 1), 1);
  return {
    batch,
    advantagesFrom: fromRewards ? 'rewards' : 'given',
    ...(has('greedy_rewards') && { greedyReward: Float64Array.from(reader.perRow('greedy_rewards', rows, false)) }),
    hasActions: has('actions'),
    logProbs,
    logPolicy: current?.values,
    entropy,
    step,
    totalSteps,
    epoch: reader.scalar('epoch', 0, 0),
    miniBatch: reader.scalar('mini_batch', 0, 0),
    hasRewards: has('rewards'),
    hasSuccess: has('success'),
    actionNames: reader.names('action_names', batch.numActions),
    state: state as Record<string, unknown>,
  };
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
