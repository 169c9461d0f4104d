// The method table (`entrolab repro methods`): every regularizer, advantage estimator and policy
// loss against plain GRPO on the flagship text tasks (docs/text.md: word-hunt, word-search), from
// one shared SFT warm start per task. The rows are data: each is one line of a sweep's `method`
// axis (configs/repro/methods-<task>.yaml), and a method that cannot run on a task is one line of
// NOT_APPLICABLE with the reason. Per row: pass@1, pass@16, pass@64 on held-out prompts (the
// unbiased estimator from 64 samples per prompt, summary.json) and the final entropy, each as mean
// ± 95% CI over seeds, marked where the paired difference against GRPO (same seed) has a CI that
// excludes 0.
import { ADV_ESTIMATOR_NAMES } from '../../algorithms/advantages/registry.ts';
import { POLICY_LOSS_NAMES } from '../../algorithms/policy-losses/registry.ts';
import { REGULARIZERS } from '../../algorithms/registry.ts';
import type { ReportData, RunData } from '../report/data.ts';
import { type MeanCi, meanCi95 } from '../report/stats.ts';
import { readSummary } from '../run/run-dir.ts';
import { seedOf, values } from './claim.ts';
import { ENTROPY } from './claims/collapse.ts';
import { tailMean } from './fit.ts';

export const METHOD_TABLE_ID = 'methods';

export interface TableTask {
  id: string;
  title: string;
  /** The sweep of its rows: configs/repro/<sweep>.yaml. */
  sweep: string;
  /** The SFT config of the shared warm start, under configs/. */
  sft: string;
}

export const TABLE_TASKS: readonly TableTask[] = [
  { id: 'word-hunt', title: 'word-hunt (single turn)', sweep: 'methods-word-hunt', sft: 'sft-word-hunt.yaml' },
  { id: 'word-search', title: 'word-search (multi-turn)', sweep: 'methods-word-search', sft: 'sft-word-search.yaml' },
];

/** Seeds per row when --seeds is not given (the budget: docs/repro.md "The method table"). */
export const TABLE_SEEDS = { full: 3, quick: 2 };

/** The row every other row is compared with (a cell `method-grpo` in every task's sweep). */
export const BASELINE = 'grpo';

/** Methods that cannot run as meant on a task: method name → task id (or `*`) → why. */
export const NOT_APPLICABLE: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  arpo: { 'word-hunt': 'forks rollouts after a feedback turn; a word-hunt answer is one turn' },
  pear: { 'word-hunt': 'needs a thinking phase before the answer; a word-hunt answer is one bare word' },
  hwe_reward: { '*': 'counts reasoning trigger tokens (ARES: "wait"); these answers have none, so it adds 0' },
};

export function notApplicable(method: string, task: string): string | undefined {
  const reasons = NOT_APPLICABLE[method];
  return reasons?.[task] ?? reasons?.['*'];
}

export type MethodKind = 'baseline' | 'regularizer' | 'estimator' | 'policy loss' | 'variant';

/** What one row of a sweep's `method` axis runs, read from its overrides. */
export interface RowMethod {
  kind: MethodKind;
  /** Registry names the row exercises (regularizers, estimator, policy loss). */
  names: string[];
  /** The overrides as the sweep file gives them, for the page. */
  settings: string;
}

/** The kind and names of a row from its overrides (dotted key → value). */
export function rowMethod(label: string, overrides: readonly [string, unknown][]): RowMethod {
  const names: string[] = [];
  let kind: MethodKind = label === BASELINE ? 'baseline' : 'variant';
  for (const [key, value] of overrides) {
    if (key === 'regularizers' && Array.isArray(value) && value.length > 0) {
      names.push(...value.map((r) => String((r as { name?: unknown }).name)));
      kind = 'regularizer';
    } else if (key === 'grpo.adv_estimator' && typeof value === 'string') {
      names.push(value);
      kind = 'estimator';
    } else if (key === 'grpo.policy_loss' && typeof value === 'string') {
      names.push(value);
      kind = 'policy loss';
    }
  }
  const settings = overrides.map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join('; ');
  return { kind, names, settings };
}

/** Every regularizer, estimator and policy loss entrolab registers (a plugin's too): what the table covers. */
export function registeredMethods(): { kind: MethodKind; name: string }[] {
  return [
    ...Object.keys(REGULARIZERS).map((name) => ({ kind: 'regularizer' as const, name })),
    ...ADV_ESTIMATOR_NAMES.filter((n) => n !== 'grpo').map((name) => ({ kind: 'estimator' as const, name })),
    ...POLICY_LOSS_NAMES.filter((n) => n !== 'vanilla').map((name) => ({ kind: 'policy loss' as const, name })),
  ];
}

/** `kind:name`, since a name may be both (gpg is an estimator and a policy loss). */
export const methodKey = (kind: MethodKind, name: string) => `${kind}:${name}`;

export const METRICS = [
  { key: 'pass1', label: 'pass@1' },
  { key: 'pass16', label: 'pass@16' },
  { key: 'pass64', label: 'pass@64' },
  { key: 'entropy', label: 'final entropy' },
] as const;
export type MetricKey = (typeof METRICS)[number]['key'];

