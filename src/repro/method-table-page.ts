// The method table's outputs: <out>/methods/index.html (self-contained like the claim pages),
// table.md (the tables as markdown, what the README shows) and table.json (every per-seed number
// behind them). No timings and no absolute paths, so the same runs give the same files.
import path from 'node:path';
import { CSS, formatMeanCi, type Table, tableToMarkdown } from '../report/report.ts';
import { escapeXml } from '../report/svg-plot.ts';
import { writeFileAtomic, writeJsonAtomic } from '../run/atomic-write.ts';
import { ENTROPY_TAIL, METHOD_TABLE_ID, METRICS, type MetricCell, markCount, type TaskTable } from './method-table.ts';
import { type PageMeta, seedText, tableHtml } from './page.ts';

const e = escapeXml;

/** "0.168 ± 0.113 ▲": mean ± 95% CI half-width, marked when the paired difference against GRPO is decisive. */
export function cellText(cell: MetricCell): string {
  if (cell.values.length === 0) return '—';
  const mark = cell.decisive > 0 ? ' ▲' : cell.decisive < 0 ? ' ▼' : '';
  return `${formatMeanCi(cell.ci)}${mark}`;
}

/** One task's table: a row per method (numbers, or why there are none), GRPO first. */
export function mainTable(table: TaskTable): Table {
  const rows = table.rows.map((r) => [
    r.label,
    r.kind,
    r.seeds.length === 0 ? 'not run' : String(r.seeds.length),
    ...METRICS.map((m) => cellText(r.metrics[m.key])),
  ]);
  const blank = METRICS.map(() => '');
  for (const na of table.notApplicable) rows.push([na.name, na.kind, `n/a: ${na.reason}`, ...blank]);
  for (const name of table.missing) rows.push([name, 'new', 'no row yet in the sweep file', ...blank]);
  return { header: ['method', 'kind', 'seeds', ...METRICS.map((m) => m.label)], rows };
}

/** The paired differences against GRPO behind the marks. */
export function diffTable(table: TaskTable): Table {
  const rows = table.rows
    .filter((r) => r.metrics.pass1.diff && r.metrics.pass1.diff.seeds.length > 0)
    .map((r) => [
      r.label,
      String(r.metrics.pass1.diff!.seeds.length),
      ...METRICS.map((m) => {
        const d = r.metrics[m.key].diff!;
        return `${formatMeanCi(d.ci)}${r.metrics[m.key].decisive !== 0 ? ' (decisive)' : ''}`;
      }),
    ]);
  return { header: ['method', 'paired seeds', ...METRICS.map((m) => `Δ ${m.label}`)], rows };
}

function settingsTable(table: TaskTable): Table {
  return {
    header: ['method', 'settings (over the sweep file’s base)'],
    rows: table.rows.map((r) => [r.label, r.settings]),
  };
}

const HOW =
  'pass@k: the final evaluation on held-out prompts, the unbiased estimator of Chen et al. 2021 (arXiv ' +
  '2107.03374) from 64 samples per prompt (summary.json). Final entropy: the mean token entropy of the rollouts ' +
  `(actor/entropy) over the last ${ENTROPY_TAIL * 100}% of steps. Each cell: mean ± half-width of the 95% CI over ` +
  'seeds (Student t). ▲ / ▼: the method minus GRPO on the same seed (the same warm start, the same prompts) has ' +
  'a 95% CI wholly above / below 0 — a decisive difference; no mark: the CI includes 0 (or fewer than 2 paired seeds).';

/** "7 of 160 paired comparisons are marked; with no real difference about 8 would be, by chance." */
export function marksNote(table: TaskTable): string {
  const { marked, compared, byChance } = markCount(table);
  if (compared === 0) return 'No paired comparisons yet (fewer than 2 seeds shared with GRPO).';
  return (
    `${marked} of ${compared} paired comparisons are marked; if no method differed from GRPO, about ` +
    `${byChance.toFixed(1)} would be marked by chance (each CI is at 95%, not corrected for the table's many ` +
    'comparisons), so read a lone mark with care.'
  );
}

function seedNote(meta: PageMeta): string {
  return (
    `Seeds ${seedText(meta.seeds)} (${meta.seeds.length} per row); every row of a task starts from that task's one ` +
    'SFT warm start.' +
    (meta.quick ? ' Quick mode: a few steps on a few prompts — a check that every row runs, not a comparison.' : '')
  );
}

/** The markdown of every task's table (what the README holds). */
export function renderMarkdown(tables: readonly TaskTable[], meta: PageMeta): string {
  const out = [`${seedNote(meta)} ${HOW}`, ''];
  for (const t of tables)
    out.push(
      `**${t.task.title}** (configs/repro/${t.task.sweep}.yaml)`,
      '',
      tableToMarkdown(mainTable(t)),
      '',
      marksNote(t),
      '',
    );
  return out.join('\n');
}

export function renderMethodTablePage(tables: readonly TaskTable[], meta: PageMeta): string {
  const out = [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<title>entrolab repro: the method table</title>',
    `<style>${CSS}\ntd{text-align:left}</style></head><body>`,
    '<h1>The method table: every method against GRPO on the flagship text tasks</h1>',
    `<p class="note">${e(seedNote(meta))}</p>`,
    `<p class="note">${e(HOW)}</p>`,
  ];
  for (const t of tables) {
    out.push(`<h2>${e(t.task.title)}</h2>`);
    out.push(
      `<p class="note">Warm start: configs/${e(t.task.sft)}, trained once. Rows: configs/repro/${e(t.task.sweep)}.yaml ` +
        '(one line each); n/a reasons: src/repro/method-table.ts.</p>',
    );
    out.push(tableHtml(mainTable(t)));
    out.push(`<p class="note">${e(marksNote(t))}</p>`);
    out.push('<h3>Paired differences against GRPO (method − GRPO, same seed)</h3>', tableHtml(diffTable(t)));
    out.push('<h3>Settings</h3>', tableHtml(settingsTable(t)));
  }
  out.push('</body></html>', '');
  return out.join('\n');
}

/** Writes <out>/methods/{index.html, table.md, table.json}; returns the page's path. */
export function writeMethodTablePage(out: string, tables: readonly TaskTable[], meta: PageMeta): string {
  const dir = path.join(out, METHOD_TABLE_ID);
  writeFileAtomic(path.join(dir, 'table.md'), renderMarkdown(tables, meta));
  writeJsonAtomic(path.join(dir, 'table.json'), { seeds: meta.seeds, quick: meta.quick, tasks: tables });
  const page = path.join(dir, 'index.html');
  writeFileAtomic(page, renderMethodTablePage(tables, meta));
  return page;
}
