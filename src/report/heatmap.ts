// A hand-written SVG heat map: one row per position (or turn), one column per step, each cell
// shaded by its value on one colour scale (light = low entropy, dark = high), with a scale bar.
// Same input, same bytes, like svg-plot.ts.
import { escapeXml, formatTick, niceTicks } from './svg-plot.ts';

export interface HeatmapSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  /** Column x values (steps), ascending. */
  columns: number[];
  /** Row labels, top to bottom. */
  rows: string[];
  /** values[row][column]; a non-finite value is left blank. */
  values: number[][];
  width?: number;
  height?: number;
}

const MARGIN = { left: 64, right: 90, top: 30, bottom: 44 };
const px = (v: number) => Number(v.toFixed(2));

/** White → dark blue (viridis-free, readable in print): t in [0, 1]. */
export function heatColor(t: number): string {
  const c = Math.max(0, Math.min(1, t));
  const mix = (a: number, b: number) => Math.round(a + (b - a) * c);
  const hex = (v: number) => v.toString(16).padStart(2, '0');
  return `#${hex(mix(247, 8))}${hex(mix(251, 48))}${hex(mix(255, 107))}`;
}

export function renderHeatmap(spec: HeatmapSpec): string {
  const width = spec.width ?? 720;
  const height = spec.height ?? Math.max(180, MARGIN.top + MARGIN.bottom + spec.rows.length * 22);
  const plotWidth = width - MARGIN.left - MARGIN.right;
  const plotHeight = height - MARGIN.top - MARGIN.bottom;
  const finite = spec.values.flat().filter(Number.isFinite);
  const lo = finite.length ? Math.min(...finite) : 0;
  const hi = finite.length ? Math.max(...finite) : 1;
  const scale = (v: number) => (hi > lo ? (v - lo) / (hi - lo) : 0.5);
  const cw = plotWidth / Math.max(1, spec.columns.length);
  const rh = plotHeight / Math.max(1, spec.rows.length);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      'font-family="Helvetica, Arial, sans-serif" font-size="11">',
    `<title>${escapeXml(spec.title)}</title>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${MARGIN.left}" y="18" font-size="13" font-weight="bold">${escapeXml(spec.title)}</text>`,
  ];
  spec.rows.forEach((label, r) => {
    const y = MARGIN.top + r * rh;
    out.push(
      `<text x="${MARGIN.left - 6}" y="${px(y + rh / 2)}" text-anchor="end" dominant-baseline="middle">` +
        `${escapeXml(label)}</text>`,
    );
    spec.columns.forEach((_, c) => {
      const v = spec.values[r]?.[c];
      if (v === undefined || !Number.isFinite(v)) return;
      out.push(
        `<rect x="${px(MARGIN.left + c * cw)}" y="${px(y)}" width="${px(cw + 0.3)}" height="${px(rh + 0.3)}" ` +
          `fill="${heatColor(scale(v))}"><title>${escapeXml(`${label}, step ${spec.columns[c]}: ${v.toFixed(3)}`)}</title></rect>`,
      );
    });
  });
  out.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${px(plotWidth)}" height="${px(plotHeight)}" fill="none" stroke="#888888"/>`,
  );
  if (spec.columns.length > 0) {
    const first = spec.columns[0];
    const last = spec.columns[spec.columns.length - 1];
    const ticks = niceTicks(first, last, 6);
    for (const t of ticks.ticks) {
      if (t < first || t > last) continue;
      const i = spec.columns.findIndex((s) => s >= t);
      const x = px(MARGIN.left + (i + 0.5) * cw);
      out.push(
        `<text x="${x}" y="${px(MARGIN.top + plotHeight + 16)}" text-anchor="middle">${formatTick(t, ticks.step)}</text>`,
      );
    }
  }
  out.push(
    `<text x="${px(MARGIN.left + plotWidth / 2)}" y="${px(height - 8)}" text-anchor="middle">${escapeXml(spec.xLabel)}</text>`,
    `<text x="14" y="${px(MARGIN.top + plotHeight / 2)}" text-anchor="middle" ` +
      `transform="rotate(-90 14 ${px(MARGIN.top + plotHeight / 2)})">${escapeXml(spec.yLabel)}</text>`,
  );
  // the colour scale: 10 steps from low to high, labelled at both ends
  const barX = width - MARGIN.right + 16;
  for (let i = 0; i < 10; i++) {
    const y = MARGIN.top + plotHeight - ((i + 1) * plotHeight) / 10;
    out.push(
      `<rect x="${barX}" y="${px(y)}" width="14" height="${px(plotHeight / 10 + 0.3)}" fill="${heatColor((i + 0.5) / 10)}"/>`,
    );
  }
  out.push(
    `<text x="${barX + 18}" y="${MARGIN.top + 8}">${hi.toFixed(2)}</text>`,
    `<text x="${barX + 18}" y="${px(MARGIN.top + plotHeight)}">${lo.toFixed(2)}</text>`,
    '</svg>',
  );
  return `${out.join('\n')}\n`;
}
