// Shared test fixtures: temp dirs and a quiet, small training run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import type { Regularizer, RegularizerDefinition, StepInfo, TokenContext } from '../algorithms/regularizer.ts';
import type { Batch } from '../src/base/batch.ts';
import { Rng } from '../src/base/rng.ts';
import { loadConfig } from '../src/config/load.ts';
import type { ActiveRegularizer } from '../src/core/regularizer-set.ts';
import type { GroupRequest } from '../src/rollout/rollout.ts';
import { makeEnvFactory, makePolicy } from '../src/train/setup.ts';

export function tempDir(prefix = 'entrolab-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function readJsonl(file: string): Record<string, number>[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l)
    .map((l) => JSON.parse(l) as Record<string, number>);
}

/**
 * A config's env factory and policy (init stream 'init') and three groups 0, 1, 2 of `count`
 * episodes on train prompts drawn from stream 'prompts'; `extra` marks group 2 as an extra group
 * sampled at temperature 0.7.
 */
export function threeGroups(file: string, sets: string[], count: number, extra = false) {
  const config = loadConfig(file, sets);
  const envFactory = makeEnvFactory(config);
  const probe = envFactory();
  const policy = makePolicy(config, probe, new Rng('init'));
  const prompts = new Rng('prompts');
  const groups: GroupRequest[] = [0, 1, 2].map((groupId) => ({
    prompt: probe.samplePrompt(prompts, 'train'),
    count,
    groupId,
    temperature: extra && groupId === 2 ? 0.7 : 1,
    isExtra: extra && groupId === 2,
  }));
  return { config, envFactory, policy, groups };
}

/** train() options that stop the call through its signal once `steps` steps of it have finished. */
export function stopAfter(steps: number): { signal: AbortSignal; onStep: () => void } {
  const controller = new AbortController();
  let done = 0;
  return { signal: controller.signal, onStep: () => void (++done >= steps && controller.abort()) };
}

/** train() options that crash the call (as a kill would) once `steps` steps of it have been written. */
export function crashAfter(steps: number): { onStep: () => void } {
  let done = 0;
  return {
    onStep: () => {
      if (++done >= steps) throw new Error(`simulated crash after ${steps} steps`);
    },
  };
}

/** metrics.jsonl lines without the wall-clock fields (those live under perf/). */
export function deterministicLines(file: string): string[] {
  return readJsonl(file).map((r) =>
    JSON.stringify(Object.fromEntries(Object.entries(r).filter(([k]) => !k.startsWith('perf/')))),
  );
}

/**
 * A TokenContext for hook unit tests: default clip settings (0.2/0.2, c = 3), token-mean, first
 * epoch and mini-batch, current log-probs/entropies from the batch's π_old unless given.
 */
export function tokenContext(batch: Batch, step: StepInfo, over: Partial<TokenContext> = {}): TokenContext {
  return {
    batch,
    step,
    logProbs: batch.oldLogProbs,
    entropy: batch.oldEntropy,
    ppoClipped: new Uint8Array(batch.mask.length),
    clipRatioLow: 0.2,
    clipRatioHigh: 0.2,
    clipRatioC: 3,
    aggMode: 'token-mean',
    epoch: 0,
    miniBatch: 0,
    ...over,
  };
}

/** A regularizer instance as the trainer holds it: name, definition, hooks and its own stream. */
export function active(
  name: string,
  hooks: Regularizer,
  rng = new Rng(`test:${name}`),
  needs: Pick<RegularizerDefinition, 'needsReference' | 'needsLogPolicy'> = {},
): ActiveRegularizer {
  const definition: RegularizerDefinition = { name, summary: '', schema: z.object({}), create: () => hooks, ...needs };
  return { name, definition, hooks, rng };
}
