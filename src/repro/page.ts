// A claim's page: <out>/<claim>/index.html (self-contained like the report: inline SVG and CSS)
// and <out>/<claim>/figures/*.svg; plus the index of all verdicts. Pages hold no timings and no
// absolute paths, so the same seeds give byte-identical pages.
import fs from 'node:fs';
import path from 'node:path';
import { CSS, type Table } from '../report/report.ts';
import { escapeXml } from '../report/svg-plot.ts';
import { writeFileAtomic } from '../run/atomic-write.ts';
import type { Claim, ClaimResult } from './claim.ts';
import type { SeedPlan } from './seed-plan.ts';
import { describeTest, fmt, seedsText, type Verdict } from './verdict.ts';

export interface PageMeta {
  /** The verdict seeds; on the index, the fixed seeds of the invocation ([] when each claim planned its own). */
  seeds: number[];
  quick: boolean;
  /** How the claim's seed count was chosen (claim pages). */
  plan?: SeedPlan;
}

const e = escapeXml;

export function tableHtml(table: Table): string {
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
  const which =
    meta.seeds.length === 0
      ? 'Verdict seeds per claim from a power calculation on the spread of its tuning seeds (see each page).'
      : `Verdict decided on seeds ${seedText(meta.seeds)} (${meta.seeds.length} seeds).`;
  return (
    `${which} Settings were picked on seeds ` +
    `100 and above, never on the seeds that decide the verdict` +
    (decided ? '.' : ' — these ARE tuning seeds (≥ 100): this page is an exploration, not a verdict.') +
    (meta.quick ? ' Quick mode: short runs (fewer steps, smaller evaluation); the full runs decide the claim.' : '')
  );
}

const RULES_TEXT =
  "Each test is one number per seed and states δ, its smallest effect of interest, in the claim's code before " +
  'any verdict seed runs; the line gives its mean ± the half-width of the two-sided (1 − α) confidence interval ' +
  'over seeds (Student t, n − 1 degrees of freedom). A test passes when the whole interval lies on the claimed ' +
  'side of its line, fails when it lies wholly on the other side; otherwise it is equivalent when two one-sided ' +
  'tests at α (TOST: the (1 − 2α) interval) put the mean within ±δ of the line — no effect larger than δ — and ' +
  'undecided when none of these holds. A "within" claim passes by TOST inside its band. ' +
  'The claim is reproduced when every test passes, not reproduced when any fails, not reproduced: equivalent ' +
  'within ±δ when none fails and one is equivalent, and inconclusive otherwise.';

const count = (n: number) => (Number.isFinite(n) ? String(n) : '> 100000');

/** How the seeds were chosen, and for an undecided test how many would decide it. */
export function planParagraphs(plan: SeedPlan, result: ClaimResult, seeds: readonly number[]): string[] {
  const power = `power ${fmt(plan.power)}`;
  const needs = plan.tests
    .map((t) => `${t.statistic}: s = ${fmt(t.std)} over ${t.n}, δ = ${fmt(t.delta)} → ${count(t.needed)}`)
    .join('; ');
  const out: string[] = [];
  if (plan.kind === 'planned') {
    const looks =
      plan.looks.length > 1
        ? `${plan.looks[0]} verdict seeds, then the cap of ${plan.looks[1]} if a test was still undecided ` +
          `(two looks, each at α = ${fmt(plan.alpha)}: at most ${fmt(2 * plan.alpha)} error per test over both)`
        : `the cap of ${plan.looks[0]} verdict seeds in one look at α = ${fmt(plan.alpha)}`;
    out.push(
      `Seed plan: tuning seeds ${seedText(plan.tuningSeeds)} ran first; from their spread s, a t-based power ` +
        `calculation (${power}) gives the seeds that decide each test whether its effect is δ or 0 — ${needs}. ` +
        `The claim ran ${looks}; this page is decided on ${seeds.length} seeds.`,
    );
  } else {
    out.push(
      `Fixed seeds (--seeds or --quick): no power plan, one look at α = ${fmt(plan.alpha)}. At this spread ` +
        `(${power}) each test would need: ${needs}.`,
    );
  }
  const open = result.tests.filter((t) => t.outcome === 'undecided');
  if (open.length > 0) {
    const at = seeds.length >= plan.maxSeeds ? `at the cap of ${plan.maxSeeds} seeds` : `with ${seeds.length} seeds`;
    out.push(
      `Undecided ${at}: ${open.map((t) => `${t.statistic} (${seedsText(t.seedsNeeded)} at this spread)`).join('; ')}.`,
    );
  }
  return out;
}

const VERDICT_CSS =
  '.verdict{font-size:17px;font-weight:bold}.pass{color:#2a7a2a}.fail{color:#b22}.equivalent{color:#b22}.undecided{color:#a66b00}';

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
  out.push(`<p class="note">${e(RULES_TEXT)}</p>`);
  out.push(`<p class="note">${e(seedPolicy(meta))}</p>`);
  if (meta.plan) out.push(...planParagraphs(meta.plan, result, meta.seeds).map((p) => `<p class="note">${e(p)}</p>`));
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
    '<table><thead><tr><th>claim</th><th>verdict</th><th>decided on (mean ± CI over ' +
      'seeds)</th></tr></thead><tbody>',
    body,
    '</tbody></table>',
    '</body></html>',
    '',
  ].join('\n');
}
