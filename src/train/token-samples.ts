// Sampled episodes kept with each token's entropy, for the report's shaded view of which tokens
// fork: at a few steps (diagnostics.token_samples) the first episode of the first few prompts of
// the main rollout, its prompt as the env renders it, and per token its text, π_old's entropy at
// the training temperature, and its turn. Written to token-samples.jsonl in the run directory.
import fs from 'node:fs';
import path from 'node:path';
import type { EnvFactory } from '../../envs/env.ts';
import type { Batch } from '../base/batch.ts';
import { Rng } from '../base/rng.ts';
import type { Config } from '../config/schema.ts';
import type { Episode } from '../rollout/rollout.ts';
import { writeFileAtomic } from '../run/atomic-write.ts';

export const TOKEN_SAMPLES_FILE = 'token-samples.jsonl';

export interface TokenSample {
  step: number;
  prompt: string;
  reward: number;
  success: boolean;
  /** [text, entropy (nats), turn] per token. */
  tokens: [string, number, number][];
}

/** The steps (1-based) whose episodes are saved. */
export function sampleSteps(config: Config): Set<number> {
  const spec = config.diagnostics.token_samples;
  if (spec === false) return new Set();
  const T = config.steps;
  return new Set(spec.steps ?? [1, Math.ceil(T / 2), T]);
}

/** The saved episodes of one step: rows g·G of the main rollout (row i of `batch` is episodes[i]). */
export function tokenSamples(
  step: number,
  config: Config,
  envFactory: EnvFactory,
  episodes: readonly Episode[],
  batch: Batch,
): TokenSample[] {
  const spec = config.diagnostics.token_samples;
  if (spec === false) return [];
  const G = config.rollout.group_size;
  const env = envFactory();
  const out: TokenSample[] = [];
  for (let g = 0; g < Math.min(spec.episodes, config.rollout.prompts_per_step); g++) {
    const row = g * G;
    const episode = episodes[row];
    if (!episode || batch.isExtra[row]) continue;
    env.reset(episode.prompt, new Rng('entrolab:token-samples'));
    const tokens: [string, number, number][] = [];
    for (let j = row * batch.width; j < (row + 1) * batch.width; j++) {
      if (!batch.mask[j]) continue;
      tokens.push([env.actionName(batch.actions[j]), Number(batch.oldEntropy[j].toFixed(4)), batch.turnIndex[j]]);
    }
    out.push({ step, prompt: env.render(), reward: episode.reward, success: episode.success, tokens });
  }
  return out;
}

/** Keep the saved samples of steps ≤ `step` (a resumed run rewrites the later ones). */
export function keepSamplesUpTo(runDir: string, step: number): void {
  const file = path.join(runDir, TOKEN_SAMPLES_FILE);
  if (!fs.existsSync(file)) return;
  const kept = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .filter((l) => {
      try {
        return (JSON.parse(l) as TokenSample).step <= step;
      } catch {
        return false; // a torn last line
      }
    });
  writeFileAtomic(file, kept.map((l) => `${l}\n`).join(''));
}

export function appendSamples(runDir: string, samples: readonly TokenSample[]): void {
  if (samples.length === 0) return;
  fs.appendFileSync(path.join(runDir, TOKEN_SAMPLES_FILE), samples.map((s) => `${JSON.stringify(s)}\n`).join(''));
}

export function readTokenSamples(runDir: string): TokenSample[] {
  const file = path.join(runDir, TOKEN_SAMPLES_FILE);
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as TokenSample];
      } catch {
        return [];
      }
    });
}
