// Runs claims: each claim's sweeps (configs/repro/<name>.yaml) through the sweep runner —
// parallel worker processes, resumable, shared sweeps run once — then its analysis and page.
import fs from 'node:fs';
import path from 'node:path';
import { readYamlFile } from '../config/load.ts';
import { PACKAGE_ROOT } from '../package-root.ts';
import { loadReportData, type ReportData } from '../report/data.ts';
import { runSweep } from '../sweep/runner.ts';
import { expandSweep, type Sweep } from '../sweep/spec.ts';
import type { Claim, ClaimResult } from './claim.ts';
import { writeClaimPage } from './page.ts';
import { QUICK_SET } from './registry.ts';
import { claimVerdict, type Verdict } from './verdict.ts';

export const REPRO_CONFIG_DIR = path.join(PACKAGE_ROOT, 'configs', 'repro');

export interface ReproOptions {
  seeds: number[];
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
  /** Wall-clock seconds of the sweeps this claim ran (shared sweeps count for the first claim). */
  wallSeconds: number;
  failedRuns: string[];
}

/** A repro sweep with this invocation's seeds (and, under --quick, the shorter settings). */
export function reproSweep(name: string, seeds: readonly number[], quick: boolean): Sweep {
  const file = path.join(REPRO_CONFIG_DIR, `${name}.yaml`);
  const doc = readYamlFile(file) as Record<string, unknown>;
  const set = { ...((doc.set as Record<string, unknown> | undefined) ?? {}), ...(quick ? QUICK_SET : {}) };
  return expandSweep({ ...doc, name, seeds: [...seeds], set }, file);
}

export const sweepDirOf = (out: string, name: string) => path.join(out, 'sweeps', name);

export async function runClaims(claims: readonly Claim[], options: ReproOptions): Promise<ClaimOutcome[]> {
  const say = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const done = new Set<string>();
  const failed = new Map<string, string[]>();
  const outcomes: ClaimOutcome[] = [];
  for (const claim of claims) {
    const started = Date.now();
    for (const name of claim.sweeps) {
      if (done.has(name)) continue;
      const sweep = reproSweep(name, options.seeds, options.quick);
      const sweepDir = sweepDirOf(options.out, name);
      fs.mkdirSync(sweepDir, { recursive: true });
      say(`${claim.id}: sweep '${name}', ${sweep.runs.length} runs into ${sweepDir}`);
      const summary = await runSweep(sweep, {
        sweepDir,
        workers: options.workers,
        trainArgs: options.trainArgs,
        signal: options.signal,
        log: (l) => say(`  ${l}`),
      });
      if (options.signal?.aborted) return outcomes;
      failed.set(name, [...summary.failed, ...summary.interrupted]);
      done.add(name);
    }
    const wallSeconds = (Date.now() - started) / 1000;
    const sweeps = new Map<string, ReportData>(
      claim.sweeps.map((name) => [name, loadReportData(sweepDirOf(options.out, name))]),
    );
    const result = claim.analyze({ sweeps, seeds: options.seeds, quick: options.quick });
    const verdict = claimVerdict(result.tests);
    const page = writeClaimPage(options.out, claim, result, verdict, { seeds: options.seeds, quick: options.quick });
    outcomes.push({
      claim,
      result,
      verdict,
      page,
      wallSeconds,
      failedRuns: claim.sweeps.flatMap((n) => failed.get(n) ?? []),
    });
    say(`${claim.id}: ${verdict} (${wallSeconds.toFixed(1)} s) — ${page}`);
  }
  return outcomes;
}
