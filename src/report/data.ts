// What a report is made of: the runs under a directory (one run, a sweep, or any folder of run
// directories), grouped into cells (same settings, different seeds), their metric curves
// averaged over seeds, and the per-cell summary numbers with 95% confidence intervals.
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../base/errors.ts';
import { type MetricsRecord, readMetrics } from '../run/metrics-log.ts';
import { METRICS_FILE, type RunKind, readSummary } from '../run/run-dir.ts';
import { readRunState } from '../run/run-state.ts';
import { readSweepState } from '../sweep/manifest.ts';
import { type MeanCi, meanCi95, normalizedArea } from './stats.ts';

export const SUCCESS_KEY = 'success_rate';
export const ENTROPY_KEY = 'actor/entropy';
/** What an SFT warm start logs every `sft.log_every` steps. */
export const SFT_LOSS_KEY = 'sft/loss';
export const SFT_ACCURACY_KEY = 'sft/token_accuracy';

export interface RunData {
  id: string;
  dir: string;
  cell: string;
  /**
   * 'finished' | 'stopped' (ended by an alarm) | 'running' | 'failed' | 'interrupted' | 'unknown' (no status.json) | 'stale'
   * (status.json says running but no live trainer holds the run: it crashed or was killed).
   */
  state: string;
  metrics: MetricsRecord[];
  /** summary.json's final evaluation, when the run finished. */
  finalEval?: Record<string, number>;
  /** Which command wrote the run (summary.json), when it finished. */
  kind?: RunKind;
}

export interface ReportData {
  title: string;
  dir: string;
  kind: 'run' | 'sweep';
  threshold: number;
  /** Cells in sweep order; runs within a cell in seed order. */
  cells: { cell: string; runs: RunData[] }[];
}

function loadRun(dir: string, id: string, cell: string): RunData {
  const run = readRunState(dir);
  let summary: ReturnType<typeof readSummary>;
  try {
    summary = readSummary(dir);
  } catch {
    summary = undefined;
  }
  const finalEval =
    summary &&
    Object.fromEntries(
      Object.entries(summary.eval ?? {}).filter((e): e is [string, number] => typeof e[1] === 'number'),
    );
  const state = run?.stale ? 'stale' : (run?.status.state ?? 'unknown');
  return { id, dir, cell, state, metrics: readMetrics(dir), finalEval, kind: summary?.kind };
}

const hasMetrics = (dir: string) => fs.existsSync(path.join(dir, METRICS_FILE));

/** `method-grpo__seed-2` → `method-grpo`; names without a seed suffix are their own cell. */
export function cellOf(runId: string): string {
  return runId.replace(/(__|_|-)?seed-?\d+$/, '') || runId;
}

/** Runs whose status.json says running with no live trainer behind it. */
export function staleRuns(data: ReportData): RunData[] {
  return data.cells.flatMap((c) => c.runs.filter((r) => r.state === 'stale'));
}

export function loadReportData(dir: string, threshold?: number): ReportData {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory())
    throw new UserError('not a directory (expected a run or sweep directory)', dir);
  const title = path.basename(path.resolve(dir));
  if (hasMetrics(dir)) {
    return {
      title,
      dir,
      kind: 'run',
      threshold: threshold ?? 0.5,
      cells: [{ cell: title, runs: [loadRun(dir, title, title)] }],
    };
  }
  const cells = new Map<string, RunData[]>();
  const sweep = readSweepState(dir);
  if (sweep) {
    const ordered = [...sweep.runs].sort((a, b) => a.seed - b.seed);
    for (const run of sweep.runs) if (!cells.has(run.cell)) cells.set(run.cell, []);
    for (const run of ordered) {
      const runDir = path.join(dir, run.id);
      if (hasMetrics(runDir)) cells.get(run.cell)!.push(loadRun(runDir, run.id, run.cell));
    }
  } else {
    for (const name of fs.readdirSync(dir).sort()) {
      const runDir = path.join(dir, name);
      if (!hasMetrics(runDir)) continue;
      const cell = cellOf(name);
      if (!cells.has(cell)) cells.set(cell, []);
      cells.get(cell)!.push(loadRun(runDir, name, cell));
    }
  }
  const nonEmpty = [...cells].filter(([, runs]) => runs.length > 0).map(([cell, runs]) => ({ cell, runs }));
  if (nonEmpty.length === 0)
    throw new UserError('no runs with metrics.jsonl found here (expected a run directory or a sweep directory)', dir);
  return {
    title: sweep?.name ?? title,
    dir,
    kind: 'sweep',
    threshold: threshold ?? sweep?.threshold ?? 0.5,
    cells: nonEmpty,
  };
}

/** A metric's finite values over steps. */
export function curve(run: RunData, key: string): { steps: number[]; values: number[] } {
  const steps: number[] = [];
  const values: number[] = [];
  for (const record of run.metrics) {
    const v = record[key];
    if (typeof v === 'number' && Number.isFinite(v) && typeof record.step === 'number') {
      steps.push(record.step);
      values.push(v);
    }
  }
  return { steps, values };
}

/** Centered moving average over `window` points (shrinking at the ends); window 1 = unchanged. */
export function movingAverage(values: readonly number[], window: number): number[] {
  const half = Math.floor(Math.max(1, window) / 2);
  return values.map((_, i) => {
    const lo = Math.max(0, i - half);
    const hi = Math.min(values.length - 1, i + half);
    let sum = 0;
    for (let j = lo; j <= hi; j++) sum += values[j];
    return sum / (hi - lo + 1);
  });
}

