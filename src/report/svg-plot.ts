// Hand-written SVG line and scatter plots: no dependencies, and the same input
// gives the same bytes, so figures can be compared in tests and diffed in reviews.

export interface Series {
  label: string;
  color: string;
  /** [x, y]; a non-finite y breaks the line. */
  points: [number, number][];
  /** [x, low, high]: a shaded band (e.g. the 95% CI over seeds). */
  band?: [number, number, number][];
  /** Stroke width (default 1.6) and opacity (default 1). */
  width?: number;
  opacity?: number;
  /** Leave out of the legend (e.g. the second seed of a cell already listed). */
  hideInLegend?: boolean;
}

export interface PlotSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  kind?: 'line' | 'scatter';
  /** Draw the y = x diagonal (predicted vs measured). */
  diagonal?: boolean;
  /** Vertical marks at these x (e.g. the step an entropy alarm fired), labelled at the top. */
  markers?: { x: number; label: string; color: string }[];
  width?: number;
  height?: number;
}

/** Tableau 10: distinguishable, colour-blind-friendlier than the defaults. */
export const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];

const MARGIN = { left: 64, right: 16, top: 30, bottom: 44 };
const LEGEND_WIDTH = 210;
const LEGEND_ROW = 16;

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Round-number tick values covering [min, max] with about `count` steps of 1, 2 or 5 × 10^k. */
export function niceTicks(min: number, max: number, count = 5): { ticks: number[]; step: number } {
  if (!(max > min)) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    return niceTicks(min - pad, max + pad, count);
  }
  const raw = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  const first = Math.floor(min / step + 1e-9);
  const last = Math.ceil(max / step - 1e-9);
  const ticks: number[] = [];
  // Multiples of the step, rounded so that 0.1 + 0.2 does not print as 0.30000000000000004.
  for (let i = first; i <= last; i++) ticks.push(i === 0 ? 0 : Number((i * step).toPrecision(12)));
  return { ticks, step };
}

export function formatTick(value: number, step: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1e5 || abs < 1e-3) return value.toExponential(1).replace('e+', 'e');
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return value.toFixed(decimals);
}

/** Pixel coordinates with two decimals: enough for the eye, stable across platforms. */
const px = (v: number) => (Math.round(v * 100) / 100).toString();

function extent(values: number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : [0, 1];
}

/** Split into runs of consecutive finite points. */
function segments<T extends number[]>(points: T[]): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  for (const p of points) {
    if (p.every((v) => Number.isFinite(v))) current.push(p);
    else if (current.length > 0) {
      out.push(current);
      current = [];
    }
  }
  if (current.length > 0) out.push(current);
  return out;
}

