// The computation behind `entrolab loss`: the GRPO loss (+ regularizers) of one mini-batch given as
// JSON, its per-token values, its gradient with respect to every log-prob and entropy, the metrics,
// and which tokens each regularizer selected — through composeLoss, the trainer's own loss, with
// tf.grad. For checking entrolab against another implementation token by token. Format:
// docs/bonus-clipcov-klcov-loss.md "The loss command"; the batch parsing is src/loss/loss-batch.ts.
import * as tf from '@tensorflow/tfjs';
import type { Regularizer, TokenSelection } from '../../algorithms/regularizer.ts';
import type { Batch } from '../base/batch.ts';
import { UserError } from '../base/errors.ts';
import type { LossConfig } from '../config/loss-config.ts';
import { type ActiveRegularizer, createRegularizers } from '../core/regularizer-set.ts';
import { composeLoss, type StepPosition, type UpdateMetrics } from '../core/update.ts';
import { advantagesFromRewards } from './loss-advantages.ts';
import { decodeDataOnlyInputs, type LossBatch } from './loss-batch.ts';
import { prepareLossBatch } from './loss-prepare.ts';

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
  /** With `log_policy`: d loss / d z [B][L][A] for the tape's log_softmax(z) at z = log_policy. */
  grad_log_policy?: number[][][];
  metrics: Record<string, number>;
  /** Per regularizer whose loss hooks returned a selection (or, with `prepare`, zeroed mask entries). */
  selections: Record<string, SelectionOutput>;
  /** With `rewards` and no `advantages`: the advantages grpo.adv_estimator gave (before --prepare's hooks). [B][L] */
  advantages?: number[][];
  /**
   * With `prepare`: the mask and advantages the loss used, after the prepareBatch hooks ([B][L]),
   * the shaped rewards ([B]) when a shapeRewards hook ran, and the rows a replayBatch hook returned.
   */
  prepared?: {
    mask: number[][];
    advantages: number[][];
    rewards?: number[];
    replay?: ReplayOutput;
  };
  /** Per regularizer that keeps state: its state after the hooks ran (e.g. a controller's advanced integral). */
  state?: Record<string, unknown>;
}

