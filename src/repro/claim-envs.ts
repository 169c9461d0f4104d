// The environments a claim runs on, read from its sweeps' resolved configs (base config plus each
// run's overrides), so `entrolab repro --list` cannot drift from what the sweeps train on.
import { loadConfig } from '../config/load.ts';
import { overridesToSets } from '../sweep/spec.ts';
import type { Claim } from './claim.ts';
import { reproSweep } from './run-claims.ts';

/** "gridworld (four_rooms)", "word-hunt": an env's name and its preset, if any. */
function envLabel(env: { name: string; preset?: unknown }): string {
  return typeof env.preset === 'string' ? `${env.name} (${env.preset})` : env.name;
}

/** Distinct environments of the claim's sweeps, in sweep order, then its in-process ones. */
export function claimEnvironments(claim: Claim): string[] {
  const labels = new Set<string>();
  for (const name of claim.sweeps) {
    const sweep = reproSweep(name, [0], false);
    for (const run of sweep.runs) {
      const config = loadConfig(sweep.base, overridesToSets(run.overrides));
      labels.add(envLabel(config.env as { name: string; preset?: unknown }));
    }
  }
  for (const extra of claim.inProcess ?? []) labels.add(extra);
  return [...labels];
}