/** A smoothing window for curves over `steps` steps: about 1/25 of the run, odd, at least 1. */
export function smoothingWindow(steps: number): number {
  const w = Math.max(1, Math.round(steps / 25));
  return w % 2 === 1 ? w : w + 1;
}

export interface AggregatePoint {
  step: number;
  n: number;
  mean: number;
  /** Mean ± the 95% CI half-width (NaN when n < 2). */
  low: number;
  high: number;
  /** Smallest and largest run at this step: the band the figures draw. */
  min: number;
  max: number;
}

/**
 * Mean over runs at each step (runs that logged it), with the 95% CI where n ≥ 2. With
 * `window` > 1 each run's curve is first smoothed by a centered moving average.
 */
export function aggregateCurve(runs: readonly RunData[], key: string, window = 1): AggregatePoint[] {
  const byStep = new Map<number, number[]>();
  for (const run of runs) {
    const { steps, values: raw } = curve(run, key);
    const values = movingAverage(raw, window);
    steps.forEach((s, i) => {
      if (!byStep.has(s)) byStep.set(s, []);
      byStep.get(s)!.push(values[i]);
    });
  }
  return [...byStep.keys()]
    .sort((a, b) => a - b)
    .map((step) => {
      const values = byStep.get(step)!;
      const ci = meanCi95(values);
      return {
        step,
        n: ci.n,
        mean: ci.mean,
        low: ci.mean - ci.halfWidth,
        high: ci.mean + ci.halfWidth,
        min: Math.min(...values),
        max: Math.max(...values),
      };
    });
}

/** Per-run numbers behind one row of the summary table. */
export interface RunSummary {
  finalSuccess: number;
  bestSuccess: number;
  /** Trapezoid area under the success curve divided by the step span (in [0, 1]). */
  successArea: number;
  finalEntropy: number;
  /** First step whose success rate (moving average, as in the figures) is ≥ the threshold; NaN if never. */
  stepsToThreshold: number;
  evalGreedy: number;
  evalSampled: number;
  /** An SFT run's last logged loss and token accuracy. */
  finalSftLoss: number;
  finalSftAccuracy: number;
}

export function summarizeRun(run: RunData, threshold: number): RunSummary {
  const success = curve(run, SUCCESS_KEY);
  const entropy = curve(run, ENTROPY_KEY);
  const last = (xs: number[]) => (xs.length > 0 ? xs[xs.length - 1] : NaN);
  // Smoothed like the figures, so one lucky batch does not count as reaching the threshold.
  const lastStep = success.steps.length > 0 ? success.steps[success.steps.length - 1] : 0;
  const reached = movingAverage(success.values, smoothingWindow(lastStep)).findIndex((v) => v >= threshold);
  return {
    finalSuccess: last(success.values),
    bestSuccess: success.values.length > 0 ? Math.max(...success.values) : NaN,
    successArea: success.values.length > 0 ? normalizedArea(success.steps, success.values) : NaN,
    finalEntropy: last(entropy.values),
    stepsToThreshold: reached >= 0 ? success.steps[reached] : NaN,
    evalGreedy: run.finalEval?.successGreedy ?? NaN,
    evalSampled: run.finalEval?.successSampled ?? NaN,
    finalSftLoss: last(curve(run, SFT_LOSS_KEY).values),
    finalSftAccuracy: last(curve(run, SFT_ACCURACY_KEY).values),
  };
}

export interface CellSummary {
  cell: string;
  /** Runs in the row (finished ones unless the report includes unfinished runs). */
  runs: number;
  /** Runs in the cell left out because they have not finished. */
  unfinished: number;
  columns: Record<keyof RunSummary, MeanCi>;
  /** How many runs reached the threshold. */
  reached: number;
  /** How many runs had an entropy alarm fire (alarm/entropy_low or alarm/entropy_high). */
  alarmed: number;
}

export const SUMMARY_COLUMNS: [keyof RunSummary, string][] = [
  ['finalSuccess', 'final success'],
  ['bestSuccess', 'best success'],
  ['successArea', 'success AUC'],
  ['finalEntropy', 'final entropy'],
  ['stepsToThreshold', 'steps to ≥θ'],
  ['evalGreedy', 'test greedy'],
  ['evalSampled', 'test sampled'],
  ['finalSftLoss', 'final SFT loss'],
  ['finalSftAccuracy', 'final token accuracy'],
];

export function summarizeCells(data: ReportData, includeUnfinished = false): CellSummary[] {
  return data.cells.map(({ cell, runs }) => {
    const used = runs.filter(
      (r) => includeUnfinished || r.state === 'finished' || r.state === 'stopped' || r.state === 'unknown',
    );
    const perRun = used.map((r) => summarizeRun(r, data.threshold));
    const columns = Object.fromEntries(
      SUMMARY_COLUMNS.map(([key]) => [key, meanCi95(perRun.map((s) => s[key]))]),
    ) as CellSummary['columns'];
    return {
      cell,
      runs: used.length,
      unfinished: runs.length - used.length,
      columns,
      reached: perRun.filter((s) => Number.isFinite(s.stepsToThreshold)).length,
      alarmed: used.filter((r) => r.metrics.some((m) => m['alarm/entropy_low'] === 1 || m['alarm/entropy_high'] === 1))
        .length,
    };
  });
}
