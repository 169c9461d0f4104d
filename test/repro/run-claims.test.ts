// The seed plan end to end on tiny real runs: tuning seeds first, then the planned verdict seeds,
// a second look only while a test is undecided, and the cap reached only when the spread needs it.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Claim, ClaimData } from '../../src/repro/claim.ts';
import { cellRuns, values } from '../../src/repro/claim.ts';
import { runClaims } from '../../src/repro/run-claims.ts';
import { DEFAULT_DESIGN } from '../../src/repro/seed-plan.ts';
import { runTest } from '../../src/repro/verdict.ts';
import { tempDir } from '../helpers.ts';

const BASE = `name: tiny
seed: 0
steps: 3
env: {name: gridworld, preset: four_rooms, test_prompts: 10}
policy: {kind: mlp, hidden: [8]}
rollout: {prompts_per_step: 2, group_size: 2}
eval: {episodes: 4, k: 2}
`;
const SWEEP = `name: tiny-sweep
base: tiny.yaml
axes:
  - name: method
    options:
      grpo: {regularizers: []}
`;

/** A claim whose one test reads the runs (their step counts) through `value`; `seen` logs the seeds of each analysis. */
function fakeClaim(
  id: string,
  value: (seed: number, steps: number) => number,
  delta: number,
  seen: number[][] = [],
): Claim {
  return {
    id,
    title: id,
    paper: 'none',
    statement: 'none',
    environment: 'a tiny gridworld',
    sweeps: ['tiny-sweep'],
    tuning: 'none',
    analyze: (data: ClaimData) => {
      const runs = cellRuns(data, 'tiny-sweep', 'method-grpo');
      const seeds = [...runs.keys()].sort((a, b) => a - b);
      seen.push(seeds);
      const xs = seeds.map((s) => value(s, values(runs.get(s)!, 'success_rate').length));
      return {
        tests: [runTest('value', seeds, xs, { kind: 'above', value: 0, delta })],
        tables: [],
        figures: [],
        notes: [],
      };
    },
  };
}

describe('runClaims with a seed plan', () => {
  it('runs the tuning seeds, then as many verdict seeds as the plan needs, up to the cap', async () => {
    const configDir = tempDir('repro-configs-');
    fs.writeFileSync(path.join(configDir, 'tiny.yaml'), BASE);
    fs.writeFileSync(path.join(configDir, 'tiny-sweep.yaml'), SWEEP);
    const out = tempDir('repro-plan-');
    const design = { ...DEFAULT_DESIGN, tuningSeeds: [100, 101], minSeeds: 2, maxSeeds: 3 };
    // every run has 3 steps: no spread, decided at the minimum; ±1 by seed parity with a tiny δ: the cap
    const steady = fakeClaim('steady', (_, steps) => steps, 1);
    const seenByNoisy: number[][] = [];
    const noisy = fakeClaim('noisy', (seed) => (seed % 2 === 0 ? 1 : -1), 1e-3, seenByNoisy);
    const outcomes = await runClaims([steady, noisy], {
      quick: false,
      out,
      workers: 2,
      design,
      configDir,
      firstSeed: 0,
      log: () => {},
    });
    const [a, b] = outcomes;
    expect(a.plan).toMatchObject({ kind: 'planned', tuningSeeds: [100, 101], looks: [2, 3], alpha: 0.025 });
    expect(a.seeds).toEqual([0, 1]);
    expect(a.verdict).toBe('reproduced');
    expect(b.plan.looks).toEqual([3]);
    expect(b.plan.alpha).toBe(0.05);
    expect(b.seeds).toEqual([0, 1, 2]);
    // the second claim shares the sweep: it plans from the tuning seeds' runs, not from the seeds
    // the first claim's verdict left in sweep.json
    expect(seenByNoisy).toEqual([
      [100, 101],
      [0, 1, 2],
    ]);
    expect(b.verdict).toBe('inconclusive (CI overlaps)');
    const runs = fs.readdirSync(path.join(out, 'sweeps', 'tiny-sweep')).filter((d) => d.startsWith('method-'));
    expect(runs.sort()).toEqual(['100', '101', '0', '1', '2'].map((s) => `method-grpo__seed-${s}`).sort());
    const page = fs.readFileSync(b.page, 'utf8');
    expect(page).toContain('Seed plan: tuning seeds 100, 101 ran first');
    expect(page).toContain('Undecided at the cap of 3 seeds');
  }, 300_000);
});