/** The rows a replayBatch hook would train on after the main mini-batches, and their loss scale. */
export interface ReplayOutput {
  loss_scale: number;
  mask: number[][];
  advantages: number[][];
  old_log_probs: number[][];
  actions: number[][];
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

function distributionRows(values: ArrayLike<number>, rows: number, width: number, A: number): number[][][] {
  return Array.from({ length: rows }, (_, r) =>
    Array.from({ length: width }, (_, t) =>
      Array.from({ length: A }, (_, v) => float32Number(values[(r * width + t) * A + v]) + 0),
    ),
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

/** The fields the loss or the active regularizers read that the batch lacks: one line naming the first. */
function requireFields(input: LossBatch, config: LossConfig, regularizers: ActiveRegularizer[], prepare: boolean) {
  const fail = (message: string) => {
    throw new UserError(message, 'batch');
  };
  if (!input.batch.refLogProbs) {
    const reason = config.grpo.use_kl_loss
      ? 'grpo.use_kl_loss is on'
      : regularizers.filter((r) => r.definition.needsReference).map((r) => `regularizer '${r.name}' needs it`)[0];
    if (reason) fail(`${reason} but the batch has no 'ref_log_probs' ([B][L] log-probs under the reference policy)`);
  }
  if (config.grpo.policy_loss === 'gppo' && config.grpo.gppo.positive_nll_coef > 0 && !input.hasSuccess) {
    fail("field 'success' is required: grpo.gppo.positive_nll_coef adds −lp over the correct rows ([B] of 0/1)");
  }
  // without --prepare only the loss hooks run
  const runs = (h: Regularizer) => prepare || Boolean(h.policyLoss || h.tokenWeights || h.lossTerm);
  const reader = regularizers.find((r) => r.hooks.readsActions && runs(r.hooks));
  if (reader && !input.hasActions) {
    fail(
      `field 'actions' is required: regularizer '${reader.name}' reads the sampled token of each slot ` +
        '(a [B][L] array of integers, the index of the token taken at each slot)',
    );
  }
  const logits = regularizers.find((r) => r.definition.needsActionLogits && prepare);
  if (logits && !input.batch.oldActionLogits) {
    fail(
      `field 'old_action_logits' is required: regularizer '${logits.name}' reads π_old's raw logit of each ` +
        'sampled token (a [B][L] array, before temperature)',
    );
  }
  const shaper = prepare ? regularizers.find((r) => r.hooks.shapeRewards) : undefined;
  if (shaper && !input.hasRewards) {
    fail(
      `field 'rewards' is required with --prepare: regularizer '${shaper.name}' shapes each row's reward ` +
        '(a [B] array of numbers, the environment reward of each row)',
    );
  }
  const judge = prepare ? regularizers.find((r) => r.hooks.shapeRewards && r.hooks.readsSuccess) : undefined;
  if (judge && !input.hasSuccess) {
    fail(
      `field 'success' is required with --prepare: regularizer '${judge.name}' reads whether each row's ` +
        'answer was correct (a [B] array of 0/1)',
    );
  }
  const wants = regularizers.find((r) => r.definition.needsLogPolicy);
  if (wants && !input.logPolicy) {
    fail(
      `field 'log_policy' is required: regularizer '${wants.name}' reads the current log-distribution ` +
        "(a [B][L][A] array, with 'actions'; 'log_probs' is its entry at the taken action)",
    );
  }
}

function replayOutput(batch: Batch, lossScale: number): ReplayOutput {
  const rows = (values: ArrayLike<number>) => toRows(values, batch.rows, batch.width, batch.mask);
  return {
    loss_scale: float32Number(lossScale),
    mask: toRows(batch.mask, batch.rows, batch.width),
    advantages: rows(batch.advantages),
    old_log_probs: rows(batch.oldLogProbs),
    actions: rows(batch.actions),
  };
}

/** The batch file's `state` entries given to the named regularizers' setState, one line naming a bad one. */
function restoreState(input: LossBatch, regularizers: ActiveRegularizer[]): void {
  for (const [name, state] of Object.entries(input.state)) {
    const reg = regularizers.find((r) => r.name === name);
    if (!reg) {
      const names = regularizers.map((r) => r.name).join(', ') || 'none';
      throw new UserError(
        `field 'state' names regularizer '${name}', which the config does not list (listed: ${names})`,
        'batch',
      );
    }
    if (!reg.hooks.setState) throw new UserError(`field 'state': regularizer '${name}' keeps no state`, 'batch');
    try {
      reg.hooks.setState(state);
    } catch (e) {
      throw new UserError(`field 'state.${name}': ${(e as Error).message}`, 'batch');
    }
  }
}

/** `prepare`: run the prepareBatch hooks on the batch first (src/loss/loss-prepare.ts). */
export function computeLoss(input: LossBatch, config: LossConfig, opts: { prepare?: boolean } = {}): LossOutput {
  let { batch } = input;
  const regularizers = createRegularizers(config.regularizers, { seed: config.seed, where: 'regularizers' });
  requireFields(input, config, regularizers, opts.prepare ?? false);
  restoreState(input, regularizers);
  const groups = new Set(batch.groupId).size;
  const step: StepPosition = {
    step: input.step,
    totalSteps: input.totalSteps,
    promptsPerStep: groups,
    groupSize: Math.max(1, Math.round(batch.rows / groups)),
    actionNames: input.actionNames,
    decodeInputs: decodeDataOnlyInputs,
  };
  const estimated =
    input.advantagesFrom === 'rewards' ? advantagesFromRewards(batch, input.greedyReward, config.grpo) : undefined;
  if (estimated) batch = estimated.batch;
  const estimatedAdvantages = estimated && toRows(batch.advantages, batch.rows, batch.width);
  const prep = opts.prepare ? prepareLossBatch(batch, regularizers, step, config.grpo, input.greedyReward) : undefined;
  if (prep) batch = prep.batch;
  let metrics: UpdateMetrics = {};
  let selected: Record<string, TokenSelection> = {};
  let tokenLoss: Float32Array = new Float32Array(batch.rows * batch.width);
  const lp = tf.tensor1d(input.logProbs);
  const ent = tf.tensor1d(input.entropy);
  const A = batch.numActions;
  // z = log_policy: the tape's log-distribution is log_softmax(z), so the gradient is d loss / d z
  const z = input.logPolicy && tf.tensor2d(input.logPolicy, [batch.rows * batch.width, A]);
  let loss = 0;
  let grads: tf.Tensor[] = [];
  try {
    const f = tf.grads((logProbs: tf.Tensor, entropy: tf.Tensor, logits?: tf.Tensor) => {
      const out = composeLoss({
        logProbs: logProbs as tf.Tensor1D,
        entropy: entropy as tf.Tensor1D,
        logPolicy: logits && (tf.logSoftmax(logits) as tf.Tensor2D),
        batch,
        regularizers,
        grpo: config.grpo,
        step,
        position: { epoch: input.epoch, miniBatch: input.miniBatch },
        highEntropyNats: config.highEntropyNats,
        inspect: (perToken) => {
          tokenLoss = perToken.dataSync() as Float32Array;
        },
      });
      ({ metrics, selections: selected } = out);
      const value = out.loss;
      loss = value.dataSync()[0];
      // zero-weight paths, so tf.grads has one to the entropies (and logits) even when no term uses them
      const unused = tf.mul(tf.add(tf.sum(entropy), logits ? tf.sum(logits) : 0), 0);
      return tf.add(value, unused);
    });
    grads = tf.tidy(() => f(z ? [lp, ent, z] : [lp, ent]));
  } finally {
    lp.dispose();
    ent.dispose();
    z?.dispose();
  }
  const [gLp, gEnt, gZ] = grads.map((g) => g.dataSync() as Float32Array);
  grads.forEach((g) => g.dispose());
  const selections: Record<string, SelectionOutput> = {};
  for (const [name, sel] of Object.entries({ ...prep?.selections, ...selected })) {
    selections[name] = selectionOutput(sel, batch.rows, batch.width);
  }
  Object.assign(metrics, estimated?.metrics, prep?.metrics);
  const stateful = regularizers.filter((r) => r.hooks.getState);
  return {
    loss: float32Number(loss),
    token_loss: toRows(tokenLoss, batch.rows, batch.width, batch.mask),
    grad_log_probs: toRows(gLp, batch.rows, batch.width),
    grad_entropy: toRows(gEnt, batch.rows, batch.width),
    ...(gZ && { grad_log_policy: distributionRows(gZ, batch.rows, batch.width, A) }),
    // every metric derives from float32 data: print it at float32 precision too
    metrics: Object.fromEntries(
      Object.entries(metrics)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, float32Number(v) + 0]),
    ),
    selections,
    ...(estimatedAdvantages && { advantages: estimatedAdvantages }),
    ...(prep && {
      prepared: {
        mask: toRows(batch.mask, batch.rows, batch.width),
        advantages: toRows(batch.advantages, batch.rows, batch.width),
        ...(prep.rewards && { rewards: Array.from(prep.rewards, (r) => float32Number(r) + 0) }),
        ...(prep.replay && { replay: replayOutput(prep.replay.batch, prep.replay.lossScale) }),
      },
    }),
    ...(stateful.length > 0 && { state: Object.fromEntries(stateful.map((r) => [r.name, r.hooks.getState!()])) }),
  };
}
