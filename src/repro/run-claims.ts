// Runs claims: each claim's sweeps (configs/repro/<name>.yaml) through the sweep runner —
// parallel worker processes, resumable, shared sweeps' runs made once — then its analysis and
// page. Without fixed seeds a claim first runs its tuning seeds, plans its verdict seeds from
// their spread (src/repro/seed-plan.ts), and runs a second look up to the cap only if a test is
// still undecided after the first.
import fs from 'node:fs';
import path from 'node:path';
import { readYamlFile } from '../config/load.ts';
import { PACKAGE_ROOT } from '../package-root.ts';
import { loadReportData, type ReportData } from '../report/data.ts';
import { runSweep } from '../sweep/runner.ts';
import { expandSweep, type Sweep } from '../sweep/spec.ts';
import type { Claim, ClaimResult } from './claim.ts';
import { writeClaimPage } from './page.ts';
import { QUICK_SET, WARM_STARTS } from './registry.ts';
import { DEFAULT_DESIGN, fixedPlan, planSeeds, type SeedDesign, type SeedPlan } from './seed-plan.ts';
import { claimVerdict, redecide, type Verdict } from './verdict.ts';
import { ensureWarmStart, warmStartDir } from './warm-start.ts';

export const REPRO_CONFIG_DIR = path.join(PACKAGE_ROOT, 'configs', 'repro');

export interface ReproOptions {
  /** Fixed verdict seeds (--seeds, --quick); without them each claim plans its own. */
  seeds?: number[];
  /** First verdict seed of a planned claim (its seeds are firstSeed, firstSeed + 1, …). */
  firstSeed?: number;
  design?: SeedDesign;
  /** Where the sweep files live (default configs/repro/). */
  configDir?: string;
  quick: boolean;
  out: string;
  workers: number;
  trainArgs?: string[];
  signal?: AbortSignal;
  log?: (line: string) => void;
}

export interface ClaimOutcome {
  claim: Claim;
  result: ClaimResult;
  verdict: Verdict;
  page: string;
  /** The verdict seeds of the last look. */
  seeds: number[];
  plan: SeedPlan;
  /** Wall-clock seconds of the sweeps this claim ran (shared runs count for the first claim). */
  wallSeconds: number;
  failedRuns: string[];
}

const sweepDoc = (name: string, dir: string) => readYamlFile(path.join(dir, `${name}.yaml`)) as Record<string, unknown>;

/** The SFT config a repro sweep's runs warm-start from (WARM_STARTS, by its base config), if any. */
export const warmStartOf = (name: string, dir = REPRO_CONFIG_DIR): string | undefined =>
  WARM_STARTS[String(sweepDoc(name, dir).base)];

/**
 * A repro sweep with this invocation's seeds (and, under --quick, the shorter settings); `initFrom`
 * is the warm start's run directory for a sweep that has one.
 */
export function reproSweep(
  name: string,
  seeds: readonly number[],
  quick: boolean,
  initFrom?: string,
  dir = REPRO_CONFIG_DIR,
): Sweep {
  const file = path.join(dir, `${name}.yaml`);
  const doc = sweepDoc(name, dir);
  const set = {
    ...((doc.set as Record<string, unknown> | undefined) ?? {}),
    ...(quick ? QUICK_SET : {}),
    ...(initFrom ? { init_from: initFrom } : {}),
  };
  return expandSweep({ ...doc, name, seeds: [...seeds], set }, file);
}

export const sweepDirOf = (out: string, name: string) => path.join(out, 'sweeps', name);

const range = (first: number, count: number) => Array.from({ length: count }, (_, i) => first + i);

