// Shared test fixtures: temp dirs and a quiet, small training run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

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

/** metrics.jsonl lines without the wall-clock fields (spec: those live under perf/). */
export function deterministicLines(file: string): string[] {
  return readJsonl(file).map((r) => JSON.stringify(Object.fromEntries(Object.entries(r).filter(([k]) => !k.startsWith('perf/')))));
}
