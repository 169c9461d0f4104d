// One run's life in its run directory, the same for `train` (GRPO) and `sft` (the warm start):
// whether the directory already holds a run (`resume` continues it and skips a finished one,
// `force` starts over), the lock against a second process, status.json (running → finished,
// failed with the error, or interrupted), metrics.jsonl, a checkpoint every N steps and after the
// last, stopping on an abort signal once the step in flight has finished (checkpointed there,
// resumable), and summary.json, one shape for both kinds. What a step does belongs to the kind
// (trainer.ts, sft.ts), which hands the lifecycle a `RunLoop`. Nothing here touches the process:
// the CLI turns signals into an abort and exit codes.
import fs from 'node:fs';
import path from 'node:path';
import { type BackendChoice, type BackendInfo, selectBackend } from '../backend/backend.ts';
import { UserError } from '../base/errors.ts';
import { configDifferences } from '../config/config-diff.ts';
import { configToYaml, parseConfig, readYamlFile } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import type { Adam } from '../core/adam.ts';
import type { EvalResult } from '../core/evaluate.ts';
import type { Policy } from '../policies/policy.ts';
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
import { MetricsLog, type MetricsRecord, type MetricsSink, readCoveredMetrics } from '../run/metrics-log.ts';
import {
  CHECKPOINT_FILE,
  clearRunOutputs,
  RESOLVED_CONFIG_FILE,
  type RunKind,
  type RunStatus,
  readStatus,
  writeStatus,
  writeSummary,
} from '../run/run-dir.ts';

/** What both kinds of run accept about their directory, backend and stopping. */
export interface LifecycleOptions {
  runDir: string;
  backend?: BackendChoice;
  /** Continue from the run directory's checkpoint (or skip a finished run). */
  resume?: boolean;
  /** Start over in a directory that already holds a run. */
  force?: boolean;
  /**
   * Aborting stops the run once the step in flight has finished: that step is checkpointed, the
   * status becomes `interrupted` and the run resolves with `interrupted: true`.
   */
  signal?: AbortSignal;
  /** Extra per-record sinks (e.g. TensorBoard). */
  sinks?: MetricsSink[];
  /** Where progress lines and warnings go (default: stderr). */
  log?: (line: string) => void;
}

/** What the lifecycle hears after each step (after its record is written and, on cadence, checkpointed). */
export interface LifecycleStep {
  /** Steps finished (1-based). */
  step: number;
  totalSteps: number;
  /** The step's metrics record; undefined for a step that writes none (SFT logs every `sft.log_every`). */
  metrics?: MetricsRecord;
}

/** The end of a run that finished its steps. */
export interface RunFinal {
  /** The final test-split evaluation. */
  eval: EvalResult;
  /** Seconds spent in the steps themselves, summed over resumes. */
  trainWallSeconds: number;
  /** The kind's own final numbers (summary.json `final`). */
  numbers: Record<string, number>;
}

/** A run's steps, built by its kind on a fresh or restored state. */
export interface RunLoop {
  /** Step `step` (0-based); returns the metrics record to append, if this step writes one. */
  step(step: number): MetricsRecord | undefined;
  /** Everything a resume needs after `steps` steps, of which `metricsLines` lines of metrics.jsonl are part. */
  checkpoint(steps: number, metricsLines: number): Checkpoint;
  /** After the last step: the final evaluation and the kind's numbers. */
  finish(): RunFinal;
  /** Free the state's tensors. */
  dispose(): void;
  /** After a step: a reason to end the run there (checkpointed, evaluated, status `stopped`). */
  stopReason?(): string | undefined;
  /** After a step: its value sets for histogram sinks (TensorBoard), e.g. every valid token's entropy. */
  histograms?(): Record<string, ArrayLike<number>> | undefined;
  /** After a step: the alarms that have fired, by name, at their first step (status.json `alarms`). */
  alarms?(): Record<string, number>;
}

export interface RunDefinition {
  kind: RunKind;
  config: Config;
  totalSteps: number;
  /** Checkpoint every this many steps (and after the last). */
  checkpointEvery: number;
  /** Throws a UserError when a step cannot fit in memory on `backend` (before anything is written). */
  assertFits(backend: BackendInfo): void;
  /** The loop: fresh, or restored from `resumeFrom` (read from `resumeFile`). */
  open(context: {
    resumeFrom?: Checkpoint;
    resumeFile: string;
    backend: BackendInfo;
    log: (line: string) => void;
    /** On resume: the metrics records the checkpoint covers, in order (none for a fresh run). */
    covered?: readonly MetricsRecord[];
  }): RunLoop;
  onStep?: (report: LifecycleStep) => void;
}

