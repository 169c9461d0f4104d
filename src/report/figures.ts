// The report's figures: which metrics get a plot, and each plot per cell (mean over seeds with a
// band from the lowest to the highest seed — the 95% CIs are in the table, where a t quantile of
// 12.7 at two seeds does not hide the curves) and per run (one line per seed, coloured by cell).
import {
  aggregateCurve,
  curve,
  ENTROPY_KEY,
  movingAverage,
  type ReportData,
  SFT_ACCURACY_KEY,
  SFT_LOSS_KEY,
  SUCCESS_KEY,
  smoothingWindow,
} from './data.ts';
import { renderHeatmap } from './heatmap.ts';
import { PALETTE, renderPlot, type Series } from './svg-plot.ts';

export interface Figure {
  /** File stem under figures/, e.g. `success_rate.cells`. */
  name: string;
  section: string;
  title: string;
  svg: string;
}

/** Metric groups the trainer always logs; any other `<group>/...` belongs to a regularizer. */
const CORE_GROUPS = new Set([
  'actor',
  'critic',
  'entropy',
  'perf',
  'eval',
  'response_length',
  'clip_ratio',
  'timing_s',
  'num_turns',
  'sft',
  'alarm',
  'schedule',
]);

const HEADLINE: [string, string][] = [
  [SUCCESS_KEY, 'success rate (training rollouts)'],
  ['critic/score/mean', 'mean reward'],
  [ENTROPY_KEY, 'policy entropy (nats/token)'],
  ['eval/success_greedy', 'greedy success (eval)'],
];

/** What an SFT warm start logs (the GRPO figures above stay empty for it). */
const SFT: [string, string][] = [
  [SFT_LOSS_KEY, 'SFT loss (mean −log π of the demonstrated tokens)'],
  [SFT_ACCURACY_KEY, 'token accuracy (the argmax is the demonstrated token)'],
];

const DIAGNOSTICS: [string, string][] = [
  ['entropy/measured_delta', 'entropy change over the update (measured)'],
  ['entropy/cov_logprob_adv', 'cov(log π, A)'],
  ['actor/pg_clipfrac', 'PPO clip fraction'],
  ['actor/ppo_kl', 'KL(old ‖ new)'],
  ['actor/grad_norm', 'gradient norm'],
  ['response_length/mean', 'episode length'],
  ['frac_reward_zero_std', 'groups with zero reward spread'],
];

export function metricKeys(data: ReportData): Set<string> {
  const keys = new Set<string>();
  for (const { runs } of data.cells)
    for (const run of runs) for (const record of run.metrics) for (const k of Object.keys(record)) keys.add(k);
  keys.delete('step');
  return keys;
}

/** Regularizer groups present (`clip_cov`, `aepo`, …) → their metric keys, sorted. */
export function regularizerGroups(keys: Set<string>): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const key of [...keys].sort()) {
    const slash = key.indexOf('/');
    if (slash <= 0) continue;
    const group = key.slice(0, slash);
    if (CORE_GROUPS.has(group)) continue;
    if (!groups.has(group)) groups.set(group, []);
    groups.get(group)!.push(key);
  }
  return groups;
}

export const fileStem = (key: string) => key.replace(/[^A-Za-z0-9_.-]/g, '_');

function cellSeries(data: ReportData, key: string, window: number): Series[] {
  return data.cells.flatMap(({ cell, runs }, i) => {
    const points = aggregateCurve(runs, key, window);
    if (points.length === 0) return [];
    const seeds = Math.max(...points.map((p) => p.n));
    return [
      {
        label: `${cell} (n=${seeds})`,
        color: PALETTE[i % PALETTE.length],
        points: points.map((p): [number, number] => [p.step, p.mean]),
        band: points.map((p): [number, number, number] => [p.step, p.min, p.max]),
      },
    ];
  });
}

function runSeries(data: ReportData, key: string, window: number): Series[] {
  return data.cells.flatMap(({ cell, runs }, i) => {
    const color = PALETTE[i % PALETTE.length];
    return runs
      .map((run) => ({ run, c: curve(run, key) }))
      .filter(({ c }) => c.steps.length > 0)
      .map(({ run, c }, j) => {
        const values = movingAverage(c.values, window);
        return {
          label: data.kind === 'run' ? run.id : cell,
          color,
          points: c.steps.map((s, k): [number, number] => [s, values[k]]),
          width: 1.1,
          opacity: data.kind === 'run' ? 1 : 0.75,
          hideInLegend: j > 0,
        };
      });
  });
}

function predictedVsMeasured(data: ReportData): Series[] {
  return data.cells.flatMap(({ cell, runs }, i) => {
    const points: [number, number][] = [];
    for (const run of runs) {
      for (const r of run.metrics) {
        const p = r['entropy/predicted_delta'];
        const m = r['entropy/measured_delta'];
        if (Number.isFinite(p) && Number.isFinite(m)) points.push([p, m]);
      }
    }
    return points.length > 0 ? [{ label: cell, color: PALETTE[i % PALETTE.length], points, opacity: 0.6 }] : [];
  });
}

/** The step each run's entropy alarm first fired (alarm/entropy_low or _high = 1), as figure marks. */
export function alarmMarkers(data: ReportData): { x: number; label: string; color: string }[] {
  const marks: { x: number; label: string; color: string }[] = [];
  for (const { runs } of data.cells)
    for (const run of runs)
      for (const side of ['low', 'high'] as const) {
        const hit = run.metrics.find((m) => m[`alarm/entropy_${side}`] === 1);
        if (hit?.step !== undefined)
          marks.push({ x: hit.step, label: `${side === 'low' ? 'collapse' : 'explosion'} alarm`, color: '#d62728' });
      }
  return marks;
}

