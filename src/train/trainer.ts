// The GRPO training loop as a library function: what one step of a run does around `trainStep`
// (step.ts, the seven phases) — the evaluation cadence and the perf/ timings — plugged into the
// run lifecycle (run-lifecycle.ts), which owns the run directory: resume, lock, status, metrics,
// checkpoint cadence, stopping on an abort signal, the summary. Each step is deterministic given
// the checkpointed state, so a resumed run writes the same metrics as one that never stopped.
// Nothing here touches the process: the CLI turns signals into an abort and exit codes.
import type { BackendInfo } from '../backend/backend.ts';
import { streamStates } from '../base/rng.ts';
import type { Config } from '../config/schema.ts';
import { EntropyAlarm } from '../core/entropy-alarm.ts';
import { type EvalResult, evalOptionsOf, evaluate } from '../core/evaluate.ts';
import { saveRegularizers } from '../core/regularizer-set.ts';
import type { Checkpoint } from '../run/checkpoint.ts';
import type { MetricsRecord } from '../run/metrics-log.ts';
import { assertTrainCanStart } from './preflight.ts';
import { checkRunArguments } from './run-arguments.ts';
import { type LifecycleOptions, type RunLoop, runLifecycle, stateCheckpoint } from './run-lifecycle.ts';
import { createTrainingState, disposeTrainingState, type TrainingState, trainStep } from './step.ts';
import { appendSamples, keepSamplesUpTo } from './token-samples.ts';

/** What `onStep` hears after each step has been written to metrics.jsonl (and checkpointed, on cadence). */
export interface StepReport {
  /** Steps finished (1-based). */
  step: number;
  totalSteps: number;
  metrics: MetricsRecord;
}

export interface TrainOptions extends LifecycleOptions {
  /** Called after every step (progress display; abort `signal` from here to stop after N steps). */
  onStep?: (report: StepReport) => void;
}

export interface TrainResult {
  runDir: string;
  backend: BackendInfo;
  steps: number;
  final?: EvalResult;
  skipped?: boolean;
  /** Stopped through `signal`; a checkpoint of the last finished step was written. */
  interrupted?: boolean;
  /** Ended early by an entropy alarm with on_alarm: stop (checkpointed, evaluated): the alarm's line. */
  stopped?: string;
  wallSeconds: number;
}

export async function train(config: Config, opts: TrainOptions): Promise<TrainResult> {
  const checked = checkRunArguments('train', config, opts);
  const { onStep } = opts;
  const result = await runLifecycle(
    {
      kind: 'train',
      config: checked,
      totalSteps: checked.steps,
      checkpointEvery: checked.checkpoint.every,
      assertFits: (backend) => assertTrainCanStart(checked, backend.name),
      open: ({ resumeFrom, resumeFile, log, covered }) =>
        trainLoop(createTrainingState(checked, { resumeFrom, resumeFile, log }), opts.runDir, resumeFrom, log, covered),
      onStep: onStep && ((r) => onStep({ step: r.step, totalSteps: r.totalSteps, metrics: r.metrics! })),
    },
    opts,
  );
  const { final, ...rest } = result;
  return final ? { ...rest, final: final.eval } : rest;
}

function trainLoop(
  state: TrainingState,
  runDir: string,
  resumeFrom: Checkpoint | undefined,
  log: (line: string) => void,
  earlier: readonly MetricsRecord[] = [],
): RunLoop {
  const { config } = state;
  // wall-clock training time carries on across resumes
  let wall = earlier.at(-1)?.['perf/wall_s'] ?? 0;
  // the alarm's state is a function of the entropies seen: rebuilt from the lines already written
  const alarmConfig = config.diagnostics.entropy_alarm;
  const alarm = alarmConfig ? new EntropyAlarm(alarmConfig) : undefined;
  for (const r of earlier) alarm?.observe(r.step, r['entropy/rollout']);
  // a fresh run starts the saved token samples afresh; a resumed one keeps those of its finished steps
  keepSamplesUpTo(runDir, resumeFrom?.step ?? 0);
  let stopReason: string | undefined;
  let lastHistograms: Record<string, Float32Array> | undefined;
  return {
    step(step) {
      const t0 = performance.now();
      const {
        metrics: record,
        rolloutSeconds,
        updateSeconds,
        phaseSeconds,
        tokens,
        histograms,
        samples,
      } = trainStep(state, step);
      lastHistograms = histograms;
      appendSamples(runDir, samples);
      if (alarm) {
        const entropy = record['entropy/rollout'];
        const reading = alarm.observe(step + 1, entropy);
        Object.assign(record, reading.metrics);
        for (const side of reading.fired) {
          const line = alarm.describe(side, step + 1, entropy);
          log(`entrolab: warning: ${line}`);
          if (alarmConfig && alarmConfig.on_alarm === 'stop') stopReason ??= line;
        }
      }
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
      return record;
    },
    checkpoint: (steps, metricsLines) =>
      stateCheckpoint(steps, state.policy, state.optimizer, metricsLines, {
        rng: streamStates(state.streams),
        regularizers: saveRegularizers(state.regularizers),
      }),
    finish() {
      const final = evaluate(
        state.envFactory,
        state.policy,
        evalOptionsOf(config.eval, config.rollout.temperature, `eval:${config.seed}:final`),
      );
      return { eval: final, trainWallSeconds: wall, numbers: {} };
    },
    dispose: () => disposeTrainingState(state),
    stopReason: () => stopReason,
    histograms: () => lastHistograms,
    alarms: () =>
      Object.fromEntries(Object.entries(alarm?.firstFired ?? {}).map(([side, step]) => [`entropy_${side}`, step])),
  };
}