export interface LifecycleResult {
  runDir: string;
  backend: BackendInfo;
  /** Steps finished. */
  steps: number;
  final?: RunFinal;
  /** `resume` found the run finished and did nothing. */
  skipped?: boolean;
  /** Stopped through `signal`; a checkpoint of the last finished step was written. */
  interrupted?: boolean;
  /** Ended early by the run itself (an alarm with on_alarm: stop): why. It was checkpointed and evaluated. */
  stopped?: string;
  wallSeconds: number;
}

const stderrLog = (line: string) => process.stderr.write(`${line}\n`);

/**
 * Throws unless the directory is free or `resume`/`force` says what to do with the run it holds;
 * returns the status of a finished run, which `resume` skips.
 */
function checkExistingRun(runDir: string, opts: LifecycleOptions): RunStatus | undefined {
  if (opts.force) return undefined;
  const status = readStatus(runDir);
  if (!status) {
    // a run directory written before every run kept its status (an SFT warm start did not)
    if (fs.existsSync(path.join(runDir, CHECKPOINT_FILE)))
      throw new UserError('already holds a run (a checkpoint without status.json); pass --force to start over', runDir);
    return undefined;
  }
  if (!opts.resume) {
    throw new UserError(
      `already holds a run (${status.state} at step ${status.step}/${status.total_steps}); ` +
        'pass --resume to continue it or --force to start over',
      runDir,
    );
  }
  return status.state === 'finished' ? status : undefined;
}

export async function runLifecycle(def: RunDefinition, opts: LifecycleOptions): Promise<LifecycleResult> {
  const log = opts.log ?? stderrLog;
  const started = performance.now();
  const { runDir } = opts;
  const backend = await selectBackend(opts.backend ?? 'auto');
  def.assertFits(backend);
  const finished = checkExistingRun(runDir, opts);
  if (finished) {
    log(`entrolab: ${runDir} already finished (${finished.total_steps} steps); nothing to do`);
    return { runDir, backend, steps: finished.step, skipped: true, wallSeconds: 0 };
  }
  assertInitFromElsewhere(def.config, runDir);
  makeRunDir(runDir);
  const unlock = lockRun(runDir);
  try {
    // everything that can fail on the user's input is checked (the resume's checkpoint and metrics,
    // the warm start, the policy built for the env) before --force deletes anything
    const resuming = opts.resume === true && !opts.force;
    if (resuming) assertConfigUnchanged(runDir, def.config);
    const resumeFile = path.join(runDir, CHECKPOINT_FILE);
    const resumeFrom = resuming ? loadResumeCheckpoint(runDir, readStatus(runDir)?.step, log) : undefined;
    const covered = resumeFrom && readCoveredMetrics(runDir, resumeFrom.metricsLines ?? 0, resumeFrom.step);
    const loop = def.open({ resumeFrom, resumeFile, backend, log, covered: covered?.records });
    try {
      if (opts.force) clearRunOutputs(runDir);
      writeFileAtomic(path.join(runDir, RESOLVED_CONFIG_FILE), configToYaml(def.config));
      const metrics = new MetricsLog(runDir, covered, opts.sinks);
      try {
        const result = await runSteps(def, loop, metrics, resumeFrom, opts, backend, log);
        return { ...result, runDir, backend, wallSeconds: (performance.now() - started) / 1000 };
      } finally {
        metrics.close();
      }
    } finally {
      loop.dispose();
    }
  } finally {
    unlock();
  }
}

/**
 * A resume continues the run under the config it started with: the recorded config (parsed again,
 * so keys added to the schema since read as their defaults) and `config` must agree on every key
 * but `name` (the directory's name, which may have moved) and `plugins` (compared by content,
 * plugins-unchanged.ts). Otherwise the resolved config would record values that the first part of
 * the run never used. A directory with no recorded config has nothing to compare.
 */
function assertConfigUnchanged(runDir: string, config: Config): void {
  const file = path.join(runDir, RESOLVED_CONFIG_FILE);
  if (!fs.existsSync(file)) return;
  const comparable = ({ name: _n, plugins: _p, ...rest }: Config) => JSON.parse(JSON.stringify(rest)) as unknown;
  const changed = configDifferences(comparable(parseConfig(readYamlFile(file), file)), comparable(config));
  if (changed.length === 0) return;
  const more = changed.length > 4 ? ` and ${changed.length - 4} more` : '';
  throw new UserError(
    `--resume with a config that differs from the one the run was started with (${changed.slice(0, 4).join('; ')}${more}); ` +
      'resume with the same config, seed and --set values, or start over with --force',
    runDir,
  );
}

/** The run directory, created; a path that is a file (or cannot be created) is one line. */
function makeRunDir(runDir: string): void {
  try {
    fs.mkdirSync(runDir, { recursive: true });
  } catch (e) {
    const { code, message } = e as NodeJS.ErrnoException;
    throw new UserError(`cannot create the run directory (${code ?? message})`, runDir);
  }
  if (!fs.statSync(runDir).isDirectory()) throw new UserError('is not a directory', runDir);
}

