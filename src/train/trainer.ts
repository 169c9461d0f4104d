// The training loop and nothing else (DESIGN.md): plan → rollout → advantages → prepare → update
// → observe → after, then metrics, progress and checkpoints. Each step is deterministic given the
// checkpointed state, so a resumed run writes the same metrics as one that never stopped.
import fs from 'node:fs';
import path from 'node:path';
import { broadcastToTokens, groupAdvantages } from '../../algorithms/grpo.ts';
import type { Prompt } from '../../envs/env.ts';
import { Adam } from '../core/adam.ts';
import { writeFileAtomic, writeJsonAtomic } from '../run/atomic-write.ts';
import { selectBackend, type BackendChoice, type BackendInfo } from '../core/backend.ts';
import { selectRows, tokenCount, type Batch } from '../core/batch.ts';
import { encodeTensors, loadCheckpoint, saveCheckpoint, CHECKPOINT_FILE, CHECKPOINT_VERSION, type Checkpoint } from '../run/checkpoint.ts';
import { configToYaml } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { entropyChange, logProbAdvantageCovariance } from '../core/entropy-diagnostics.ts';
import { UserError } from '../errors.ts';
import { evaluate, type EvalResult } from '../core/evaluate.ts';
import { MetricsLog, readMetrics, type MetricsRecord, type MetricsSink } from '../run/metrics-log.ts';
import { makeProgress } from '../cli/progress.ts';
import { lockRun } from '../run/lock.ts';
import { RESOLVED_CONFIG_FILE, makeEnvFactory, makePolicy } from './setup.ts';
import { makeStreams, streamStates, type RngStreams } from '../core/rng.ts';
import { buildBatch, oldPass, runEpisodes, type GroupRequest } from '../core/rollout.ts';
import { createRegularizers, prefixMetrics, regularizerWarnings, saveRegularizers, type ActiveRegularizer } from '../core/regularizer-set.ts';
import { updatePolicy, type StepPosition } from '../core/update.ts';

export const STATUS_FILE = 'status.json';
export const SUMMARY_FILE = 'summary.json';

export interface TrainOptions {
  runDir: string;
  backend?: BackendChoice;
  /** Continue from the run directory's checkpoint (or skip a finished run). */
  resume?: boolean;
  /** Start over in a directory that already holds a run. */
  force?: boolean;
  progress?: 'auto' | 'quiet';
  /** Extra per-step sinks (e.g. TensorBoard). */
  sinks?: MetricsSink[];
  /** Stop (as if killed) after this many steps of this invocation — for tests. */
  stopAfterSteps?: number;
  log?: (line: string) => void;
}

export interface TrainResult {
  runDir: string;
  backend: BackendInfo;
  steps: number;
  final?: EvalResult;
  skipped?: boolean;
  /** Stopped by a signal; a checkpoint of the last finished step was written. */
  interrupted?: boolean;
  wallSeconds: number;
}

interface Status {
  /** interrupted: stopped by SIGINT/SIGTERM after a checkpoint of the last finished step. */
  state: 'running' | 'finished' | 'failed' | 'interrupted';
  step: number;
  total_steps: number;
  backend: string;
  error?: string;
}

function writeStatus(runDir: string, status: Status): void {
  writeJsonAtomic(path.join(runDir, STATUS_FILE), status);
}

export function readStatus(runDir: string): Status | null {
  const file = path.join(runDir, STATUS_FILE);
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Status) : null;
}

function mean(xs: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < xs.length; i++) sum += xs[i];
  return xs.length ? sum / xs.length : 0;
}

