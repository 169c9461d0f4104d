// Verdicts from confidence intervals. Each test of a claim is one number per seed (a run's own
// statistic, or a paired difference/ratio against the baseline run of the same seed), a 95% CI of
// its mean over seeds (Student's t), and a rule. The test passes when the whole CI lies on the
// claimed side, fails when the whole CI lies on the other side, and is undecided when the CI
// straddles the line — so three seeds with a wide spread give "inconclusive", not a coin flip.
import { type MeanCi, meanCi95 } from '../report/stats.ts';

export type Rule =
  | { kind: 'above'; value: number }
  | { kind: 'below'; value: number }
  | { kind: 'within'; low: number; high: number };

export type TestOutcome = 'pass' | 'fail' | 'undecided';
export type Verdict = 'reproduced' | 'not reproduced' | 'inconclusive (CI overlaps)';

export interface TestResult {
  /** What the number is, e.g. "R² of R = −a·exp(H) + b". */
  statistic: string;
  /** One value per seed, in seed order. */
  values: number[];
  seeds: number[];
  ci: MeanCi;
  rule: Rule;
  outcome: TestOutcome;
}

export function ciBounds(ci: MeanCi): [number, number] {
  return [ci.mean - ci.halfWidth, ci.mean + ci.halfWidth];
}

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

export function runTest(
  statistic: string,
  seeds: readonly number[],
  values: readonly number[],
  rule: Rule,
): TestResult {
  const ci = meanCi95(values);
  return { statistic, values: [...values], seeds: [...seeds], ci, rule, outcome: decide(ci, rule) };
}

/** Any failed test → not reproduced; all passed → reproduced; otherwise inconclusive. */
export function claimVerdict(tests: readonly TestResult[]): Verdict {
  if (tests.some((t) => t.outcome === 'fail')) return 'not reproduced';
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
  const ci = meanCi95(values);
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

/** "R² 0.93 ± 0.03 (95% CI [0.90, 0.96], n = 5; claim: > 0.8) → pass". */
export function describeTest(test: TestResult): string {
  const [lo, hi] = ciBounds(test.ci);
  const ci = Number.isFinite(test.ci.halfWidth)
    ? `${fmt(test.ci.mean)} ± ${fmt(test.ci.halfWidth)} (95% CI [${fmt(lo)}, ${fmt(hi)}]`
    : `${fmt(test.ci.mean)} (no CI`;
  return `${test.statistic}: ${ci}, n = ${test.ci.n}; claim ${ruleText(test.rule)}) → ${test.outcome}`;
}
