// Soak benchmark (not a test): 1,000 gridworld steps (configs/quickstart.yaml) and 200 text steps
// (configs/text-arithmetic.yaml from a fresh init), printing the process's RSS, V8 heap and
// tf.memory().numTensors at the start, every tenth of the way and at the end: all should stay flat.
//   node --import tsx bench/soak.ts            (about 5 minutes on 2 cores)
//   ENTROLAB_SOAK=1 npm run bench              (`npm run bench` alone skips it: too slow for every run)
// Writes bench/results/soak.json.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { type BackendChoice, selectBackend } from '../src/backend/backend.ts';
import { loadConfig } from '../src/config/load.ts';
import { writeJsonAtomic } from '../src/run/atomic-write.ts';
import type { MetricsSink } from '../src/run/metrics-log.ts';
import { train } from '../src/train/trainer.ts';

interface Sample {
  step: number;
  rssMiB: number;
  heapMiB: number;
  numTensors: number;
}

const direct = process.argv[1]?.endsWith('soak.ts');
if (!direct && !process.env.ENTROLAB_SOAK) {
  console.log('skipped: set ENTROLAB_SOAK=1 (or run node --import tsx bench/soak.ts) for the ~5 minute soak');
} else {
  const backend = await selectBackend((process.env.ENTROLAB_BACKEND as BackendChoice | undefined) ?? 'auto');
  const mib = (bytes: number) => Math.round(bytes / 2 ** 20);
  const soak = async (label: string, file: string, steps: number, sets: string[]) => {
    const samples: Sample[] = [];
    const every = steps / 10;
    const sink: MetricsSink = {
      write(step) {
        if (step !== 1 && step % every !== 0) return;
        const { rss } = process.memoryUsage();
        samples.push({
          step,
          rssMiB: mib(rss),
          heapMiB: mib(process.memoryUsage().heapUsed),
          numTensors: tf.memory().numTensors,
        });
      },
      close() {},
    };
    const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'entrolab-soak-'));
    const started = performance.now();
    await train(loadConfig(file, [`steps=${steps}`, 'checkpoint.every=100', ...sets]), {
      runDir,
      backend: backend.name as BackendChoice,
      sinks: [sink],
      log: () => {},
    });
    fs.rmSync(runDir, { recursive: true, force: true });
    const [first, last] = [samples[0], samples[samples.length - 1]];
    console.log(
      `${label}: ${steps} steps in ${((performance.now() - started) / 1000).toFixed(0)} s on ${backend.detail}`,
    );
    console.log('  step    RSS MiB  heap MiB  tensors');
    for (const s of samples)
      console.log(
        `  ${String(s.step).padStart(5)}  ${String(s.rssMiB).padStart(8)}  ` +
          `${String(s.heapMiB).padStart(8)}  ${String(s.numTensors).padStart(7)}`,
      );
    console.log(
      `  start → end: RSS ${first.rssMiB} → ${last.rssMiB} MiB, tensors ${first.numTensors} → ${last.numTensors}`,
    );
    return { label, steps, samples };
  };
  const results = [
    await soak('gridworld (quickstart)', 'configs/quickstart.yaml', 1000, []),
    await soak('text (arithmetic, transformer)', 'configs/text-arithmetic.yaml', 200, ['init_from=']),
  ];
  writeJsonAtomic(path.join('bench', 'results', 'soak.json'), { backend: backend.detail, results });
}