/** The fraction of steps whose mean rollout entropy is the "final entropy". */
export const ENTROPY_TAIL = 0.1;

/** One run's numbers: pass@k of its final held-out evaluation, and its final entropy. */
export function runNumbers(run: RunData): Record<MetricKey, number> {
  const curve = readSummary(run.dir)?.eval.passAtKCurve ?? {};
  const pass = (k: number) => curve[String(k)] ?? NaN;
  return { pass1: pass(1), pass16: pass(16), pass64: pass(64), entropy: tailMean(values(run, ENTROPY), ENTROPY_TAIL) };
}

export interface MetricCell {
  /** One value per seed of the row, in seed order. */
  values: number[];
  ci: MeanCi;
  /** The row − GRPO on the seeds both have (paired), and its CI; absent for GRPO itself. */
  diff?: { seeds: number[]; values: number[]; ci: MeanCi };
  /** +1 / −1 when the CI of the paired difference lies wholly above / below 0, else 0. */
  decisive: -1 | 0 | 1;
}

export interface TableRow {
  label: string;
  kind: MethodKind;
  names: string[];
  settings: string;
  /** Finished runs' seeds, ascending. */
  seeds: number[];
  metrics: Record<MetricKey, MetricCell>;
}

export interface NotApplicableRow {
  name: string;
  kind: MethodKind;
  reason: string;
}

export interface TaskTable {
  task: TableTask;
  rows: TableRow[];
  notApplicable: NotApplicableRow[];
  /** Registered methods with neither a row nor a reason (new methods waiting for their line). */
  missing: string[];
}

/** Decisive when the 95% CI of the paired difference excludes 0 (n ≥ 2). */
export function decisive(ci: MeanCi): -1 | 0 | 1 {
  if (ci.n < 2 || !Number.isFinite(ci.halfWidth)) return 0;
  if (ci.mean - ci.halfWidth > 0) return 1;
  if (ci.mean + ci.halfWidth < 0) return -1;
  return 0;
}

/**
 * How many of a task's paired comparisons (row × metric with ≥ 2 paired seeds) are marked, and
 * how many marks chance alone would give at the CI's 5% level if no method differed from GRPO.
 */
export function markCount(table: TaskTable): { marked: number; compared: number; byChance: number } {
  let marked = 0;
  let compared = 0;
  for (const row of table.rows)
    for (const { key } of METRICS) {
      const cell = row.metrics[key];
      if (!cell.diff || cell.diff.ci.n < 2) continue;
      compared += 1;
      if (cell.decisive !== 0) marked += 1;
    }
  return { marked, compared, byChance: 0.05 * compared };
}

function finishedBySeed(runs: readonly RunData[], seeds: readonly number[]): Map<number, RunData> {
  const out = new Map<number, RunData>();
  for (const run of runs) {
    const seed = seedOf(run);
    if (run.state === 'finished' && seeds.includes(seed)) out.set(seed, run);
  }
  return out;
}

/**
 * The table of one task from its sweep's runs. `rows` gives each `method` option's label and
 * overrides in sweep order; a row with no finished run still appears (with no numbers).
 */
export function taskTable(
  task: TableTask,
  data: ReportData | undefined,
  rows: readonly { label: string; overrides: [string, unknown][] }[],
  seeds: readonly number[],
): TaskTable {
  const numbersOf = (label: string) => {
    const runs = data?.cells.find((c) => c.cell === `method-${label}`)?.runs ?? [];
    const bySeed = finishedBySeed(runs, seeds);
    return new Map([...bySeed].sort((a, b) => a[0] - b[0]).map(([s, run]) => [s, runNumbers(run)]));
  };
  const baseline = numbersOf(BASELINE);
  const tableRows = rows.map(({ label, overrides }): TableRow => {
    const method = rowMethod(label, overrides);
    const numbers = label === BASELINE ? baseline : numbersOf(label);
    const rowSeeds = [...numbers.keys()];
    const metrics = Object.fromEntries(
      METRICS.map(({ key }) => {
        const vals = rowSeeds.map((s) => numbers.get(s)![key]);
        const cell: MetricCell = { values: vals, ci: meanCi95(vals), decisive: 0 };
        if (label !== BASELINE) {
          const paired = rowSeeds.filter((s) => baseline.has(s));
          const diffs = paired.map((s) => numbers.get(s)![key] - baseline.get(s)![key]);
          const ci = meanCi95(diffs);
          cell.diff = { seeds: paired, values: diffs, ci };
          cell.decisive = decisive(ci);
        }
        return [key, cell];
      }),
    ) as Record<MetricKey, MetricCell>;
    return { label, ...method, seeds: rowSeeds, metrics };
  });
  const covered = new Set(tableRows.flatMap((r) => r.names.map((n) => methodKey(r.kind, n))));
  const notApplicableRows: NotApplicableRow[] = [];
  const missing: string[] = [];
  for (const { kind, name } of registeredMethods()) {
    if (covered.has(methodKey(kind, name))) continue;
    const reason = notApplicable(name, task.id);
    if (reason) notApplicableRows.push({ name, kind, reason });
    else missing.push(name);
  }
  return { task, rows: tableRows, notApplicable: notApplicableRows, missing };
}
