// What `sweep --dry-run` lists: the sweep's size and base config, then one line per run with its
// index, id, where it stands (new, finished, stale, interrupted at step n …), seed and overrides.
import path from 'node:path';
import { readRunState } from '../run/run-state.ts';
import { shellQuote } from './emit.ts';
import { overridesToSets, type Sweep, type SweepRun } from './spec.ts';

export function describeRun(sweepDir: string, run: SweepRun): string {
  const state = readRunState(path.join(sweepDir, run.id));
  const status = state?.status;
  const at = `at ${status?.step}/${status?.total_steps}`;
  const text = !status
    ? 'new'
    : status.state === 'finished'
      ? 'finished'
      : state.stale
        ? `stale ${at} (trainer gone)`
        : `${status.state} ${at}`;
  const sets = overridesToSets(run.overrides).join(' ');
  return `${String(run.index).padStart(4)}  ${run.id.padEnd(40)} ${text.padEnd(20)} seed=${run.seed} ${sets}`;
}

/** The listing's lines; `only` keeps just those run indices. */
export function runListing(sweep: Sweep, sweepDir: string, only?: readonly number[]): string[] {
  return [
    `sweep '${sweep.name}': ${sweep.runs.length} runs ` +
      `(${sweep.runs.length / sweep.seeds.length} cells × ${sweep.seeds.length} seeds) ` +
      `into ${shellQuote(sweepDir)}`,
    `base config: ${shellQuote(path.relative(process.cwd(), sweep.base))}`,
    ...sweep.runs.filter((run) => !only || only.includes(run.index)).map((run) => describeRun(sweepDir, run)),
  ];
}
