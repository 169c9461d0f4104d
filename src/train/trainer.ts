// The training loop as a library function: resume, status, checkpoint and eval cadence, metrics,
// stopping on an abort signal — around `trainStep` (step.ts), which holds the seven phases. Each step
// is deterministic given the checkpointed state, so a resumed run writes the same metrics as one that
// never stopped. Nothing here touches the process: the CLI turns signals into an abort and exit codes.
import fs from 'node:fs';
import path from 'node:path';
import { type BackendChoice, type BackendInfo, selectBackend } from '../backend/backend.ts';
import { UserError } from '../base/errors.ts';
import { streamStates } from '../base/rng.ts';
import { configToYaml } from '../config/load.ts';
import { assertTrainFits } from '../config/resource-estimate.ts';
import type { Config } from '../config/schema.ts';
import { type EvalResult, evalOptionsOf, evaluate } from '../core/evaluate.ts';
import { saveRegularizers } from '../core/regularizer-set.ts';
import { writeFileAtomic } from '../run/atomic-write.ts';
import {
  CHECKPOINT_VERSION,
  type Checkpoint,
  encodeOptimizerState,
  encodeTensors,
  loadResumeCheckpoint,
  saveCheckpoint,
} from '../run/checkpoint.ts';
import { lockRun } from '../run/lock.ts';
import { MetricsLog, type MetricsRecord, type MetricsSink, readMetrics } from '../run/metrics-log.ts';
import {
  CHECKPOINT_FILE,
  clearRunOutputs,
  RESOLVED_CONFIG_FILE,
  type RunStatus,
  readStatus,
  writeStatus,
  writeSummary,
} from '../run/run-dir.ts';
import { makeEnvFactory } from './setup.ts';
import { createTrainingState, disposeTrainingState, type TrainingState, trainStep } from './step.ts';

/** What `onStep` hears after each step has been written to metrics.jsonl (and checkpointed, on cadence). */
export interface StepReport {
  /** Steps finished (1-based). */
  step: number;
  totalSteps: number;
  metrics: MetricsRecord;
}

export interface TrainOptions {
  runDir: string;
  backend?: BackendChoice;
  /** Continue from the run directory's checkpoint (or skip a finished run). */
  resume?: boolean;
  /** Start over in a directory that already holds a run. */
  force?: boolean;
  /**
   * Aborting stops the run once the step in flight has finished: that step is checkpointed, the
   * status becomes `interrupted` and `train` resolves with `interrupted: true`.
   */
  signal?: AbortSignal;
  /** Called after every step (progress display; abort `signal` from here to stop after N steps). */
  onStep?: (report: StepReport) => void;
  /** Extra per-step sinks (e.g. TensorBoard). */
  sinks?: MetricsSink[];
  /** Where progress lines and warnings go (default: stderr). */
  log?: (line: string) => void;
}

export interface TrainResult {
  runDir: string;
  backend: BackendInfo;
  steps: number;
  final?: EvalResult;
  skipped?: boolean;
  /** Stopped through `signal`; a checkpoint of the last finished step was written. */
  interrupted?: boolean;
  wallSeconds: number;
}

export async function train(config: Config, opts: TrainOptions): Promise<TrainResult> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const started = performance.now();
  const { runDir } = opts;
  const status = readStatus(runDir);
  const backend = await selectBackend(opts.backend ?? 'auto');
  assertTrainFits(config, makeEnvFactory(config)(), backend.name);

  if (status && !opts.force) {
    if (!opts.resume) {
      throw new UserError(
        `already holds a run (${status.state} at step ${status.step}/${status.total_steps}); ` +
          'pass --resume to continue it or --force to start over',
        runDir,
      );
    }
    if (status.state === 'finished') {
      log(`entrolab: ${runDir} already finished (${status.total_steps} steps); nothing to do`);
      return { runDir, backend, steps: status.step, skipped: true, wallSeconds: 0 };
    }
  }
  fs.mkdirSync(runDir, { recursive: true });
  const unlock = lockRun(runDir);
  try {
    if (opts.force) clearRunOutputs(runDir);
    const resumeFile = path.join(runDir, CHECKPOINT_FILE);
    const resumeFrom = opts.resume ? loadResumeCheckpoint(runDir, readStatus(runDir)?.step, log) : undefined;
    writeFileAtomic(path.join(runDir, RESOLVED_CONFIG_FILE), configToYaml(config));
    const state = createTrainingState(config, { resumeFrom, resumeFile, log });
    try {
      const result = await runLoop(state, resumeFrom, opts, backend, log);
      return { ...result, runDir, backend, wallSeconds: (performance.now() - started) / 1000 };
    } finally {
      disposeTrainingState(state);
    }
  } finally {
    unlock();
  }
}

type LoopResult = Pick<TrainResult, 'steps' | 'final' | 'interrupted'>;

