// Supervised warm start (the laptop-scale stand-in for pretraining): the env's expert writes
// demonstrations on the train split, a configurable fraction of them wrong, and the policy is
// trained by maximum likelihood on the demonstrated tokens only (prompt and feedback positions
// are context, not targets). It runs in the same lifecycle as a GRPO run (run-lifecycle.ts): lock,
// status.json, checkpoints every `sft.checkpoint_every` steps, Ctrl-C → checkpoint → `--resume`, and
// summary.json of the same shape, so `entrolab eval` and `report` read it and a GRPO config
// starts from it with `init_from: <run dir>`.
import * as tf from '@tensorflow/tfjs';
import { tokenStats } from '../../algorithms/grpo.ts';
import type { Env, EnvFactory } from '../../envs/env.ts';
import { demonstrate, TextEnv } from '../../envs/text-env.ts';
import type { BackendInfo } from '../backend/backend.ts';
import { UserError } from '../base/errors.ts';
import { makeStreams, type Rng } from '../base/rng.ts';
import { assertEnvCanBuild, assertSftFits } from '../config/resource-estimate.ts';
import { type Config, type SftConfig, sftSchema } from '../config/schema.ts';
import { Adam } from '../core/adam.ts';
import { type EvalResult, evalOptionsOf, evaluate } from '../core/evaluate.ts';
import { optimizerStep } from '../core/optimizer-step.ts';
import type { EpisodeRecord, Policy } from '../policies/policy.ts';
import { layoutEpisodes } from '../rollout/episode-layout.ts';
import { type Checkpoint, decodeOptimizerState, loadCheckpoint } from '../run/checkpoint.ts';
import { checkRunArguments } from './run-arguments.ts';
import {
  type LifecycleOptions,
  type LifecycleStep,
  type RunLoop,
  runLifecycle,
  stateCheckpoint,
} from './run-lifecycle.ts';
import { makeEnvFactory, makePolicy } from './setup.ts';

export interface Demonstrations {
  episodes: EpisodeRecord[];
  /** Fraction of the demonstrations that solve their prompt. */
  successRate: number;
}

/** `count` expert episodes on train prompts, each wrong with probability `wrongFraction`. */
export function makeDemonstrations(
  envFactory: EnvFactory,
  count: number,
  wrongFraction: number,
  prompts: Rng,
  choices: Rng,
): Demonstrations {
  const env: Env = envFactory();
  if (!(env instanceof TextEnv))
    throw new UserError(`env '${env.name}' has no demonstration generator (sft works on text envs)`, 'env.name');
  const episodes: EpisodeRecord[] = [];
  let solved = 0;
  for (let i = 0; i < count; i++) {
    const prompt = env.samplePrompt(prompts, 'train');
    const demo = demonstrate(env, prompt, choices, choices.next() < wrongFraction);
    episodes.push({ observations: demo.observations, actions: demo.actions });
    if (demo.success) solved += 1;
  }
  return { episodes, successRate: solved / Math.max(1, count) };
}

/**
 * One maximum-likelihood step on `episodes`: loss = − mean over demonstrated tokens of log π.
 * Returns the loss and the fraction of demonstrated tokens that are the policy's argmax.
 */
export function sftStep(
  policy: Policy,
  optimizer: Adam,
  episodes: readonly EpisodeRecord[],
  gradClip: number,
): { loss: number; tokenAccuracy: number } {
  const { inputs, actions, mask, count } = layoutEpisodes(policy, episodes);
  let accuracy = 0;
  const lossFn = (): tf.Scalar => {
    const logits = policy.logits(inputs);
    const { logProbs } = tokenStats(logits, actions, 1);
    // argmax agreement, read from the same forward pass (data only, no gradient)
    const hits = tf.tidy(() =>
      tf.sum(tf.mul(tf.equal(tf.argMax(logits, 1), tf.tensor1d(actions, 'int32')).toFloat(), tf.tensor1d(mask))),
    );
    accuracy = hits.dataSync()[0] / count;
    hits.dispose();
    return tf.div(tf.neg(tf.sum(tf.mul(logProbs, tf.tensor1d(mask)))), count) as tf.Scalar;
  };
  const notFinite = (loss: number) =>
    new UserError(`SFT loss or gradient is not finite (loss ${loss}); lower sft.lr`, 'sft.lr');
  const { loss } = optimizerStep(optimizer, policy.variables, lossFn, gradClip, notFinite);
  return { loss, tokenAccuracy: accuracy };
}

/** Which demonstrations each step trains on: permutations from the shuffle stream, consumed in order. */
class DemoCursor {
  private order: number[] = [];
  private cursor = 0;

  constructor(
    private readonly count: number,
    private readonly rng: Rng,
  ) {}

  /** The next `size` indices (at most one per demonstration when there are fewer than `size`). */
  next(size: number): number[] {
    const batch: number[] = [];
    while (batch.length < Math.min(size, this.count)) {
      if (this.cursor >= this.order.length) {
        this.order = this.rng.permutation(this.count);
        this.cursor = 0;
      }
      batch.push(this.order[this.cursor++]);
    }
    return batch;
  }
}

export interface SftOptions extends LifecycleOptions {
  /** Called after every step; `metrics` is the record of the steps that write one (every `sft.log_every`). */
  onStep?: (report: LifecycleStep) => void;
}

