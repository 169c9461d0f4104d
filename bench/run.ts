// `npm run bench`: speed figures (never asserted in tests). Trains the quickstart config and prints
// wall time, steps/s and tokens/s on the backend it got; other benchmark scripts in bench/ are run
// after it when present.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { selectBackend } from '../src/core/backend.ts';
import { loadConfig } from '../src/config/load.ts';
import { readMetrics } from '../src/run/metrics-log.ts';
import { train } from '../src/train/trainer.ts';

const backend = await selectBackend((process.env.ENTROLAB_BACKEND as 'auto' | undefined) ?? 'auto');
const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'entrolab-bench-'));
const result = await train(loadConfig('configs/quickstart.yaml'), { runDir, backend: backend.name as 'wasm', log: () => {} });
const metrics = readMetrics(runDir);
const tokens = metrics.reduce((s, m) => s + m['perf/tokens_per_s'] * m['perf/step_s'], 0);
const trainSeconds = metrics[metrics.length - 1]['perf/wall_s'];
console.log(`quickstart (${result.steps} steps, ${backend.detail}, ${os.cpus().length} cores)`);
console.log(`  wall time incl. final eval  ${result.wallSeconds.toFixed(1)} s`);
console.log(`  training steps/s            ${(result.steps / trainSeconds).toFixed(2)}`);
console.log(`  training tokens/s           ${(tokens / trainSeconds).toFixed(0)} (actions sampled and trained on)`);
console.log(`  final sampled success       ${result.final!.successSampled.toFixed(3)} (greedy ${result.final!.successGreedy.toFixed(3)})`);

for (const file of fs.readdirSync('bench').filter((f) => f.endsWith('.ts') && f !== 'run.ts').sort()) {
  console.log(`\n== bench/${file}`);
  await import(pathToFileURL(path.resolve('bench', file)).href);
}
