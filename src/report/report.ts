// `entrolab report`: writes <dir>/report.html (self-contained: inline SVG and CSS, no scripts,
// opens offline) and <dir>/figures/*.svg, and formats the per-cell summary table as Markdown or
// CSV for stdout.
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../run/atomic-write.ts';
import { readTokenSamples } from '../train/token-samples.ts';
import {
  type CellSummary,
  ENTROPY_KEY,
  type ReportData,
  SUCCESS_KEY,
  SUMMARY_COLUMNS,
  summarizeCells,
} from './data.ts';
import { buildFigures, type Figure, metricKeys } from './figures.ts';
import type { MeanCi } from './stats.ts';
import { escapeXml } from './svg-plot.ts';
import { TOKEN_VIEW_CSS, tokenSection } from './token-view.ts';

/** Three decimals for rates and entropies; steps as whole numbers (one decimal below 10). */
function formatNumber(value: number, integer: boolean): string {
  if (!Number.isFinite(value)) return '—';
  if (integer) return value.toFixed(Math.abs(value) >= 10 ? 0 : 1);
  if (Math.abs(value) >= 100) return value.toFixed(0);
  return value.toFixed(Math.abs(value) >= 10 ? 1 : 3);
}

export function formatMeanCi(ci: MeanCi, integer = false): string {
  if (ci.n === 0) return '—';
  if (!Number.isFinite(ci.halfWidth)) return formatNumber(ci.mean, integer);
  return `${formatNumber(ci.mean, integer)} ± ${formatNumber(ci.halfWidth, integer)}`;
}

export interface Table {
  header: string[];
  rows: string[][];
}

/** The summary table: one row per cell, "mean ± 95% CI half-width" over the cell's runs. */
export function summaryTable(data: ReportData, cells: CellSummary[]): Table {
  // The test-split and SFT columns appear only when some run has them; the training-rollout
  // columns only when some run logs the metric behind them (an SFT warm start logs neither).
  const optional = new Set(['evalGreedy', 'evalSampled', 'finalSftLoss', 'finalSftAccuracy']);
  const keys = metricKeys(data);
  const needs: Partial<Record<string, string>> = {
    finalSuccess: SUCCESS_KEY,
    bestSuccess: SUCCESS_KEY,
    successArea: SUCCESS_KEY,
    stepsToThreshold: SUCCESS_KEY,
    finalEntropy: ENTROPY_KEY,
  };
  const shown = SUMMARY_COLUMNS.filter(
    ([key]) => (!optional.has(key) || cells.some((c) => c.columns[key].n > 0)) && (!needs[key] || keys.has(needs[key])),
  );
  const alarms = cells.some((c) => c.alarmed > 0);
  const header = [
    'cell',
    'runs',
    ...shown.map(([key, label]) => (key === 'stepsToThreshold' ? label.replace('θ', String(data.threshold)) : label)),
    ...(alarms ? ['entropy alarms'] : []),
  ];
  const rows = cells.map((c) => [
    c.cell,
    c.unfinished > 0 ? `${c.runs} (+${c.unfinished} unfinished)` : String(c.runs),
    ...shown.map(([key]) => {
      const text = formatMeanCi(c.columns[key], key === 'stepsToThreshold');
      return key === 'stepsToThreshold' && c.reached < c.runs ? `${text} (${c.reached}/${c.runs} reached)` : text;
    }),
    ...(alarms ? [`${c.alarmed}/${c.runs}`] : []),
  ]);
  return { header, rows };
}

export function tableToMarkdown(table: Table): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const lines = [
    `| ${table.header.map(esc).join(' | ')} |`,
    `| ${table.header.map((_, i) => (i < 2 ? '---' : '---:')).join(' | ')} |`,
    ...table.rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ];
  return `${lines.join('\n')}\n`;
}

export function tableToCsv(table: Table): string {
  const cell = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return `${[table.header, ...table.rows].map((r) => r.map(cell).join(',')).join('\n')}\n`;
}