export async function runClaims(claims: readonly Claim[], options: ReproOptions): Promise<ClaimOutcome[]> {
  const say = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const design = options.design ?? DEFAULT_DESIGN;
  const configDir = options.configDir ?? REPRO_CONFIG_DIR;
  /** Sweep name → seeds already run in this invocation; the seeds its sweep.json lists; failed runs. */
  const ran = new Map<string, Set<number>>();
  const listed = new Map<string, string>();
  const failed = new Map<string, string[]>();

  /**
   * Runs the claim's sweeps on `seeds` (skipping runs already made); false when aborted. A sweep
   * whose runs all exist still goes through the runner when its sweep.json lists other seeds (a
   * claim sharing it ran first): the analysis reads the runs that manifest names.
   */
  const runOn = async (claim: Claim, seeds: readonly number[]): Promise<boolean> => {
    for (const name of claim.sweeps) {
      const done = ran.get(name) ?? new Set<number>();
      if (seeds.every((s) => done.has(s)) && listed.get(name) === seeds.join(',')) continue;
      const warm = warmStartOf(name, configDir);
      const initFrom = warm ? await ensureWarmStart(warm, { ...options, configDir, log: say }) : undefined;
      if (options.signal?.aborted) return false;
      const sweep = reproSweep(name, seeds, options.quick, initFrom, configDir);
      const sweepDir = sweepDirOf(options.out, name);
      fs.mkdirSync(sweepDir, { recursive: true });
      say(`${claim.id}: sweep '${name}', ${sweep.runs.length} runs (seeds ${seeds.join(',')}) into ${sweepDir}`);
      const summary = await runSweep(sweep, {
        sweepDir,
        workers: options.workers,
        trainArgs: options.trainArgs,
        signal: options.signal,
        log: (l) => say(`  ${l}`),
      });
      if (options.signal?.aborted) return false;
      failed.set(name, [...new Set([...(failed.get(name) ?? []), ...summary.failed, ...summary.interrupted])]);
      for (const s of seeds) done.add(s);
      ran.set(name, done);
      listed.set(name, seeds.join(','));
    }
    return true;
  };
  const analyzeOn = (claim: Claim, seeds: readonly number[], alpha: number): ClaimResult => {
    const sweeps = new Map<string, ReportData>(
      claim.sweeps.map((name) => [name, loadReportData(sweepDirOf(options.out, name))]),
    );
    const warmStarts = new Map<string, string>();
    for (const name of claim.sweeps) {
      const warm = warmStartOf(name, configDir);
      if (warm) warmStarts.set(warm, warmStartDir(options.out, warm));
    }
    const result = claim.analyze({ sweeps, seeds: [...seeds], quick: options.quick, warmStarts });
    return { ...result, tests: result.tests.map((t) => redecide(t, { alpha, power: design.power })) };
  };

  const outcomes: ClaimOutcome[] = [];
  for (const claim of claims) {
    const started = Date.now();
    let plan: SeedPlan;
    let seeds: number[];
    let result: ClaimResult;
    if (options.seeds) {
      seeds = options.seeds;
      if (!(await runOn(claim, seeds))) return outcomes;
      result = analyzeOn(claim, seeds, design.alpha);
      plan = fixedPlan(result.tests, seeds.length, design);
    } else {
      if (!(await runOn(claim, design.tuningSeeds))) return outcomes;
      plan = planSeeds(analyzeOn(claim, design.tuningSeeds, design.alpha).tests, design);
      say(`${claim.id}: seed plan ${plan.looks.join(' then ')} verdict seeds (α ${plan.alpha} per look)`);
      seeds = [];
      result = { tests: [], tables: [], figures: [], notes: [] };
      for (const count of plan.looks) {
        seeds = range(options.firstSeed ?? 0, count);
        if (!(await runOn(claim, seeds))) return outcomes;
        result = analyzeOn(claim, seeds, plan.alpha);
        if (!result.tests.some((t) => t.outcome === 'undecided')) break;
      }
    }
    const wallSeconds = (Date.now() - started) / 1000;
    const verdict = claimVerdict(result.tests);
    const page = writeClaimPage(options.out, claim, result, verdict, { seeds, quick: options.quick, plan });
    outcomes.push({
      claim,
      result,
      verdict,
      page,
      seeds,
      plan,
      wallSeconds,
      failedRuns: claim.sweeps.flatMap((n) => failed.get(n) ?? []),
    });
    say(`${claim.id}: ${verdict} (${wallSeconds.toFixed(1)} s) — ${page}`);
  }
  return outcomes;
}
