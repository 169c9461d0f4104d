// verdicts.json and the index page of a repro output directory. Claims run earlier into the same
// directory with the same seeds and mode stay in the index, replaced by this invocation's
// outcomes where it re-ran them; with `figures`, each claim's headline figure is also written
// to <figures>/<claim>.svg (what docs/repro/ holds).
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../run/atomic-write.ts';
import { renderIndex, type VerdictRow } from './page.ts';
import { CLAIMS } from './registry.ts';
import type { ClaimOutcome } from './run-claims.ts';
import type { SeedPlan } from './seed-plan.ts';
import { describeTest, type Verdict } from './verdict.ts';
import { renderVerdictsMarkdown } from './verdicts-markdown.ts';

export const VERDICTS_FILE = 'verdicts.json';
export const VERDICTS_MARKDOWN = 'verdicts.md';

export interface SavedClaim {
  claim: string;
  title: string;
  verdict: Verdict;
  statistics: string[];
  /** The verdict seeds and how their number was chosen. */
  seeds: number[];
  plan: SeedPlan;
  wall_s: number;
  page: string;
  failed_runs: string[];
  tests: unknown[];
}

export interface VerdictsMeta {
  /** The invocation's fixed seeds; [] when each claim planned its own. */
  seeds: number[];
  quick: boolean;
}

/** verdicts.json of an earlier invocation, if it used the same seeds and mode. */
export function readVerdicts(out: string, meta: VerdictsMeta): SavedClaim[] {
  try {
    const saved = JSON.parse(fs.readFileSync(path.join(out, VERDICTS_FILE), 'utf8')) as VerdictsMeta & {
      claims: SavedClaim[];
    };
    const same = saved.quick === meta.quick && JSON.stringify(saved.seeds) === JSON.stringify(meta.seeds);
    return same && saved.claims.every((c) => Array.isArray(c.statistics)) ? saved.claims : [];
  } catch {
    return [];
  }
}

/** Earlier claims replaced by this run's, in the registry's order. */
export function mergeVerdicts(earlier: SavedClaim[], fresh: SavedClaim[]): SavedClaim[] {
  const byId = new Map([...earlier, ...fresh].map((c) => [c.claim, c]));
  return CLAIMS.map((c) => byId.get(c.id)).filter((c): c is SavedClaim => c !== undefined);
}

/** What verdicts.json records of one claim's outcome (`page` relative to `out`). */
export function savedClaim(o: ClaimOutcome, out: string): SavedClaim {
  return {
    claim: o.claim.id,
    title: o.claim.title,
    verdict: o.verdict,
    statistics: o.result.tests.map(describeTest),
    seeds: o.seeds,
    plan: o.plan,
    wall_s: Math.round(o.wallSeconds * 10) / 10,
    page: path.relative(out, o.page),
    failed_runs: o.failedRuns,
    tests: o.result.tests.map((t) => ({
      statistic: t.statistic,
      seeds: t.seeds,
      values: t.values,
      mean: t.ci.mean,
      half_width: t.ci.halfWidth,
      alpha: t.alpha,
      tost_ci: t.tostCi,
      rule: t.rule,
      outcome: t.outcome,
      seeds_needed: t.seedsNeeded,
    })),
  };
}

/**
 * Write index.html, verdicts.json and verdicts.md for `outcomes` merged with the directory's earlier
 * claims (with `figures`, also each claim's headline figure and verdicts.md there); returns the
 * index's rows, in the registry's order.
 */
export function saveVerdicts(
  out: string,
  outcomes: readonly ClaimOutcome[],
  meta: VerdictsMeta,
  figures?: string,
): VerdictRow[] {
  const saved = mergeVerdicts(
    readVerdicts(out, meta),
    outcomes.map((o) => savedClaim(o, out)),
  );
  const rows: VerdictRow[] = saved.map((c) => ({
    claim: c.claim,
    title: c.title,
    verdict: c.verdict,
    statistics: c.statistics,
  }));
  writeFileAtomic(path.join(out, 'index.html'), renderIndex(rows, meta));
  writeJsonAtomic(path.join(out, VERDICTS_FILE), { seeds: meta.seeds, quick: meta.quick, claims: saved });
  const markdown = renderVerdictsMarkdown(saved, meta);
  writeFileAtomic(path.join(out, VERDICTS_MARKDOWN), markdown);
  if (figures) {
    writeFileAtomic(path.join(figures, VERDICTS_MARKDOWN), markdown);
    for (const o of outcomes) {
      const headline = o.result.figures[0];
      if (headline) writeFileAtomic(path.join(figures, `${o.claim.id}.svg`), headline.svg);
    }
  }
  return rows;
}