function rowMetrics(batch: Batch, temperature: number): MetricsRecord {
  const rewards = Array.from(batch.reward);
  const m = mean(rewards);
  const std = Math.sqrt(mean(rewards.map((r) => (r - m) ** 2)));
  const groups = new Map<number, number[]>();
  batch.groupId.forEach((g, i) => groups.set(g, [...(groups.get(g) ?? []), rewards[i]]));
  let zeroStd = 0;
  for (const rs of groups.values()) if (rs.every((r) => r === rs[0])) zeroStd += 1;
  let entropySum = 0;
  for (let i = 0; i < batch.mask.length; i++) entropySum += batch.oldEntropy[i] * batch.mask[i];
  // the sampler's log-probs (incremental, e.g. KV cache) against the training forward pass's:
  // equal up to float error when both use the same temperature
  let mismatch = 0;
  for (let i = 0; i < batch.mask.length; i++) {
    const row = Math.floor(i / batch.width);
    if (batch.mask[i] && batch.sampleLogProbs && batch.temperature[row] === Math.fround(temperature)) {
      mismatch = Math.max(mismatch, Math.abs(batch.sampleLogProbs[i] - batch.oldLogProbs[i]));
    }
  }
  return {
    'rollout/logprob_diff_max': mismatch,
    'critic/score/mean': m,
    'critic/score/std': std,
    success_rate: mean(batch.success),
    'response_length/mean': mean(batch.length),
    'num_turns/mean': mean(batch.turns),
    frac_reward_zero_std: groups.size ? zeroStd / groups.size : 0,
    'entropy/rollout': entropySum / Math.max(1, tokenCount(batch)),
  };
}

export async function train(config: Config, opts: TrainOptions): Promise<TrainResult> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const started = performance.now();
  const { runDir } = opts;
  const status = readStatus(runDir);
  const backend = await selectBackend(opts.backend ?? 'auto');

  if (status && !opts.force) {
    if (!opts.resume) {
      throw new UserError(`already holds a run (${status.state} at step ${status.step}/${status.total_steps}); pass --resume to continue it or --force to start over`, runDir);
    }
    if (status.state === 'finished') {
      log(`entrolab: ${runDir} already finished (${status.total_steps} steps); nothing to do`);
      return { runDir, backend, steps: status.step, skipped: true, wallSeconds: 0 };
    }
  }
  fs.mkdirSync(runDir, { recursive: true });
  const unlock = lockRun(runDir);
  try {
    if (opts.force) {
      const old = fs.readdirSync(runDir).filter((f) => f.startsWith('events.out.tfevents.'));
      for (const f of [STATUS_FILE, CHECKPOINT_FILE, 'metrics.jsonl', SUMMARY_FILE, ...old]) fs.rmSync(path.join(runDir, f), { force: true });
    }
    return await trainLocked(config, opts, backend, log, started);
  } finally {
    unlock();
  }
}

