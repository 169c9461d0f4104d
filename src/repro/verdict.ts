// Verdicts that decide. Each test of a claim is one number per seed (a run's own statistic, or a
// paired difference/ratio against the baseline run of the same seed), a line the claim puts it on
// one side of, and δ, the smallest effect of interest, fixed in the claim's code before any
// verdict seed runs. On the mean over seeds (Student's t, n − 1 degrees of freedom), at level α:
//   - pass when the two-sided (1 − α) CI lies wholly on the claimed side of the line,
//   - fail when it lies wholly on the other side,
//   - equivalent when neither, but TOST at α puts the mean within ±δ of the line (its (1 − 2α) CI
//     lies inside): "no effect larger than δ", a verdict of its own (src/repro/tost.ts),
//   - undecided otherwise — and the test says how many seeds its spread needs (src/repro/power.ts).
// A `within` rule is an equivalence claim itself: pass when TOST puts the mean inside the band,
// fail when the (1 − α) CI lies wholly outside it; its δ is the margin the seed plan resolves.
import { type MeanCi, mean, sampleStd, studentTQuantile } from '../report/stats.ts';
import { type PowerSpec, seedsToDecide } from './power.ts';
import { tost } from './tost.ts';

/** `delta`: the smallest effect of interest, in the statistic's units. */
export type Rule =
  | { kind: 'above'; value: number; delta: number }
  | { kind: 'below'; value: number; delta: number }
  | { kind: 'within'; low: number; high: number; delta: number };

export type TestOutcome = 'pass' | 'fail' | 'equivalent' | 'undecided';
export type Verdict =
  | 'reproduced'
  | 'not reproduced'
  | `not reproduced: equivalent within ±${string}`
  | 'inconclusive (CI overlaps)';

/** The error rates a verdict is decided at unless the seed plan says otherwise. */
export const DEFAULT_POWER: PowerSpec = { alpha: 0.05, power: 0.8 };

export interface TestResult {
  /** What the number is, e.g. "R² of R = −a·exp(H) + b". */
  statistic: string;
  /** One value per seed, in seed order. */
  values: number[];
  seeds: number[];
  /** Mean, std and the half-width of the two-sided (1 − alpha) CI. */
  ci: MeanCi;
  /** The (1 − 2·alpha) CI of the equivalence test, against the line ± δ (or the `within` band). */
  tostCi: [number, number];
  alpha: number;
  rule: Rule;
  outcome: TestOutcome;
  /** Seeds that would decide this test at its present spread (power calculation), NaN when n < 2. */
  seedsNeeded: number;
}

/** Mean ± the half-width of the two-sided (1 − alpha) CI over the finite values. */
export function meanCiAt(values: readonly number[], alpha: number): MeanCi {
  const finite = values.filter((v) => Number.isFinite(v));
  const n = finite.length;
  const m = mean(finite);
  if (n < 2) return { n, mean: m, std: NaN, halfWidth: NaN };
  const std = sampleStd(finite);
  return { n, mean: m, std, halfWidth: studentTQuantile(1 - alpha / 2, n - 1) * (std / Math.sqrt(n)) };
}

export function ciBounds(ci: MeanCi): [number, number] {
  return [ci.mean - ci.halfWidth, ci.mean + ci.halfWidth];
}

/** The significance half of the rule on a (1 − α) CI: pass, fail or undecided. */
export function decide(ci: MeanCi, rule: Rule): TestOutcome {
  if (ci.n < 2 || !Number.isFinite(ci.halfWidth)) return 'undecided';
  const [lo, hi] = ciBounds(ci);
  switch (rule.kind) {
    case 'above':
      return lo > rule.value ? 'pass' : hi < rule.value ? 'fail' : 'undecided';
    case 'below':
      return hi < rule.value ? 'pass' : lo > rule.value ? 'fail' : 'undecided';
    case 'within':
      if (lo >= rule.low && hi <= rule.high) return 'pass';
      return hi < rule.low || lo > rule.high ? 'fail' : 'undecided';
  }
}

/** The band the equivalence test checks: the line ± δ, or the `within` rule's own band. */
export function equivalenceBand(rule: Rule): [number, number] {
  return rule.kind === 'within' ? [rule.low, rule.high] : [rule.value - rule.delta, rule.value + rule.delta];
}

/**
 * "At least as good as the baseline, up to `margin`": the difference must lie above −margin; its δ
 * is half the margin, so `equivalent` means worse than the baseline by margin/2 to 3·margin/2.
 */
