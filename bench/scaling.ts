// How a GRPO step's cost grows with its work: entrolab's ms/step (median after step 3, each shape
// in its own process through bench/workload.ts) over a grid of shapes, each point the comparison
// workload with one axis changed. The same shape runs side by side with the PyTorch peer as
// `KEY=value ... vs-torch.sh grid|text` (the keys are the comparison script's own).
//   node --import tsx bench/scaling.ts [--quick]   (--quick: a subset, fewer steps)
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { DEFAULT_SHAPE, type Shape } from './workloads.ts';

interface Point {
  work: 'grid' | 'text';
  axis: string;
  /** The keys that differ from the default shape. */
  set: Partial<Shape>;
  /** Part of the --quick subset. */
  quick?: boolean;
}

const grid = (axis: string, set: Partial<Shape>, quick = false): Point => ({ work: 'grid', axis, set, quick });
const text = (axis: string, set: Partial<Shape>, quick = false): Point => ({ work: 'text', axis, set, quick });

export const POINTS: Point[] = [
  grid('episodes P×G', { P: 8, G: 4 }, true),
  grid('episodes P×G', {}, true),
  grid('episodes P×G', { P: 64, G: 8 }),
  grid('episodes P×G', { P: 128, G: 8 }, true),
  grid('grid/horizon', { SIZE: 5, HORIZON: 16 }),
  grid('grid/horizon', { SIZE: 10, HORIZON: 40, P: 32, G: 4 }, true),
  grid('grid/horizon', { SIZE: 16, HORIZON: 64 }, true),
  grid('MLP width', { HIDDEN: 32 }),
  grid('MLP width', { HIDDEN: 128 }),
  grid('MLP width', { HIDDEN: 256 }, true),
  grid('rollout workers', { WORKERS: 2 }),
  grid('rollout workers', { SIZE: 10, HORIZON: 40, P: 32, G: 16 }),
  grid('rollout workers', { SIZE: 10, HORIZON: 40, P: 32, G: 16, WORKERS: 2 }),
  text('episodes P×G', { P: 8, G: 4 }),
  text('episodes P×G', {}, true),
  text('episodes P×G', { P: 64, G: 8 }),
  text('d_model', { D: 32 }),
  text('d_model', { D: 128 }),
  text('d_model', { D: 256 }, true),
  text('layers', { L: 1 }),
  text('layers', { L: 4 }, true),
  text('completion (digits)', { DIGITS: 1 }),
  text('completion (digits)', { DIGITS: 4 }, true),
  text('rollout workers', { WORKERS: 2 }),
];

const quick = process.argv.includes('--quick');
const steps = quick ? 10 : 20;
const label = (p: Point) =>
  Object.keys(p.set).length
    ? Object.entries(p.set)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')
    : '(default)';
const fmt = (x: unknown) => (x as number).toFixed(1).padStart(7);

const d = DEFAULT_SHAPE;
console.log(
  `scaling: ms/step, median of steps 4..${steps} (${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}); ` +
    `defaults grid ${d.SIZE}×${d.SIZE} horizon ${d.HORIZON} MLP ${d.HIDDEN}-${d.HIDDEN}, text d${d.D} L${d.L} ` +
    `${d.DIGITS}-digit sums, P=${d.P} G=${d.G}`,
);
console.log(
  `  ${'workload'.padEnd(9)}${'axis'.padEnd(21)}${'shape'.padEnd(28)}   step  sample old pass  update  after  tokens/s`,
);
for (const p of POINTS.filter((p) => !quick || p.quick)) {
  const env = { ...process.env, ...Object.fromEntries(Object.entries(p.set).map(([k, v]) => [k, String(v)])) };
  const args = ['--import', 'tsx', 'bench/workload.ts', p.work, String(steps)];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(`bench/workload.ts ${p.work} ${label(p)}: ${r.stderr}`);
  const m = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  console.log(
    `  ${p.work.padEnd(9)}${p.axis.padEnd(21)}${label(p).padEnd(28)}${fmt(m.step_ms)}${fmt(m.sample_ms)}` +
      `${fmt(m.old_pass_ms)} ${fmt(m.update_ms)}${fmt(m.after_update_ms)}  ${Math.round(m.tokens_per_s)}`,
  );
}
