// `npm run bench`: speed figures (never asserted in tests), no Python needed.
// 1. start-up: `entrolab --help`, `list`, `loss` on a small batch, and a one-step `train` (a
//    sweep pays that per run); 2. entrolab's side of the two PyTorch-comparison workloads
//    (bench/workloads.ts): ms/step, tokens/s, peak RSS, each in its own process; 3. memory over a
//    long gridworld run (live tensors and RSS must stay flat); 4. the scaling table (bench/scaling.ts:
//    ms/step over a grid of shapes); 5. the other bench scripts.
//   npm run bench [-- --quick]   (--quick: 20-step workloads, 200-step memory run, the table's
//                                 subset, no extras)
//   npm run bench -- --scaling [--quick]   (the scaling table only)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WORKLOADS } from './workloads.ts';

const quick = process.argv.includes('--quick');
const node = process.execPath;
const scaling = () =>
  spawnSync(node, ['--import', 'tsx', 'bench/scaling.ts', ...(quick ? ['--quick'] : [])], { stdio: 'inherit' }).status;
if (process.argv.includes('--scaling')) process.exit(scaling() ?? 1);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'entrolab-bench-'));

function seconds(args: string[], reps: number): number {
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const r = spawnSync(node, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
    times.push((performance.now() - t0) / 1000);
  }
  return times.sort((a, b) => a - b)[Math.floor(reps / 2)];
}

const batch = path.join(tmp, 'batch.json');
const small = { log_probs: [[-1, -0.5]], old_log_probs: [[-1, -0.9]], advantages: [[1, 1]], mask: [[1, 1]] };
fs.writeFileSync(batch, JSON.stringify(small));
const config = path.join(tmp, 'grid.json');
fs.writeFileSync(config, JSON.stringify(WORKLOADS.grid(1)));
const dist = fs.existsSync('dist/.build-stamp') ? 'compiled dist/' : 'TypeScript through tsx (run `npm run build`)';
console.log(`start-up (median of 5 processes; ${dist}; ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)})`);
console.log(`  entrolab --help            ${seconds(['bin/entrolab.js', '--help'], 5).toFixed(2)} s`);
console.log(`  entrolab list              ${seconds(['bin/entrolab.js', 'list'], 5).toFixed(2)} s`);
console.log(`  entrolab loss (2 tokens)   ${seconds(['bin/entrolab.js', 'loss', batch], 5).toFixed(2)} s`);
const trainArgs = ['bin/entrolab.js', 'train', config, '--out', tmp, '--force', '--quiet'];
console.log(`  entrolab train, 1 step     ${seconds(trainArgs, 3).toFixed(2)} s (a sweep's start-up cost per run)`);

function workload(name: string, steps: number): Record<string, unknown> {
  const r = spawnSync(node, ['--import', 'tsx', 'bench/workload.ts', name, String(steps)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bench/workload.ts ${name}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
}
const fmt = (x: unknown, digits = 1) => (x as number).toFixed(digits);
console.log('\nGRPO step, 16 prompts × 8 episodes, one epoch, one mini-batch (medians after step 3)');
for (const name of Object.keys(WORKLOADS)) {
  const r = workload(name, quick ? 20 : 40);
  console.log(
    `  ${name}: ${fmt(r.step_ms)} ms/step (sample ${fmt(r.sample_ms)}, old pass ${fmt(r.old_pass_ms)}, ` +
      `update ${fmt(r.update_ms)}, after-update pass ${fmt(r.after_update_ms)}), ` +
      `${fmt(r.tokens_per_s, 0)} tokens/s, peak RSS ${r.peak_rss_mib} MiB, ${r.backend}`,
  );
}

const long = quick ? 200 : 1000;
const mem = workload('grid', long).memory as { step: number; tensors: number; rssMiB: number }[];
console.log(`\nmemory over a ${long}-step gridworld run (live tensors / RSS MiB at step)`);
console.log(`  ${mem.map((m) => `${m.step}: ${m.tensors} / ${m.rssMiB}`).join('   ')}`);
fs.rmSync(tmp, { recursive: true, force: true });

console.log('');
if (scaling() !== 0) process.exitCode = 1;
if (!quick) {
  for (const file of ['transformer-sampling.ts']) {
    console.log(`\n== bench/${file}`);
    const r = spawnSync(node, ['--import', 'tsx', path.join('bench', file)], { stdio: 'inherit' });
    if (r.status !== 0) process.exitCode = 1;
  }
}
