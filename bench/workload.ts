// One workload of the PyTorch comparison trained by the real trainer in this process; prints one
// JSON line: median step time (steps after the third), tokens/s, peak RSS, live tensors and RSS at
// the first and last step (memory must stay flat).
//   [P=.. G=.. SIZE=.. HORIZON=.. HIDDEN=.. D=.. L=.. DIGITS=..] node --import tsx bench/workload.ts grid|text [steps]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/backend/backend.ts';
import { parseConfig } from '../src/config/load.ts';
import { readMetrics } from '../src/run/metrics-log.ts';
import { train } from '../src/train/trainer.ts';
import { shapeFrom, WORKLOADS } from './workloads.ts';

const work = (process.argv[2] ?? 'grid') as keyof typeof WORKLOADS;
const steps = Number(process.argv[3] ?? 20);
const backend = await selectBackend((process.env.ENTROLAB_BACKEND as 'auto' | undefined) ?? 'auto');
const runDir = fs.mkdtempSync(path.join(os.tmpdir(), `entrolab-bench-${work}-`));
const memory: { step: number; tensors: number; rssMiB: number }[] = [];
const sink = {
  write: (step: number) => {
    if (step === 10 || step === steps || step % Math.max(10, Math.floor(steps / 4)) === 0) {
      memory.push({ step, tensors: tf.memory().numTensors, rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20) });
    }
  },
  close() {},
};
const config = parseConfig(WORKLOADS[work](steps, shapeFrom(process.env)), `bench workload ${work}`);
await train(config, { runDir, backend: backend.name as 'wasm', sinks: [sink], log: () => {} });
const rows = readMetrics(runDir).slice(3);
const sorted = (k: string) => rows.map((r) => r[k]).sort((a, b) => a - b);
const median = (k: string) => sorted(k)[Math.floor(rows.length / 2)];
const result = {
  workload: work,
  backend: backend.detail,
  steps,
  step_ms: median('perf/step_s') * 1e3,
  sample_ms: median('perf/sample_s') * 1e3,
  old_pass_ms: median('perf/old_pass_s') * 1e3,
  update_ms: median('perf/update_s') * 1e3,
  after_update_ms: median('perf/after_update_s') * 1e3,
  tokens_per_s: median('perf/tokens_per_s'),
  peak_rss_mib: Math.round(process.resourceUsage().maxRSS / 1024),
  memory,
};
fs.rmSync(runDir, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify(result)}\n`);