export interface SftResult {
  runDir: string;
  backend: BackendInfo;
  steps: number;
  /** The final test-split evaluation, when the run finished. */
  final?: EvalResult;
  /** Fraction of the demonstrations that solve their prompt (when the run finished). */
  demoSuccess?: number;
  finalLoss?: number;
  /** Demonstrated tokens per second of training (forward + backward + Adam). */
  trainTokensPerSecond?: number;
  skipped?: boolean;
  /** Stopped through `signal`; a checkpoint of the last finished step was written. */
  interrupted?: boolean;
  wallSeconds: number;
}

/** What an SFT checkpoint keeps beyond weights and Adam: the loss so far and the time spent training. */
interface SftProgress {
  loss: number;
  train_ms: number;
}

export async function runSft(config: Config, opts: SftOptions): Promise<SftResult> {
  const checked = checkRunArguments('runSft', config, opts);
  const sft: SftConfig = checked.sft ?? sftSchema.parse({});
  const result = await runLifecycle(
    {
      kind: 'sft',
      config: checked,
      totalSteps: sft.steps,
      checkpointEvery: sft.checkpoint_every,
      assertFits: (backend) => {
        assertEnvCanBuild(checked);
        assertSftFits(checked, makeEnvFactory(checked)(), backend.name);
      },
      open: ({ resumeFrom, backend, log }) => sftLoop(checked, sft, resumeFrom, backend, log),
      onStep: opts.onStep,
    },
    opts,
  );
  const { final, ...rest } = result;
  if (!final) return rest;
  return {
    ...rest,
    final: final.eval,
    demoSuccess: final.numbers.demo_success,
    finalLoss: final.numbers.final_loss,
    trainTokensPerSecond: final.numbers.train_tokens_per_s,
  };
}

function sftLoop(
  config: Config,
  sft: SftConfig,
  resumeFrom: Checkpoint | undefined,
  backend: BackendInfo,
  log: (line: string) => void,
): RunLoop {
  const envFactory = makeEnvFactory(config);
  const streams = makeStreams(config.seed);
  const start = resumeFrom ?? (config.init_from ? loadCheckpoint(config.init_from) : undefined);
  const policy = makePolicy(config, envFactory(), streams.init, start);
  const optimizer = new Adam(policy.variables, { lr: sft.lr, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
  let demos: Demonstrations;
  try {
    if (resumeFrom?.optimizer) optimizer.setState(decodeOptimizerState(resumeFrom.optimizer, policy.variables));
    demos = makeDemonstrations(envFactory, sft.demos, sft.wrong_fraction, streams.prompts, streams.env);
  } catch (e) {
    optimizer.dispose();
    policy.dispose();
    throw e;
  }
  log(
    `entrolab sft: ${demos.episodes.length} demonstrations (${(100 * demos.successRate).toFixed(0)}% correct), ` +
      `${sft.steps} steps on ${backend.detail}`,
  );
  const batchOf = (indices: number[]) => indices.map((i) => demos.episodes[i]);
  const countTokens = (batch: readonly EpisodeRecord[]) => batch.reduce((n, e) => n + e.actions.length, 0);
  const cursor = new DemoCursor(demos.episodes.length, streams.shuffle);
  const saved = resumeFrom?.extra?.sft_progress as SftProgress | undefined;
  let loss = saved?.loss ?? NaN;
  let trainMs = saved?.train_ms ?? 0;
  let tokens = 0;
  // a resumed run draws the batches of the steps it has done again, so the next one is the same
  for (let step = 0; step < (resumeFrom?.step ?? 0); step++)
    tokens += countTokens(batchOf(cursor.next(sft.batch_size)));
  return {
    step(step) {
      const batch = batchOf(cursor.next(sft.batch_size));
      const t0 = performance.now();
      const out = sftStep(policy, optimizer, batch, sft.grad_clip);
      trainMs += performance.now() - t0;
      tokens += countTokens(batch);
      loss = out.loss;
      if ((step + 1) % sft.log_every !== 0 && step + 1 !== sft.steps) return undefined;
      log(`step ${step + 1}/${sft.steps}: loss ${out.loss.toFixed(4)}, token accuracy ${out.tokenAccuracy.toFixed(3)}`);
      return {
        step: step + 1,
        'sft/loss': out.loss,
        'sft/token_accuracy': out.tokenAccuracy,
        'perf/train_tokens_per_s': (1000 * tokens) / trainMs,
      };
    },
    checkpoint: (steps, metricsLines) =>
      stateCheckpoint(steps, policy, optimizer, metricsLines, {
        extra: {
          sft: { ...sft, demoSuccess: demos.successRate },
          sft_progress: { loss, train_ms: trainMs } satisfies SftProgress,
        },
      }),
    finish() {
      const final = evaluate(
        envFactory,
        policy,
        evalOptionsOf(config.eval, config.rollout.temperature, `eval:${config.seed}:final`),
      );
      const numbers = {
        demo_success: demos.successRate,
        final_loss: loss,
        train_tokens_per_s: (1000 * tokens) / trainMs,
      };
      return { eval: final, trainWallSeconds: trainMs / 1000, numbers };
    },
    dispose() {
      optimizer.dispose();
      policy.dispose();
    },
  };
}