async function trainLocked(config: Config, opts: TrainOptions, backend: BackendInfo, log: (line: string) => void, started: number): Promise<TrainResult> {
  const { runDir } = opts;
  const resumeFrom: Checkpoint | undefined =
    opts.resume && fs.existsSync(path.join(runDir, CHECKPOINT_FILE)) ? loadCheckpoint(runDir, { resume: true }) : undefined;
  writeFileAtomic(path.join(runDir, RESOLVED_CONFIG_FILE), configToYaml(config));

  const envFactory = makeEnvFactory(config);
  const probeEnv = envFactory();
  const streams: RngStreams = makeStreams(config.seed, resumeFrom?.rng);
  const warmStart = config.init_from ? loadCheckpoint(config.init_from) : undefined;
  const policy = makePolicy(config, probeEnv, streams.init, resumeFrom ?? warmStart);
  const optimizer = new Adam(policy.variables, config.optim);
  if (resumeFrom?.optimizer) optimizer.setState(resumeFrom.optimizer);
  // the KL reference is the policy the run started from: the warm start, or the seed's fresh init
  const reference = config.grpo.use_kl_loss ? makePolicy(config, probeEnv, makeStreams(config.seed).init, warmStart) : null;
  const regularizers: ActiveRegularizer[] = createRegularizers(config.regularizers, {
    seed: config.seed,
    where: 'regularizers',
    saved: resumeFrom?.regularizers,
    savedFrom: path.join(runDir, CHECKPOINT_FILE),
  });
  for (const w of regularizerWarnings(regularizers, { epochs: config.grpo.epochs, miniBatches: config.grpo.mini_batches, totalSteps: config.steps })) {
    log(`entrolab: warning: ${w}`);
  }

  const startStep = resumeFrom?.step ?? 0;
  const metrics = new MetricsLog(runDir, resumeFrom?.metricsLines ?? 0, opts.sinks);
  log(`entrolab: backend ${backend.detail}; run dir ${runDir}; ${resumeFrom ? `resuming at step ${startStep}` : 'starting'} (${config.steps} steps)`);
  writeStatus(runDir, { state: 'running', step: startStep, total_steps: config.steps, backend: backend.name });

  const checkpoint = (step: number) => {
    saveCheckpoint(runDir, {
      version: CHECKPOINT_VERSION,
      step,
      policy: { kind: policy.kind, described: policy.describe(), weights: encodeTensors(policy.variables) },
      optimizer: optimizer.getState(),
      rng: streamStates(streams),
      regularizers: saveRegularizers(regularizers),
      metricsLines: metrics.lineCount,
    });
  };

  // Ctrl-C / SIGTERM: finish the step in flight, checkpoint it, stop; a second signal quits at once
  let stopRequested = 0;
  const onSignal = () => {
    // a terminal's Ctrl-C reaches a sweep and its trainers together, and the sweep then sends
    // SIGTERM too: only a signal well after the first one means "quit now"
    if (stopRequested && Date.now() - stopRequested > 2000) process.exit(130);
    if (stopRequested) return;
    stopRequested = Date.now();
    log('\nentrolab: stopping after this step to write a checkpoint (press Ctrl-C again to quit now)');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const progress = makeProgress(config.steps, startStep, config.name, opts.progress ?? 'auto');
  const temperature = config.rollout.temperature;
  const { prompts_per_step: P, group_size: G } = config.rollout;
  // wall-clock training time carries on across resumes
  let wall = resumeFrom ? (readMetrics(runDir).at(-1)?.['perf/wall_s'] ?? 0) : 0;
  let stepsThisRun = 0;
  try {
    for (let step = startStep; step < config.steps; step++) {
      const t0 = performance.now();
      const info: StepPosition = { step, totalSteps: config.steps, promptsPerStep: P, groupSize: G };

      // 1. plan
      let sampleTemperature = temperature;
      const groups: GroupRequest[] = [];
      const prompts: Prompt[] = Array.from({ length: P }, () => probeEnv.samplePrompt(streams.prompts, 'train'));
      const extras: GroupRequest[] = [];
      for (const reg of regularizers) {
        const plan = reg.hooks.planRollout?.({ ...info, rng: reg.rng });
        if (plan?.temperature !== undefined) sampleTemperature = plan.temperature;
        if (plan?.extra) {
          const { promptIndices, groupSize, temperature: t } = plan.extra;
          for (const i of promptIndices) extras.push({ prompt: prompts[i], count: groupSize, groupId: P + extras.length, temperature: t, isExtra: true });
        }
      }
      prompts.forEach((prompt, i) => groups.push({ prompt, count: G, groupId: i, temperature: sampleTemperature, isExtra: false }));

      // 2. rollout and the old pass
      const tRollout = performance.now();
      const episodes = runEpisodes(envFactory, policy, [...groups, ...extras], { env: streams.env, sampling: streams.sampling });
      let batch = buildBatch(policy, episodes, temperature, true);
      if (reference) batch.refLogProbs = oldPass(reference, batch.inputs, batch.actions, temperature, false).logProbs;
      const rolloutSeconds = (performance.now() - tRollout) / 1000;

      // 3. group-relative advantages over the whole batch (spec grpo §1 step 5)
      const rowAdvantages = groupAdvantages(batch.reward, batch.groupId, { normByStd: config.grpo.norm_adv_by_std, epsilon: config.grpo.epsilon });
      batch.advantages = broadcastToTokens(rowAdvantages, batch.mask, batch.width);
      const mainRows = Array.from({ length: batch.rows }, (_, i) => i).filter((i) => !batch.isExtra[i]);
      const main = extras.length ? selectRows(batch, mainRows) : batch;
      const record: MetricsRecord = { step: step + 1, ...rowMetrics(main, temperature) };
      record['entropy/cov_logprob_adv'] = logProbAdvantageCovariance(main.oldLogProbs, main.advantages, main.mask);

      // 4. prepare
      for (const reg of regularizers) {
        if (!reg.hooks.prepareBatch) continue;
        const prepared = reg.hooks.prepareBatch(batch, { ...info, rng: reg.rng });
        batch = prepared.value;
        Object.assign(record, prefixMetrics(reg.name, prepared.metrics));
      }

      // 5. update
      const tUpdate = performance.now();
      const update = updatePolicy(policy, optimizer, batch, regularizers, { grpo: config.grpo, gradClip: config.optim.grad_clip, temperature }, info, streams.shuffle);
      Object.assign(record, update);
      const updateSeconds = (performance.now() - tUpdate) / 1000;

      // 6. observe: entropy on the same states after the update
      const after = oldPass(policy, main.inputs, main.actions, temperature, true);
      const change = entropyChange(main.oldLogPolicy!, after.logPolicy!, main.mask, main.numActions);
      let afterSum = 0;
      for (let i = 0; i < main.mask.length; i++) afterSum += after.entropy[i] * main.mask[i];
      record['entropy/after_update'] = afterSum / Math.max(1, tokenCount(main));
      record['entropy/measured_delta'] = change.measured;
      record['entropy/predicted_delta'] = change.predicted;

      // 7. after
      for (const reg of regularizers) {
        const summary = { step, rolloutEntropy: record['entropy/rollout'], updateNll: update['actor/nll'] ?? 0, updateEntropy: update['actor/entropy'] ?? 0, batch };
        Object.assign(record, prefixMetrics(reg.name, reg.hooks.afterStep?.(summary)));
      }
      if (config.eval.every > 0 && (step + 1) % config.eval.every === 0) {
        const ev = evaluate(envFactory, policy, { prompts: config.eval.episodes, k: 1, temperature, seed: `eval:${config.seed}:${step + 1}` });
        record['eval/success_greedy'] = ev.successGreedy;
        record['eval/success_sampled'] = ev.successSampled;
      }

      const stepSeconds = (performance.now() - t0) / 1000;
      wall += stepSeconds;
      const tokens = tokenCount(batch);
      record['perf/step_s'] = stepSeconds;
      record['perf/rollout_s'] = rolloutSeconds;
      record['perf/update_s'] = updateSeconds;
      record['perf/wall_s'] = wall;
      record['perf/tokens_per_s'] = tokens / stepSeconds;
      for (const [k, v] of Object.entries(record)) {
        if (!Number.isFinite(v)) throw new UserError(`metric '${k}' is ${v} at step ${step + 1}; the run stopped before writing it`, 'training');
      }
      metrics.append(record);
      progress.update(step + 1, { reward: record['critic/score/mean'], entropy: record['actor/entropy'], success: record.success_rate });

      if ((step + 1) % config.checkpoint.every === 0 || step + 1 === config.steps) checkpoint(step + 1);
      writeStatus(runDir, { state: 'running', step: step + 1, total_steps: config.steps, backend: backend.name });
      stepsThisRun += 1;
      await new Promise((resolve) => setImmediate(resolve)); // let a pending signal be seen
      if (stopRequested > 0 && step + 1 < config.steps) {
        progress.stop();
        if ((step + 1) % config.checkpoint.every !== 0) checkpoint(step + 1);
        writeStatus(runDir, { state: 'interrupted', step: step + 1, total_steps: config.steps, backend: backend.name });
        return { runDir, backend, steps: step + 1, interrupted: true, wallSeconds: (performance.now() - started) / 1000 };
      }
      if (opts.stopAfterSteps !== undefined && stepsThisRun >= opts.stopAfterSteps && step + 1 < config.steps) {
        progress.stop();
        return { runDir, backend, steps: step + 1, wallSeconds: (performance.now() - started) / 1000 };
      }
    }
    progress.stop();
    const final = evaluate(envFactory, policy, { prompts: config.eval.episodes, k: config.eval.k, temperature, seed: `eval:${config.seed}:final` });
    writeJsonAtomic(path.join(runDir, SUMMARY_FILE), { steps: config.steps, backend: backend.name, eval: final, train_wall_s: wall });
    writeStatus(runDir, { state: 'finished', step: config.steps, total_steps: config.steps, backend: backend.name });
    return { runDir, backend, steps: config.steps, final, wallSeconds: (performance.now() - started) / 1000 };
  } catch (e) {
    progress.stop();
    const prev = readStatus(runDir);
    writeStatus(runDir, { state: 'failed', step: prev?.step ?? startStep, total_steps: config.steps, backend: backend.name, error: (e as Error).message });
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    metrics.close();
    optimizer.dispose();
    policy.dispose();
    reference?.dispose();
  }
}