export function buildFigures(data: ReportData): Figure[] {
  const keys = metricKeys(data);
  const lastStep = Math.max(
    0,
    ...data.cells.flatMap(({ runs }) => runs.flatMap((r) => r.metrics.map((m) => m.step ?? 0))),
  );
  const window = smoothingWindow(lastStep);
  const smoothed = window > 1 ? `, moving average over ${window} steps` : '';
  const perCell = data.kind === 'sweep';
  const cellFigures: Figure[] = [];
  const runFigures: Figure[] = [];
  const figuresOut: Figure[] = [];
  const add = (section: string, key: string, title: string) => {
    if (!keys.has(key)) return;
    const markers = key.startsWith('entropy/rollout') || key === ENTROPY_KEY ? alarmMarkers(data) : undefined;
    if (perCell) {
      cellFigures.push({
        name: `${fileStem(key)}.cells`,
        section,
        title: `${title}: mean over seeds, band from the lowest to the highest seed${smoothed}`,
        svg: renderPlot({
          title: `${key}: mean and range over seeds`,
          xLabel: 'step',
          yLabel: key,
          series: cellSeries(data, key, window),
          markers,
        }),
      });
    }
    runFigures.push({
      name: `${fileStem(key)}.runs`,
      section: perCell ? `Every run: ${section.toLowerCase()}` : section,
      title: `${title}${perCell ? ': every run, coloured by cell' : ''}${smoothed ? ` (${smoothed.slice(2)})` : ''}`,
      svg: renderPlot({
        title: perCell ? `${key}: every run` : key,
        xLabel: 'step',
        yLabel: key,
        series: runSeries(data, key, window),
        markers,
      }),
    });
  };

  for (const [key, title] of HEADLINE) add('Reward, success and entropy', key, title);
  for (const [key, title] of SFT) add('Supervised warm start', key, title);
  if (keys.has('entropy/predicted_delta') && keys.has('entropy/measured_delta')) {
    (perCell ? cellFigures : runFigures).push({
      name: 'entropy_delta.predicted_vs_measured',
      section: 'Entropy dynamics',
      title: 'predicted vs measured entropy change, one point per step and run (dashed: y = x)',
      svg: renderPlot({
        title: 'entropy change per update: predicted (cov) vs measured',
        xLabel: 'entropy/predicted_delta',
        yLabel: 'entropy/measured_delta',
        kind: 'scatter',
        diagonal: true,
        series: predictedVsMeasured(data),
      }),
    });
  }
  for (const [key, title] of DIAGNOSTICS) add('Entropy dynamics', key, title);
  for (const key of [...keys].filter((k) => k.startsWith('schedule/')).sort())
    add('Schedules', key, `${key.slice('schedule/'.length)}: the value in force (docs/schedules.md)`);
  for (const [key, title] of [
    ['entropy/p90', 'entropy of the 90th-percentile token'],
    ['entropy/frac_high', 'share of tokens above diagnostics.high_entropy_nats'],
    ['actor/pg_clipfrac_high_entropy', 'PPO clip fraction of the tokens above diagnostics.high_entropy_nats'],
    ['actor/pg_clipfrac_low_entropy', 'PPO clip fraction of the tokens at or below diagnostics.high_entropy_nats'],
  ])
    add('Entropy dynamics', key, title);
  figuresOut.push(...entropyHeatmaps(data, keys));
  for (const [group, groupKeys] of regularizerGroups(keys)) {
    for (const key of groupKeys) add(`Regularizer: ${group}`, key, key);
  }
  // heat maps after the curves of their kind: the cells' in a sweep, the run's in a one-run report
  return perCell ? [...cellFigures, ...figuresOut, ...runFigures] : [...runFigures, ...figuresOut];
}

/** Heat maps of entropy/by_position/k and entropy/by_turn/k (k × step), one per cell (the first 6). */
function entropyHeatmaps(data: ReportData, keys: Set<string>): Figure[] {
  const out: Figure[] = [];
  for (const [kind, label] of [
    ['by_position', 'token position in the answer'],
    ['by_turn', 'turn'],
  ] as const) {
    const prefix = `entropy/${kind}/`;
    const ks = [...keys]
      .filter((k) => k.startsWith(prefix))
      .map((k) => Number(k.slice(prefix.length)))
      .sort((a, b) => a - b);
    if (ks.length === 0) continue;
    for (const { cell, runs } of data.cells.slice(0, 6)) {
      const curves = ks.map((k) => new Map(aggregateCurve(runs, `${prefix}${k}`).map((p) => [p.step, p.mean])));
      const columns = [...new Set(curves.flatMap((c) => [...c.keys()]))].sort((a, b) => a - b);
      if (columns.length === 0) continue;
      const name = data.kind === 'sweep' ? ` (${cell})` : '';
      out.push({
        name: `entropy_${kind}.heatmap${data.kind === 'sweep' ? `.${fileStem(cell)}` : ''}`,
        section: 'Entropy by position and turn',
        title: `mean entropy of π_old by ${label} and step${name}, mean over seeds; dark = high`,
        svg: renderHeatmap({
          title: `entropy by ${label}${name}`,
          xLabel: 'step',
          yLabel: label,
          columns,
          rows: ks.map(String),
          values: curves.map((c) => columns.map((s) => c.get(s) ?? Number.NaN)),
        }),
      });
    }
  }
  return out;
}
