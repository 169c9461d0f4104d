// Supervised warm start (the laptop-scale stand-in for pretraining): the env's expert writes
// demonstrations on the train split, a configurable fraction of them wrong, and the policy is
// trained by maximum likelihood on the demonstrated tokens only (prompt and feedback positions
// are context, not targets). The run directory looks like a training run's (resolved config,
// metrics.jsonl, checkpoint.json, summary.json), so `entrolab eval` reads it and a GRPO config
// starts from it with `init_from: <run dir>`.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { tokenStats } from '../../algorithms/grpo.ts';
import type { Env, EnvFactory } from '../../envs/env.ts';
import { demonstrate, TextEnv } from '../../envs/text-env.ts';
import { type BackendChoice, type BackendInfo, selectBackend } from '../backend/backend.ts';
import { UserError } from '../base/errors.ts';
import { makeStreams, type Rng } from '../base/rng.ts';
import { configToYaml } from '../config/load.ts';
import { assertSftFits } from '../config/resource-estimate.ts';
import { type Config, type SftConfig, sftSchema } from '../config/schema.ts';
import { Adam } from '../core/adam.ts';
import { type EvalResult, evalOptionsOf, evaluate } from '../core/evaluate.ts';
import { optimizerStep } from '../core/optimizer-step.ts';
import type { EpisodeRecord, Policy } from '../policies/policy.ts';
import { layoutEpisodes } from '../rollout/episode-layout.ts';
import { writeFileAtomic } from '../run/atomic-write.ts';
import { CHECKPOINT_VERSION, encodeTensors, loadCheckpoint, saveCheckpoint } from '../run/checkpoint.ts';
import { MetricsLog } from '../run/metrics-log.ts';
import { CHECKPOINT_FILE, METRICS_FILE, RESOLVED_CONFIG_FILE, writeSummary } from '../run/run-dir.ts';
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

export interface SftOptions {
  runDir: string;
  backend?: BackendChoice;
  /** Start over in a directory that already holds a run. */
  force?: boolean;
  log?: (line: string) => void;
}

export interface SftResult {
  runDir: string;
  backend: BackendInfo;
  steps: number;
  demoSuccess: number;
  finalLoss: number;
  final: EvalResult;
  wallSeconds: number;
  /** Demonstrated tokens per second of training (forward + backward + Adam). */
  trainTokensPerSecond: number;
}

export async function runSft(config: Config, opts: SftOptions): Promise<SftResult> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const started = performance.now();
  const sft: SftConfig = config.sft ?? sftSchema.parse({});
  const backend = await selectBackend(opts.backend ?? 'auto');
  const { runDir } = opts;
  assertSftFits(config, makeEnvFactory(config)(), backend.name);
  if (fs.existsSync(path.join(runDir, CHECKPOINT_FILE)) && !opts.force) {
    throw new UserError('already holds a run; pass --force to start over', runDir);
  }
  fs.mkdirSync(runDir, { recursive: true });
  fs.rmSync(path.join(runDir, METRICS_FILE), { force: true });
  writeFileAtomic(path.join(runDir, RESOLVED_CONFIG_FILE), configToYaml(config));

  const envFactory = makeEnvFactory(config);
  const streams = makeStreams(config.seed);
  const policy = makePolicy(
    config,
    envFactory(),
    streams.init,
    config.init_from ? loadCheckpoint(config.init_from) : undefined,
  );
  const optimizer = new Adam(policy.variables, { lr: sft.lr, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
  const metrics = new MetricsLog(runDir, 0);
  try {
    const demos = makeDemonstrations(envFactory, sft.demos, sft.wrong_fraction, streams.prompts, streams.env);
    log(
      `entrolab sft: ${demos.episodes.length} demonstrations (${(100 * demos.successRate).toFixed(0)}% correct), ` +
        `${sft.steps} steps on ${backend.detail}`,
    );
    let order: number[] = [];
    let cursor = 0;
    let loss = NaN;
    let tokens = 0;
    let trainMs = 0;
    for (let step = 0; step < sft.steps; step++) {
      const batch: EpisodeRecord[] = [];
      while (batch.length < Math.min(sft.batch_size, demos.episodes.length)) {
        if (cursor >= order.length) {
          order = streams.shuffle.permutation(demos.episodes.length);
          cursor = 0;
        }
        batch.push(demos.episodes[order[cursor++]]);
      }
      const t0 = performance.now();
      const out = sftStep(policy, optimizer, batch, sft.grad_clip);
      trainMs += performance.now() - t0;
      tokens += batch.reduce((n, e) => n + e.actions.length, 0);
      loss = out.loss;
      if ((step + 1) % sft.log_every === 0 || step + 1 === sft.steps) {
        metrics.append({
          step: step + 1,
          'sft/loss': out.loss,
          'sft/token_accuracy': out.tokenAccuracy,
          'perf/train_tokens_per_s': (1000 * tokens) / trainMs,
        });
        log(
          `step ${step + 1}/${sft.steps}: loss ${out.loss.toFixed(4)}, token accuracy ${out.tokenAccuracy.toFixed(3)}`,
        );
      }
    }
    saveCheckpoint(runDir, {
      version: CHECKPOINT_VERSION,
      step: sft.steps,
      policy: { kind: policy.kind, described: policy.describe(), weights: encodeTensors(policy.variables) },
      metricsLines: metrics.lineCount,
      extra: { sft: { ...sft, demoSuccess: demos.successRate } },
    });
    const final = evaluate(
      envFactory,
      policy,
      evalOptionsOf(config.eval, config.rollout.temperature, `eval:${config.seed}:final`),
    );
    const wallSeconds = (performance.now() - started) / 1000;
    const trainTokensPerSecond = (1000 * tokens) / trainMs;
    writeSummary(runDir, {
      kind: 'sft',
      steps: sft.steps,
      backend: backend.detail,
      demo_success: demos.successRate,
      final_loss: loss,
      test: final,
      wall_seconds: wallSeconds,
      train_tokens_per_s: trainTokensPerSecond,
    });
    return {
      runDir,
      backend,
      steps: sft.steps,
      demoSuccess: demos.successRate,
      finalLoss: loss,
      final,
      wallSeconds,
      trainTokensPerSecond,
    };
  } finally {
    metrics.close();
    optimizer.dispose();
    policy.dispose();
  }
}