/**
 * `init_from` naming the run's own directory (or a file in it) would warm-start from, and use as
 * the KL reference, the checkpoint this run replaces (--force) or is writing (--resume).
 */
function assertInitFromElsewhere(config: Config, runDir: string): void {
  if (!config.init_from) return;
  const real = (p: string) => (fs.existsSync(p) ? fs.realpathSync(p) : path.resolve(p));
  const from = real(config.init_from);
  const own = real(runDir);
  if (from === own || path.dirname(from) === own) {
    throw new UserError(
      `'${config.init_from}' is this run's own directory; warm-start from another run's checkpoint`,
      'init_from',
    );
  }
}

async function runSteps(
  def: RunDefinition,
  loop: RunLoop,
  metrics: MetricsLog,
  resumeFrom: Checkpoint | undefined,
  opts: LifecycleOptions,
  backend: BackendInfo,
  log: (line: string) => void,
): Promise<Pick<LifecycleResult, 'steps' | 'final' | 'interrupted' | 'stopped'>> {
  const { runDir, signal } = opts;
  const { totalSteps } = def;
  const startStep = resumeFrom?.step ?? 0;
  const status = (state: RunStatus['state'], step: number, more: Pick<RunStatus, 'error' | 'reason'> = {}) => {
    const alarms = loop.alarms?.();
    const written: RunStatus = { state, step, total_steps: totalSteps, backend: backend.name, ...more };
    writeStatus(runDir, alarms && Object.keys(alarms).length > 0 ? { ...written, alarms } : written);
  };
  const resuming = resumeFrom ? `resuming at step ${startStep}` : 'starting';
  log(`entrolab: backend ${backend.detail}; run dir ${runDir}; ${resuming} (${totalSteps} steps)`);
  status('running', startStep);

  let checkpointed = resumeFrom ? startStep : -1;
  const checkpoint = (step: number) => {
    saveCheckpoint(runDir, loop.checkpoint(step, metrics.lineCount));
    checkpointed = step;
  };
  try {
    for (let step = startStep; step < totalSteps; step++) {
      // let the event loop deliver an abort (e.g. from the CLI's signal handler) between steps
      await new Promise((resolve) => setImmediate(resolve));
      if (signal?.aborted) {
        if (checkpointed !== step) checkpoint(step);
        status('interrupted', step);
        return { steps: step, interrupted: true };
      }
      const record = loop.step(step);
      if (record) {
        for (const [k, v] of Object.entries(record)) {
          if (!Number.isFinite(v)) {
            const what = `metric '${k}' is ${v} at step ${step + 1}; the run stopped before writing it`;
            throw new UserError(what, 'training');
          }
        }
        metrics.append(record, loop.histograms?.());
      }
      const stopped = loop.stopReason?.();
      if ((step + 1) % def.checkpointEvery === 0 || step + 1 === totalSteps || stopped) checkpoint(step + 1);
      status('running', step + 1);
      def.onStep?.({ step: step + 1, totalSteps, metrics: record });
      if (stopped) {
        log(`entrolab: stopping at step ${step + 1}: ${stopped} (checkpointed; --resume continues the run)`);
        const final = finishRun(step + 1);
        status('stopped', step + 1, { reason: stopped });
        return { steps: step + 1, final, stopped };
      }
    }
    const final = finishRun(totalSteps);
    status('finished', totalSteps);
    return { steps: totalSteps, final };
  } catch (e) {
    status('failed', readStatus(runDir)?.step ?? startStep, { error: (e as Error).message });
    throw e;
  }

  function finishRun(steps: number): RunFinal {
    const final = loop.finish();
    writeSummary(runDir, {
      kind: def.kind,
      steps,
      backend: backend.name,
      eval: final.eval,
      train_wall_s: final.trainWallSeconds,
      final: final.numbers,
    });
    return final;
  }
}

/** A checkpoint of a policy and its Adam state after `step` steps, with what else the kind saves. */
export function stateCheckpoint(
  step: number,
  policy: Policy,
  optimizer: Adam,
  metricsLines: number,
  more: Pick<Checkpoint, 'rng' | 'regularizers' | 'extra'> = {},
): Checkpoint {
  return {
    version: CHECKPOINT_VERSION,
    step,
    policy: { kind: policy.kind, described: policy.describe(), weights: encodeTensors(policy.variables) },
    optimizer: encodeOptimizerState(optimizer.getState(), policy.variables),
    ...(more.rng && { rng: more.rng }),
    ...(more.regularizers && { regularizers: more.regularizers }),
    metricsLines,
    ...(more.extra && { extra: more.extra }),
  };
}