export const nonInferiority = (margin: number): Rule => ({ kind: 'above', value: -margin, delta: margin / 2 });

export function runTest(
  statistic: string,
  seeds: readonly number[],
  values: readonly number[],
  rule: Rule,
  spec: PowerSpec = DEFAULT_POWER,
): TestResult {
  const ci = meanCiAt(values, spec.alpha);
  const [low, high] = equivalenceBand(rule);
  const eq = tost(values, low, high, spec.alpha);
  let outcome = decide(ci, rule);
  if (rule.kind === 'within') outcome = eq.equivalent ? 'pass' : outcome === 'fail' ? 'fail' : 'undecided';
  else if (outcome === 'undecided' && eq.equivalent) outcome = 'equivalent';
  return {
    statistic,
    values: [...values],
    seeds: [...seeds],
    ci,
    tostCi: eq.ci,
    alpha: spec.alpha,
    rule,
    outcome,
    seedsNeeded: seedsToDecide(ci.std, rule.delta, spec),
  };
}

/** The same test decided again at another level (the seed plan's α per look). */
export const redecide = (test: TestResult, spec: PowerSpec): TestResult =>
  runTest(test.statistic, test.seeds, test.values, test.rule, spec);

/**
 * Any failed test → not reproduced; else any equivalent test → not reproduced: equivalent within
 * ±δ (the first such test's δ); all passed → reproduced; otherwise inconclusive.
 */
export function claimVerdict(tests: readonly Pick<TestResult, 'outcome' | 'rule'>[]): Verdict {
  if (tests.some((t) => t.outcome === 'fail')) return 'not reproduced';
  const equivalent = tests.find((t) => t.outcome === 'equivalent');
  if (equivalent) return `not reproduced: equivalent within ±${fmt(equivalent.rule.delta)}`;
  if (tests.length > 0 && tests.every((t) => t.outcome === 'pass')) return 'reproduced';
  return 'inconclusive (CI overlaps)';
}

/** Four significant digits, trailing zeros kept short: 0.9312, 12.31, 1.2e-4. */
export function fmt(value: number): string {
  if (!Number.isFinite(value)) return '—';
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs < 1e-3 || abs >= 1e5) return value.toExponential(2);
  return String(Number(value.toPrecision(4)));
}

/** Mean ± 95% CI half-width with four significant digits (for numbers far from 1, e.g. 5e-4). */
export function fmtMeanCi(values: readonly number[]): string {
  const ci = meanCiAt(values, 0.05);
  return Number.isFinite(ci.halfWidth) ? `${fmt(ci.mean)} ± ${fmt(ci.halfWidth)}` : fmt(ci.mean);
}

export function ruleText(rule: Rule): string {
  switch (rule.kind) {
    case 'above':
      return `> ${fmt(rule.value)}`;
    case 'below':
      return `< ${fmt(rule.value)}`;
    case 'within':
      return `within [${fmt(rule.low)}, ${fmt(rule.high)}]`;
  }
}

const pct = (level: number) => `${fmt(100 * level)}%`;

/** "R²: 0.93 ± 0.03 (95% CI [0.90, 0.96], n = 5; claim > 0.8, δ 0.05) → pass". */
export function describeTest(test: TestResult): string {
  const [lo, hi] = ciBounds(test.ci);
  const level = pct(1 - test.alpha);
  const ci = Number.isFinite(test.ci.halfWidth)
    ? `${fmt(test.ci.mean)} ± ${fmt(test.ci.halfWidth)} (${level} CI [${fmt(lo)}, ${fmt(hi)}]`
    : `${fmt(test.ci.mean)} (no CI`;
  const head = `${test.statistic}: ${ci}, n = ${test.ci.n}; claim ${ruleText(test.rule)}, δ ${fmt(test.rule.delta)})`;
  const [tlo, thi] = test.tostCi;
  switch (test.outcome) {
    case 'equivalent':
      return `${head} → equivalent: ${pct(1 - 2 * test.alpha)} CI [${fmt(tlo)}, ${fmt(thi)}] within ±δ of the line`;
    case 'undecided':
      return `${head} → undecided (${seedsText(test.seedsNeeded)} would decide it at this spread)`;
    default:
      return `${head} → ${test.outcome}`;
  }
}

/** "12 seeds", "more than 100000 seeds", "— seeds" for a power calculation's answer. */
export function seedsText(n: number): string {
  if (Number.isNaN(n)) return 'an unknown number of seeds (fewer than 2 values)';
  return Number.isFinite(n) ? `about ${n} seeds` : 'more than 100000 seeds';
}