export const CSS =
  'body{font-family:Helvetica,Arial,sans-serif;margin:24px auto;max-width:1500px;padding:0 16px;color:#222}\n' +
  `h1{font-size:22px}h2{font-size:17px;margin-top:32px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:13px}th,td{border:1px solid #ccc;padding:4px 8px}
td{text-align:right}td:first-child,th:first-child{text-align:left}th{background:#f4f4f4}
figure{margin:0}figure svg{width:100%;height:auto}figcaption{font-size:12px;color:#555}.note{font-size:12px;color:#555}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:16px}`;

export function renderHtml(data: ReportData, table: Table, figures: Figure[], tokens = ''): string {
  const runCount = data.cells.reduce((n, c) => n + c.runs.length, 0);
  const states = new Map<string, number>();
  for (const c of data.cells) for (const r of c.runs) states.set(r.state, (states.get(r.state) ?? 0) + 1);
  const out: string[] = [];
  out.push(
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>entrolab report: ${escapeXml(data.title)}</title>`,
  );
  out.push(`<style>${CSS}\n${TOKEN_VIEW_CSS}</style></head><body>`);
  out.push(`<h1>entrolab report: ${escapeXml(data.title)}</h1>`);
  const stateCounts = [...states].map(([s, n]) => `${n} ${s}`).join(', ');
  out.push(
    `<p class="note">${data.kind === 'sweep' ? `${data.cells.length} cells, ` : ''}` +
      `${runCount} run(s): ${stateCounts}. ` +
      `Directory: <code>${escapeXml(path.resolve(data.dir))}</code>.</p>`,
  );
  out.push('<h2>Summary</h2>');
  out.push(
    '<p class="note">Mean ± half-width of the 95% confidence interval over seeds ' +
      '(Student t, n − 1 degrees of freedom). ' +
      `Final and best success and the area under the success curve use the training-rollout success rate; ` +
      `steps to ≥ ${data.threshold} is the first step whose smoothed success rate (as plotted) reaches it, ` +
      'averaged over the runs that did; ' +
      "test columns come from the final evaluation in summary.json; an SFT warm start's final loss and token " +
      `accuracy are its last logged sft/loss and sft/token_accuracy. Unfinished runs are left out of the table.</p>`,
  );
  out.push('<table><thead><tr>', ...table.header.map((h) => `<th>${escapeXml(h)}</th>`), '</tr></thead><tbody>');
  for (const row of table.rows) out.push(`<tr>${row.map((c) => `<td>${escapeXml(c)}</td>`).join('')}</tr>`);
  out.push('</tbody></table>');
  let section: string | undefined;
  for (const f of figures) {
    if (f.section !== section) {
      if (section !== undefined) out.push('</div>');
      section = f.section;
      out.push(`<h2>${escapeXml(section)}</h2>`, '<div class="grid">');
    }
    out.push(
      `<figure>${f.svg.trimEnd()}<figcaption>${escapeXml(f.title)} — ` +
        `figures/${escapeXml(f.name)}.svg</figcaption></figure>`,
    );
  }
  if (section !== undefined) out.push('</div>');
  if (tokens) out.push(tokens);
  out.push('</body></html>', '');
  return out.join('\n');
}

export interface ReportOutput {
  html: string;
  figures: string[];
  table: Table;
}

/** Write report.html and figures/*.svg into `data.dir`; returns the paths and the table. */
export function writeReport(data: ReportData, options: { includeUnfinished?: boolean } = {}): ReportOutput {
  const cells = summarizeCells(data, options.includeUnfinished);
  const table = summaryTable(data, cells);
  const figures = buildFigures(data);
  const figureDir = path.join(data.dir, 'figures');
  fs.mkdirSync(figureDir, { recursive: true });
  const written = figures.map((f) => {
    const file = path.join(figureDir, `${f.name}.svg`);
    writeFileAtomic(file, f.svg);
    return file;
  });
  const html = path.join(data.dir, 'report.html');
  // the first run of the first four cells: a few prompts at a few steps each
  const sampled = data.cells
    .slice(0, 4)
    .flatMap(({ cell, runs }) =>
      runs
        .slice(0, 1)
        .map((r) => ({ label: data.kind === 'sweep' ? `${cell}: ${r.id}` : r.id, samples: readTokenSamples(r.dir) })),
    );
  writeFileAtomic(html, renderHtml(data, table, figures, tokenSection(sampled)));
  return { html, figures: written, table };
}
