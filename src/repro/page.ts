// A claim's page: <out>/<claim>/index.html (self-contained like the report: inline SVG and CSS)
// and <out>/<claim>/figures/*.svg; plus the index of all verdicts. Pages hold no timings and no
// absolute paths, so the same seeds give byte-identical pages.
import fs from 'node:fs';
import path from 'node:path';
import { CSS, type Table } from '../report/report.ts';
import { escapeXml } from '../report/svg-plot.ts';
import { writeFileAtomic } from '../run/atomic-write.ts';
import type { Claim, ClaimResult } from './claim.ts';
import { describeTest, type Verdict } from './verdict.ts';

export interface PageMeta {
  seeds: number[];
  quick: boolean;
}

const e = escapeXml;

function tableHtml(table: Table): string {
  const head = `<tr>${table.header.map((h) => `<th>${e(h)}</th>`).join('')}</tr>`;
  const body = table.rows.map((r) => `<tr>${r.map((c) => `<td>${e(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead>${head}</thead><tbody>\n${body}\n</tbody></table>`;
}

export function seedText(seeds: readonly number[]): string {
  const contiguous = seeds.every((s, i) => i === 0 || s === seeds[i - 1] + 1);
  return contiguous && seeds.length > 2 ? `${seeds[0]}..${seeds[seeds.length - 1]}` : seeds.join(', ');
}

function seedPolicy(meta: PageMeta): string {
  const decided = meta.seeds.every((s) => s < 100);
  return (
    `Verdict decided on seeds ${seedText(meta.seeds)} (${meta.seeds.length} seeds). Settings were picked on seeds ` +
    `100 and above, never on the seeds that decide the verdict` +
    (decided ? '.' : ' — these ARE tuning seeds (≥ 100): this page is an exploration, not a verdict.') +
    (meta.quick ? ' Quick mode: short runs (fewer steps, smaller evaluation); the full runs decide the claim.' : '')
  );
}

const VERDICT_CSS =
  '.verdict{font-size:17px;font-weight:bold}.pass{color:#2a7a2a}.fail{color:#b22}.undecided{color:#a66b00}';

export function renderClaimPage(claim: Claim, result: ClaimResult, verdict: Verdict, meta: PageMeta): string {
  const out: string[] = [];
  out.push(
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>entrolab repro: ${e(claim.title)}</title>`,
  );
  out.push(`<style>${CSS}\n${VERDICT_CSS}</style></head><body>`);
  out.push(`<h1>${e(claim.title)}</h1>`);
  out.push(`<p class="verdict">Verdict: ${e(verdict)}</p>`);
  out.push(`<ul>${result.tests.map((t) => `<li class="${t.outcome}">${e(describeTest(t))}</li>`).join('')}</ul>`);
  out.push(
    '<p class="note">Each test is one number per seed; the line gives its mean ± the half-width of the 95% ' +
      'confidence interval over seeds (Student t, n − 1 degrees of freedom). ' +
      'A test passes when the whole interval lies on the claimed side, fails when it lies wholly on the other side, ' +
      'and is undecided otherwise. ' +
      'The claim is reproduced when every test passes, not reproduced when any fails, and inconclusive otherwise.</p>',
  );
  out.push(`<p class="note">${e(seedPolicy(meta))}</p>`);
  out.push('<h2>Claim</h2>', `<p>${e(claim.statement)}</p>`, `<p class="note">Source: ${e(claim.paper)}.</p>`);
  out.push(
    '<h2>Environment and settings</h2>',
    `<p>${e(claim.environment)}</p>`,
    `<p class="note">${e(claim.tuning)} Sweeps: ${claim.sweeps.map((s) => `configs/repro/${e(s)}.yaml`).join(', ')}.` +
      '</p>',
  );
  out.push('<h2>Results</h2>');
  for (const note of result.notes) out.push(`<p>${e(note)}</p>`);
  for (const { caption, table } of result.tables) out.push(`<p class="note">${e(caption)}</p>`, tableHtml(table));
  out.push('<h2>Per-seed values behind the tests</h2>');
  out.push(
    tableHtml({
      header: ['test', ...(result.tests[0]?.seeds ?? []).map((s) => `seed ${s}`)],
      rows: result.tests.map((t) => [
        t.statistic,
        ...t.values.map((v) => (Number.isFinite(v) ? String(Number(v.toPrecision(4))) : '—')),
      ]),
    }),
  );
  out.push('<h2>Figures</h2>', '<div class="grid">');
  for (const f of result.figures)
    out.push(`<figure>${f.svg.trimEnd()}<figcaption>${e(f.title)} — figures/${e(f.name)}.svg</figcaption></figure>`);
  out.push('</div>', '</body></html>', '');
  return out.join('\n');
}

/** Writes <out>/<claim>/index.html and its figures; returns the page's path. */
export function writeClaimPage(
  out: string,
  claim: Claim,
  result: ClaimResult,
  verdict: Verdict,
  meta: PageMeta,
): string {
  const dir = path.join(out, claim.id);
  fs.mkdirSync(path.join(dir, 'figures'), { recursive: true });
  for (const f of result.figures) writeFileAtomic(path.join(dir, 'figures', `${f.name}.svg`), f.svg);
  const page = path.join(dir, 'index.html');
  writeFileAtomic(page, renderClaimPage(claim, result, verdict, meta));
  return page;
}

export interface VerdictRow {
  claim: string;
  title: string;
  verdict: Verdict;
  /** The deciding statistics, one per test. */
  statistics: string[];
}

export function verdictTable(rows: readonly VerdictRow[]): Table {
  return {
    header: ['claim', 'verdict', 'decided on'],
    rows: rows.map((r) => [`${r.claim}: ${r.title}`, r.verdict, r.statistics.join('; ')]),
  };
}

export function renderIndex(rows: readonly VerdictRow[], meta: PageMeta): string {
  const body = rows
    .map(
      (r) =>
        `<tr><td><a href="${e(r.claim)}/index.html">${e(r.claim)}</a>: ${e(r.title)}</td><td ` +
        `class="verdict-cell">${e(r.verdict)}</td><td>${r.statistics.map(e).join('<br>')}</td></tr>`,
    )
    .join('\n');
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8"><title>entrolab repro</title>',
    `<style>${CSS}\ntd{text-align:left;vertical-align:top}</style></head><body>`,
    '<h1>What entrolab reproduces</h1>',
    `<p class="note">${e(seedPolicy(meta))}</p>`,
    '<table><thead><tr><th>claim</th><th>verdict</th><th>decided on (mean ± 95% CI over ' +
      'seeds)</th></tr></thead><tbody>',
    body,
    '</tbody></table>',
    '</body></html>',
    '',
  ].join('\n');
}
