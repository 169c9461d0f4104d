// How many verdict seeds a claim runs. Its tests' δ are fixed in code; the tuning seeds (100 and
// above, the seeds its settings were picked on) run first, and their spread gives, per test, the
// seeds that decide it with the stated power (src/repro/power.ts). The claim then runs the largest
// of these (at least `minSeeds`, at most `maxSeeds`) — look 1 — and, if a test is still undecided,
// the cap — look 2. Two looks at the same data inflate the error rate, so each look is decided at
// α/2 (Bonferroni: at most α per test over both looks); a plan that needs the cap anyway has one
// look at α. `inconclusive` is left only at the cap, where the page says how many seeds would do.
import { type PowerSpec, seedsToDecide } from './power.ts';
import { DEFAULT_POWER, type TestResult } from './verdict.ts';

export interface SeedDesign extends PowerSpec {
  /** The cap: no claim runs more verdict seeds. */
  maxSeeds: number;
  minSeeds: number;
  /** Seeds the power calculation reads the spread from (never verdict seeds). */
  tuningSeeds: number[];
}

export const DEFAULT_DESIGN: SeedDesign = { ...DEFAULT_POWER, maxSeeds: 20, minSeeds: 3, tuningSeeds: [100, 101, 102] };

export interface PlannedTest {
  statistic: string;
  /** Spread of the per-seed values the plan read (tuning seeds, or the fixed seeds). */
  std: number;
  n: number;
  delta: number;
  /** Seeds that decide the test at that spread, at the plan's α per look. */
  needed: number;
}

export interface SeedPlan {
  /** planned: from the tuning seeds' spread; fixed: --seeds / --quick gave the seeds. */
  kind: 'planned' | 'fixed';
  tuningSeeds: number[];
  tests: PlannedTest[];
  /** Verdict seed counts at each look, e.g. [8, 20]; one entry for a fixed or capped plan. */
  looks: number[];
  /** The level each look is decided at. */
  alpha: number;
  power: number;
  maxSeeds: number;
}

const plannedTests = (tests: readonly TestResult[], spec: PowerSpec): PlannedTest[] =>
  tests.map((t) => ({
    statistic: t.statistic,
    std: t.ci.std,
    n: t.ci.n,
    delta: t.rule.delta,
    needed: seedsToDecide(t.ci.std, t.rule.delta, spec),
  }));

/** The largest need; a test whose spread is unknown (fewer than 2 tuning values) needs the cap. */
function largestNeed(tests: readonly PlannedTest[], cap: number): number {
  return Math.max(0, ...tests.map((t) => (Number.isNaN(t.needed) ? cap : t.needed)));
}

/** The plan from the tuning seeds' tests. */
export function planSeeds(tuning: readonly TestResult[], design: SeedDesign = DEFAULT_DESIGN): SeedPlan {
  const common = { kind: 'planned' as const, tuningSeeds: design.tuningSeeds, power: design.power };
  const cap = design.maxSeeds;
  const twoLooks = plannedTests(tuning, { alpha: design.alpha / 2, power: design.power });
  const need = Math.max(design.minSeeds, largestNeed(twoLooks, cap));
  if (need < cap) return { ...common, tests: twoLooks, looks: [need, cap], alpha: design.alpha / 2, maxSeeds: cap };
  const oneLook = plannedTests(tuning, design);
  return { ...common, tests: oneLook, looks: [cap], alpha: design.alpha, maxSeeds: cap };
}

/** A fixed seed list (--seeds, --quick): one look at α; the tests still say what they would need. */
export function fixedPlan(tests: readonly TestResult[], seeds: number, design: SeedDesign = DEFAULT_DESIGN): SeedPlan {
  return {
    kind: 'fixed',
    tuningSeeds: [],
    tests: plannedTests(tests, design),
    looks: [seeds],
    alpha: design.alpha,
    power: design.power,
    maxSeeds: design.maxSeeds,
  };
}