async function runLoop(
  state: TrainingState,
  resumeFrom: Checkpoint | undefined,
  opts: TrainOptions,
  backend: BackendInfo,
  log: (line: string) => void,
): Promise<LoopResult> {
  const { config } = state;
  const { runDir, signal } = opts;
  const totalSteps = config.steps;
  const startStep = resumeFrom?.step ?? 0;
  const status = (runState: RunStatus['state'], step: number, error?: string) => {
    const written: RunStatus = { state: runState, step, total_steps: totalSteps, backend: backend.name };
    writeStatus(runDir, error === undefined ? written : { ...written, error });
  };
  const metrics = new MetricsLog(runDir, resumeFrom?.metricsLines ?? 0, opts.sinks);
  const resuming = resumeFrom ? `resuming at step ${startStep}` : 'starting';
  log(`entrolab: backend ${backend.detail}; run dir ${runDir}; ${resuming} (${totalSteps} steps)`);
  status('running', startStep);

  let checkpointed = resumeFrom ? startStep : -1;
  const checkpoint = (step: number) => {
    saveCheckpoint(runDir, checkpointOf(state, step, metrics.lineCount));
    checkpointed = step;
  };
  // wall-clock training time carries on across resumes
  let wall = resumeFrom ? (readMetrics(runDir).at(-1)?.['perf/wall_s'] ?? 0) : 0;
  try {
    for (let step = startStep; step < totalSteps; step++) {
      // let the event loop deliver an abort (e.g. from the CLI's signal handler) between steps
      await new Promise((resolve) => setImmediate(resolve));
      if (signal?.aborted) {
        if (checkpointed !== step) checkpoint(step);
        status('interrupted', step);
        return { steps: step, interrupted: true };
      }
      const t0 = performance.now();
      const { metrics: record, rolloutSeconds, updateSeconds, phaseSeconds, tokens } = trainStep(state, step);
      let evalSeconds: number | undefined;
      if (config.eval.every > 0 && (step + 1) % config.eval.every === 0) {
        const tEval = performance.now();
        const temperature = config.rollout.temperature;
        const seed = `eval:${config.seed}:${step + 1}`;
        // k = 1 draws one sample per prompt; a config naming log_pass_k draws eval.samples (default k)
        const logKs = config.eval.log_pass_k;
        const samples = logKs ? (config.eval.samples ?? config.eval.k) : 1;
        const during = { prompts: config.eval.episodes, k: 1, samples, passKs: logKs ?? [1], temperature, seed };
        const ev = evaluate(state.envFactory, state.policy, during);
        record['eval/success_greedy'] = ev.successGreedy;
        record['eval/success_sampled'] = ev.successSampled;
        for (const k of logKs ?? []) record[`eval/pass@${k}`] = ev.passAtKCurve[String(k)];
        evalSeconds = (performance.now() - tEval) / 1000;
      }
      const stepSeconds = (performance.now() - t0) / 1000;
      wall += stepSeconds;
      record['perf/step_s'] = stepSeconds;
      record['perf/rollout_s'] = rolloutSeconds;
      record['perf/update_s'] = updateSeconds;
      for (const [phase, seconds] of Object.entries(phaseSeconds)) record[`perf/${phase}_s`] = seconds;
      if (evalSeconds !== undefined) record['perf/eval_s'] = evalSeconds;
      record['perf/wall_s'] = wall;
      record['perf/tokens_per_s'] = tokens / stepSeconds;
      for (const [k, v] of Object.entries(record)) {
        if (!Number.isFinite(v)) {
          const what = `metric '${k}' is ${v} at step ${step + 1}; the run stopped before writing it`;
          throw new UserError(what, 'training');
        }
      }
      metrics.append(record);
      if ((step + 1) % config.checkpoint.every === 0 || step + 1 === totalSteps) checkpoint(step + 1);
      status('running', step + 1);
      opts.onStep?.({ step: step + 1, totalSteps, metrics: record });
    }
    const finalSeed = `eval:${config.seed}:final`;
    const final = evaluate(
      state.envFactory,
      state.policy,
      evalOptionsOf(config.eval, config.rollout.temperature, finalSeed),
    );
    writeSummary(runDir, { steps: totalSteps, backend: backend.name, eval: final, train_wall_s: wall });
    status('finished', totalSteps);
    return { steps: totalSteps, final };
  } catch (e) {
    status('failed', readStatus(runDir)?.step ?? startStep, (e as Error).message);
    throw e;
  } finally {
    metrics.close();
  }
}

function checkpointOf(state: TrainingState, step: number, metricsLines: number): Checkpoint {
  const { policy, optimizer, streams, regularizers } = state;
  return {
    version: CHECKPOINT_VERSION,
    step,
    policy: { kind: policy.kind, described: policy.describe(), weights: encodeTensors(policy.variables) },
    optimizer: encodeOptimizerState(optimizer.getState(), policy.variables),
    rng: streamStates(streams),
    regularizers: saveRegularizers(regularizers),
    metricsLines,
  };
}
