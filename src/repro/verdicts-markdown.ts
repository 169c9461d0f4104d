// verdicts.md of a repro output directory: every claim's verdict, its seeds and seed plan, and the
// statistic each test was decided on, as Markdown (what docs/repro/verdicts.md holds). No timings
// and no paths, so the same seeds give the same file.
import type { SeedPlan } from './seed-plan.ts';

/** What the Markdown reads of a claim's saved outcome (verdicts.json's entries). */
export interface VerdictRecord {
  claim: string;
  title: string;
  verdict: string;
  statistics: string[];
  seeds: number[];
  plan: SeedPlan;
  failed_runs: string[];
}

function planLine(c: VerdictRecord): string {
  const { plan } = c;
  if (plan.kind === 'fixed') return `${c.seeds.length} fixed seeds, one look at α = ${plan.alpha}`;
  const looks = plan.looks.join(' then ');
  return (
    `${c.seeds.length} verdict seeds, planned from tuning seeds ${plan.tuningSeeds.join(', ')}: ` +
    `${looks} (cap ${plan.maxSeeds}), α = ${plan.alpha} per look, power ${plan.power}`
  );
}

/** The Markdown of the claims, in the order given. */
export function renderVerdictsMarkdown(claims: readonly VerdictRecord[], meta: { quick: boolean }): string {
  const lines = [
    `# entrolab repro: verdicts${meta.quick ? ' (--quick: a smoke test, not the claims’ verdicts)' : ''}`,
    '',
    '| claim | verdict | seeds |',
    '|---|---|---|',
    ...claims.map((c) => `| \`${c.claim}\`: ${c.title} | ${c.verdict} | ${c.seeds.length} |`),
  ];
  for (const c of claims) {
    lines.push('', `## ${c.claim}: ${c.title}`, '', `**${c.verdict}** — ${planLine(c)}.`, '');
    for (const s of c.statistics) lines.push(`- ${s}`);
    if (c.failed_runs.length > 0) lines.push('', `Failed or interrupted runs: ${c.failed_runs.join(', ')}.`);
  }
  return `${lines.join('\n')}\n`;
}
