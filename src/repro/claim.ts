// What a reproduction claim is: the paper's statement, the sweeps that test it (files under
// configs/repro/, run by the sweep runner), and an analysis that turns the runs' metrics into
// tests with confidence intervals, tables and figures for the claim's page.
import { curve, type ReportData, type RunData } from '../report/data.ts';
import type { Figure } from '../report/figures.ts';
import type { Table } from '../report/report.ts';
import { readSummary } from '../run/run-dir.ts';
import type { TestResult } from './verdict.ts';

export interface ClaimData {
  /** Sweep name → its runs (only the seeds of this invocation). */
  sweeps: Map<string, ReportData>;
  /** The seeds the verdict is decided on. */
  seeds: number[];
  quick: boolean;
  /** SFT warm start name → its run directory (src/repro/warm-start.ts), for the claims that use one. */
  warmStarts: Map<string, string>;
}

export interface ClaimResult {
  tests: TestResult[];
  tables: { caption: string; table: Table }[];
  /** The first figure is the claim's headline figure (README, --figures). */
  figures: Figure[];
  /** Paragraphs of interpretation; numbers in them come from the runs. */
  notes: string[];
}

export interface Claim {
  /** Command-line name, e.g. `collapse`. */
  id: string;
  title: string;
  /** Who claims it: authors, title, arXiv id. */
  paper: string;
  /** The claim as this reproduction tests it. */
  statement: string;
  /** Which environment and why. */
  environment: string;
  /** Sweep files (names under configs/repro/, without .yaml) whose runs the analysis reads. */
  sweeps: string[];
  /** Environments the analysis simulates itself, without a sweep (e.g. a tabular bandit). */
  inProcess?: string[];
  /** How the settings were chosen (which seeds), printed on the page. */
  tuning: string;
  analyze(data: ClaimData): ClaimResult;
}

export const seedOf = (run: RunData): number => Number(/__seed-(\d+)$/.exec(run.id)?.[1] ?? NaN);

/** Finished runs of one cell of one sweep, keyed by seed, restricted to `seeds`. */
export function cellRuns(data: ClaimData, sweep: string, cell: string): Map<number, RunData> {
  const report = data.sweeps.get(sweep);
  const runs = report?.cells.find((c) => c.cell === cell)?.runs ?? [];
  const out = new Map<number, RunData>();
  for (const run of runs) {
    const seed = seedOf(run);
    if (run.state === 'finished' && data.seeds.includes(seed)) out.set(seed, run);
  }
  return out;
}

/** Seeds present in every map (for paired comparisons), ascending. */
export function commonSeeds(...maps: Map<number, RunData>[]): number[] {
  const [first, ...rest] = maps;
  return [...first.keys()].filter((s) => rest.every((m) => m.has(s))).sort((a, b) => a - b);
}

/** A metric's per-step values of one run. */
export const values = (run: RunData, key: string): number[] => curve(run, key).values;

/** A number from the run's final test-split evaluation (summary.json). */
export const finalEval = (run: RunData, key: string): number => run.finalEval?.[key] ?? NaN;

/** pass@k (k = 1…64) of the final test-split evaluation in a run directory's summary.json; NaN if absent. */
export function finalPassAtK(runDir: string | undefined, k: number): number {
  const curve = runDir ? readSummary(runDir)?.eval.passAtKCurve : undefined;
  return curve?.[String(k)] ?? NaN;
}