export function renderPlot(spec: PlotSpec): string {
  const legend = spec.series.filter((s) => !s.hideInLegend);
  const width = spec.width ?? 640 + (legend.length > 0 ? LEGEND_WIDTH : 0);
  const plotWidth = width - MARGIN.left - MARGIN.right - (legend.length > 0 ? LEGEND_WIDTH : 0);
  const height = Math.max(spec.height ?? 300, MARGIN.top + legend.length * LEGEND_ROW + 10);
  const plotHeight = (spec.height ?? 300) - MARGIN.top - MARGIN.bottom;

  const xs = spec.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = spec.series.flatMap((s) => [...s.points.map((p) => p[1]), ...(s.band ?? []).flatMap((b) => [b[1], b[2]])]);
  let [xMin, xMax] = extent(xs);
  let [yMin, yMax] = extent(ys);
  if (spec.diagonal) {
    [xMin, xMax] = [Math.min(xMin, yMin), Math.max(xMax, yMax)];
    [yMin, yMax] = [xMin, xMax];
  }
  const xt = niceTicks(xMin, xMax, 6);
  const yt = niceTicks(yMin, yMax, 5);
  const [x0, x1] = [xt.ticks[0], xt.ticks[xt.ticks.length - 1]];
  const [y0, y1] = [yt.ticks[0], yt.ticks[yt.ticks.length - 1]];
  const sx = (x: number) => MARGIN.left + ((x - x0) / (x1 - x0)) * plotWidth;
  const sy = (y: number) => MARGIN.top + plotHeight - ((y - y0) / (y1 - y0)) * plotHeight;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      'font-family="Helvetica, Arial, sans-serif" font-size="11">',
  );
  out.push(`<title>${escapeXml(spec.title)}</title>`);
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${MARGIN.left}" y="18" font-size="13" font-weight="bold">${escapeXml(spec.title)}</text>`);
  // Grid and ticks.
  for (const t of yt.ticks) {
    const y = px(sy(t));
    out.push(`<line x1="${MARGIN.left}" y1="${y}" x2="${px(MARGIN.left + plotWidth)}" y2="${y}" stroke="#e5e5e5"/>`);
    out.push(
      `<text x="${MARGIN.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">` +
        `${formatTick(t, yt.step)}</text>`,
    );
  }
  for (const t of xt.ticks) {
    const x = px(sx(t));
    out.push(`<line x1="${x}" y1="${MARGIN.top}" x2="${x}" y2="${px(MARGIN.top + plotHeight)}" stroke="#f0f0f0"/>`);
    out.push(
      `<text x="${x}" y="${px(MARGIN.top + plotHeight + 16)}" text-anchor="middle">${formatTick(t, xt.step)}</text>`,
    );
  }
  out.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${px(plotWidth)}" height="${px(plotHeight)}" ` +
      'fill="none" stroke="#888888"/>',
  );
  out.push(
    `<text x="${px(MARGIN.left + plotWidth / 2)}" y="${px(MARGIN.top + plotHeight + 36)}" text-anchor="middle">` +
      `${escapeXml(spec.xLabel)}</text>`,
  );
  out.push(
    `<text x="14" y="${px(MARGIN.top + plotHeight / 2)}" text-anchor="middle" ` +
      `transform="rotate(-90 14 ${px(MARGIN.top + plotHeight / 2)})">${escapeXml(spec.yLabel)}</text>`,
  );
  if (spec.diagonal) {
    out.push(
      `<line x1="${px(sx(x0))}" y1="${px(sy(x0))}" x2="${px(sx(x1))}" y2="${px(sy(x1))}" ` +
        'stroke="#999999" stroke-dasharray="4 3"/>',
    );
  }

  for (const m of spec.markers ?? []) {
    if (!(m.x >= x0 && m.x <= x1)) continue;
    const x = px(sx(m.x));
    out.push(
      `<line x1="${x}" y1="${MARGIN.top}" x2="${x}" y2="${px(MARGIN.top + plotHeight)}" stroke="${m.color}" ` +
        'stroke-dasharray="3 3" stroke-width="1.2"/>',
    );
    out.push(
      `<text x="${x}" y="${MARGIN.top - 3}" text-anchor="middle" fill="${m.color}">${escapeXml(m.label)}</text>`,
    );
  }

  if (xs.length === 0) {
    out.push(
      `<text x="${px(MARGIN.left + plotWidth / 2)}" y="${px(MARGIN.top + plotHeight / 2)}" ` +
        'text-anchor="middle" fill="#999999">no data</text>',
    );
  }
  for (const s of spec.series) {
    for (const seg of segments(s.band ?? [])) {
      const upper = seg.map(([x, , hi]) => `${px(sx(x))},${px(sy(hi))}`);
      const lower = seg.map(([x, lo]) => `${px(sx(x))},${px(sy(lo))}`).reverse();
      out.push(
        `<polygon points="${[...upper, ...lower].join(' ')}" fill="${s.color}" fill-opacity="0.18" stroke="none"/>`,
      );
    }
  }
  for (const s of spec.series) {
    const opacity = s.opacity !== undefined && s.opacity < 1 ? ` stroke-opacity="${s.opacity}"` : '';
    if (spec.kind === 'scatter') {
      const fillOpacity = s.opacity !== undefined && s.opacity < 1 ? ` fill-opacity="${s.opacity}"` : '';
      for (const [x, y] of s.points) {
        if (Number.isFinite(x) && Number.isFinite(y))
          out.push(`<circle cx="${px(sx(x))}" cy="${px(sy(y))}" r="2.5" fill="${s.color}"${fillOpacity}/>`);
      }
      continue;
    }
    for (const seg of segments(s.points)) {
      const pts = seg.map(([x, y]) => `${px(sx(x))},${px(sy(y))}`).join(' ');
      if (seg.length === 1)
        out.push(`<circle cx="${px(sx(seg[0][0]))}" cy="${px(sy(seg[0][1]))}" r="2" fill="${s.color}"/>`);
      else
        out.push(
          `<polyline points="${pts}" fill="none" stroke="${s.color}" stroke-width="${s.width ?? 1.6}"${opacity} ` +
            'stroke-linejoin="round"/>',
        );
    }
  }
  const legendX = MARGIN.left + plotWidth + 14;
  legend.forEach((s, i) => {
    const y = MARGIN.top + 6 + i * LEGEND_ROW;
    out.push(`<rect x="${px(legendX)}" y="${y - 5}" width="14" height="10" fill="${s.color}"/>`);
    out.push(`<text x="${px(legendX + 20)}" y="${y}" dominant-baseline="middle">${escapeXml(s.label)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
