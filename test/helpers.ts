// Shared test fixtures: temp dirs and a quiet, small training run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import type { Regularizer, RegularizerDefinition, StepInfo, TokenContext } from '../algorithms/regularizer.ts';
import type { Batch } from '../src/base/batch.ts';
import { Rng } from '../src/base/rng.ts';
import type { ActiveRegularizer } from '../src/core/regularizer-set.ts';

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
