// Figures for claim pages, drawn with the report's SVG plotter and its seed aggregation: a cell's
// curve is the mean over seeds with a band from the lowest to the highest seed, smoothed like the
// report's figures.
import { aggregateCurve, type RunData, smoothingWindow } from '../report/data.ts';
import type { Figure } from '../report/figures.ts';
import { PALETTE, renderPlot, type Series } from '../report/svg-plot.ts';

export interface LabelledRuns {
  label: string;
  runs: RunData[];
}

const lastStep = (groups: readonly LabelledRuns[]) =>
  Math.max(0, ...groups.flatMap((g) => g.runs.flatMap((r) => r.metrics.map((m) => m.step ?? 0))));

/** Mean-over-seeds curves of `key`, one per group, plus optional extra series (e.g. target lines). */
export function curveFigure(
  name: string,
  title: string,
  key: string,
  groups: readonly LabelledRuns[],
  options: { yLabel?: string; extra?: Series[]; smooth?: boolean } = {},
): Figure {
  const window = options.smooth === false ? 1 : smoothingWindow(lastStep(groups));
  const series: Series[] = groups.flatMap((g, i) => {
    const points = aggregateCurve(g.runs, key, window);
    if (points.length === 0) return [];
    return [
      {
        label: `${g.label} (n=${g.runs.length})`,
        color: PALETTE[i % PALETTE.length],
        points: points.map((p): [number, number] => [p.step, p.mean]),
        band: points.map((p): [number, number, number] => [p.step, p.min, p.max]),
      },
    ];
  });
  const smoothed = window > 1 ? `; moving average over ${window} steps` : '';
  return {
    name,
    section: 'Figures',
    title: `${title}: mean over seeds, band from the lowest to the highest seed${smoothed}`,
    svg: renderPlot({
      title,
      xLabel: 'step',
      yLabel: options.yLabel ?? key,
      series: [...series, ...(options.extra ?? [])],
    }),
  };
}

/** A horizontal reference line over [x0, x1]. */
export function hline(label: string, y: number, x0: number, x1: number, color: string): Series {
  return {
    label,
    color,
    points: [
      [x0, y],
      [x1, y],
    ],
    width: 1,
    opacity: 0.8,
  };
}

export { PALETTE };
