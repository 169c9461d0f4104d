// verdicts.json across invocations: a later run of one claim replaces that claim and keeps the
// others (in the registry's order), only when seeds and mode match; the figure goes to --figures.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLAIMS } from '../../src/repro/registry.ts';
import type { ClaimOutcome } from '../../src/repro/run-claims.ts';
import { readVerdicts, saveVerdicts, VERDICTS_FILE, VERDICTS_MARKDOWN } from '../../src/repro/saved-verdicts.ts';
import { fixedPlan } from '../../src/repro/seed-plan.ts';
import { runTest } from '../../src/repro/verdict.ts';
import { tempDir } from '../helpers.ts';

function outcome(out: string, index: number, values: number[]): ClaimOutcome {
  const claim = CLAIMS[index];
  const seeds = values.map((_, i) => i);
  const test = runTest('a statistic', seeds, values, { kind: 'above', value: 0, delta: 0.5 });
  return {
    claim,
    result: { tests: [test], tables: [], figures: [{ name: 'f', svg: `<svg>${claim.id}</svg>` }] as never, notes: [] },
    verdict: 'reproduced',
    page: path.join(out, claim.id, 'index.html'),
    seeds,
    plan: fixedPlan([test], seeds.length),
    wallSeconds: 12.34,
    failedRuns: [],
  };
}

describe('saveVerdicts', () => {
  it('merges with the earlier claims of the same seeds, in registry order, and writes the figure', () => {
    const out = tempDir('verdicts-');
    const figures = path.join(out, 'figs');
    const meta = { seeds: [0, 1, 2], quick: true };
    saveVerdicts(out, [outcome(out, 2, [1, 2, 3])], meta);
    const rows = saveVerdicts(out, [outcome(out, 0, [4, 5, 6]), outcome(out, 2, [2, 2, 2])], meta, figures);
    expect(rows.map((r) => r.claim)).toEqual([CLAIMS[0].id, CLAIMS[2].id]);
    const saved = readVerdicts(out, meta);
    expect(saved.map((c) => c.claim)).toEqual([CLAIMS[0].id, CLAIMS[2].id]);
    // the second invocation's numbers replaced the first's: mean 2, half-width 0
    expect(saved[1].tests).toEqual([
      expect.objectContaining({ values: [2, 2, 2], mean: 2, half_width: 0, outcome: 'pass' }),
    ]);
    expect(saved[0]).toMatchObject({ wall_s: 12.3, page: path.join(CLAIMS[0].id, 'index.html') });
    expect(fs.readFileSync(path.join(figures, `${CLAIMS[2].id}.svg`), 'utf8')).toBe(`<svg>${CLAIMS[2].id}</svg>`);
    expect(fs.readFileSync(path.join(out, 'index.html'), 'utf8')).toContain(`${CLAIMS[2].id}/index.html`);
    // verdicts.md: both claims, each test's statistic as the page states it, the same file in --figures
    const markdown = fs.readFileSync(path.join(out, VERDICTS_MARKDOWN), 'utf8');
    expect(markdown).toBe(fs.readFileSync(path.join(figures, VERDICTS_MARKDOWN), 'utf8'));
    expect(markdown).toContain(`| \`${CLAIMS[0].id}\`: ${CLAIMS[0].title} | reproduced | 3 |`);
    expect(markdown).toContain(
      `## ${CLAIMS[2].id}: ${CLAIMS[2].title}\n\n**reproduced** — 3 fixed seeds, one look at α = 0.05.`,
    );
    expect(markdown).toContain(`- ${saved[1].statistics[0]}`);
    expect(saved[1].statistics[0]).toMatch(/^a statistic: 2 ± 0 /);
    expect(markdown).not.toMatch(/12\.3|\/tmp/);
    // other seeds or mode: the earlier file does not count
    expect(readVerdicts(out, { seeds: [0, 1], quick: true })).toEqual([]);
    expect(readVerdicts(out, { seeds: [0, 1, 2], quick: false })).toEqual([]);
    saveVerdicts(out, [outcome(out, 1, [1, 1, 1])], { seeds: [0, 1], quick: true });
    const file = JSON.parse(fs.readFileSync(path.join(out, VERDICTS_FILE), 'utf8')) as { claims: { claim: string }[] };
    expect(file.claims.map((c) => c.claim)).toEqual([CLAIMS[1].id]);
  });
});
