// The method table (entrolab repro methods): the decisive-difference rule and the row parsing on
// hand-worked cases, every registered method covered on every task (a row, or a reason), the
// sweeps' expansion, and a quick run end to end: its structure, numbers recomputed from the runs'
// own files, one shared warm start, and the same files on a re-run.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { meanCi95 } from '../../src/report/stats.ts';
import { tailMean } from '../../src/repro/fit.ts';
import {
  BASELINE,
  decisive,
  type MetricCell,
  type MetricKey,
  markCount,
  methodKey,
  NOT_APPLICABLE,
  notApplicable,
  registeredMethods,
  rowMethod,
  TABLE_TASKS,
  type TableRow,
  type TaskTable,
} from '../../src/repro/method-table.ts';
import { cellText, marksNote } from '../../src/repro/method-table-page.ts';
import { sweepRows, TABLE_QUICK_SET, tableSweep } from '../../src/repro/run-method-table.ts';
import { readJsonl, tempDir } from '../helpers.ts';

const CLI = path.resolve('bin/entrolab.js');
const run = promisify(execFile);

describe('the decisive mark', () => {
  it('marks a paired difference only when its 95% CI excludes 0', () => {
    // [1, 2, 3]: mean 2, half-width 4.3027/√3 = 2.484 → CI [−0.48, 4.48] includes 0
    expect(decisive(meanCi95([1, 2, 3]))).toBe(0);
    // [1, 1.1, 0.9]: mean 1, s = 0.1, half-width 0.248 → [0.75, 1.25]
    expect(decisive(meanCi95([1, 1.1, 0.9]))).toBe(1);
    expect(decisive(meanCi95([-1, -1.1, -0.9]))).toBe(-1);
    // two seeds: t(0.975, 1) = 12.71, so even 0.1 and 0.2 (half-width 0.635) are not decisive
    expect(decisive(meanCi95([0.1, 0.2]))).toBe(0);
    expect(decisive(meanCi95([5]))).toBe(0);
    const cell = { values: [0.2, 0.3, 0.25], ci: meanCi95([0.2, 0.3, 0.25]), decisive: -1 as const };
    expect(cellText(cell)).toBe('0.250 ± 0.124 ▼');
  });

  it('counts the marked paired comparisons against what chance gives at 5% each', () => {
    const cellOf = (diffs: number[]): MetricCell => {
      const ci = meanCi95(diffs);
      return { values: diffs, ci, diff: { seeds: diffs.map((_, i) => i), values: diffs, ci }, decisive: decisive(ci) };
    };
    const row = (label: string, cells: Record<MetricKey, MetricCell>): TableRow => ({
      label,
      kind: 'regularizer',
      names: [label],
      settings: '',
      seeds: [0, 1, 2],
      metrics: cells,
    });
    const notDecisive = cellOf([1, 2, 3]);
    const table: TaskTable = {
      task: TABLE_TASKS[0],
      rows: [
        // the baseline: no paired differences
        {
          ...row('grpo', { pass1: notDecisive, pass16: notDecisive, pass64: notDecisive, entropy: notDecisive }),
          kind: 'baseline',
        },
        row('a', {
          pass1: cellOf([1, 1.1, 0.9]),
          pass16: notDecisive,
          pass64: cellOf([-1, -1.1, -0.9]),
          entropy: notDecisive,
        }),
        // one paired seed: not a comparison
        row('b', { pass1: cellOf([5]), pass16: cellOf([5]), pass64: cellOf([5]), entropy: cellOf([5]) }),
      ],
      notApplicable: [],
      missing: [],
    };
    table.rows[0].metrics = Object.fromEntries(
      Object.entries(table.rows[0].metrics).map(([k, c]) => [k, { ...c, diff: undefined, decisive: 0 }]),
    ) as Record<MetricKey, MetricCell>;
    expect(markCount(table)).toEqual({ marked: 2, compared: 4, byChance: 0.2 });
    expect(marksNote(table)).toMatch(/^2 of 4 paired comparisons are marked; .* about 0\.2 would be marked by chance/);
    expect(marksNote({ ...table, rows: [table.rows[0]] })).toMatch(/^No paired comparisons yet/);
  });

  it('reads what a row runs from its overrides', () => {
    expect(rowMethod('grpo', [['regularizers', []]])).toMatchObject({ kind: 'baseline', names: [] });
    expect(rowMethod('clip_cov', [['regularizers', [{ name: 'clip_cov', ratio: 0.01 }]]])).toMatchObject({
      kind: 'regularizer',
      names: ['clip_cov'],
      settings: 'regularizers: [{"name":"clip_cov","ratio":0.01}]',
    });
    expect(rowMethod('rloo', [['grpo.adv_estimator', 'rloo']])).toMatchObject({ kind: 'estimator', names: ['rloo'] });
    expect(rowMethod('gspo', [['grpo.policy_loss', 'gspo']])).toMatchObject({ kind: 'policy loss', names: ['gspo'] });
    expect(rowMethod('qae', [['grpo.quantile_k', 0.4]])).toMatchObject({ kind: 'variant', names: [] });
  });
});

describe('the rows', () => {
  for (const task of TABLE_TASKS) {
    it(`${task.id}: every registered method has a row or a reason, GRPO is a row, n/a methods have none`, () => {
      const rows = sweepRows(task);
      expect(rows[0].label).toBe(BASELINE);
      const methods = rows.map((r) => rowMethod(r.label, r.overrides));
      const covered = new Set(methods.flatMap((m) => m.names.map((n) => methodKey(m.kind, n))));
      const uncovered = registeredMethods().filter(
        (m) => !covered.has(methodKey(m.kind, m.name)) && !notApplicable(m.name, task.id),
      );
      expect(uncovered).toEqual([]);
      const coveredNames = new Set(methods.flatMap((m) => m.names));
      for (const name of Object.keys(NOT_APPLICABLE))
        if (notApplicable(name, task.id)) expect(coveredNames.has(name)).toBe(false);
      // a row is named for its method (a policy loss's with loss- before it): one line each
      rows.forEach((r, i) => {
        const { kind, names } = methods[i];
        if (kind === 'regularizer' || kind === 'estimator') expect(names).toEqual([r.label]);
        if (kind === 'policy loss') expect(names.map((n) => `loss-${n}`)).toEqual([r.label]);
      });
    });

    it(`${task.id}: the sweep warm-starts every run from the one SFT run, on the SFT config's env and policy`, () => {
      const sweep = tableSweep(task, [0, 1], true, '/tmp/warm');
      expect(sweep.runs).toHaveLength(2 * sweepRows(task).length);
      for (const r of sweep.runs) {
        expect(r.overrides).toContainEqual(['init_from', '/tmp/warm']);
        expect(r.overrides).toContainEqual(['steps', TABLE_QUICK_SET.steps]);
      }
      const base = loadConfig(sweep.base);
      const sft = loadConfig(path.resolve('configs', task.sft));
      expect(base.env).toEqual(sft.env);
      expect(base.policy).toEqual(sft.policy);
      const full = tableSweep(task, [0], false, '/tmp/warm');
      expect(full.runs[0].overrides).toContainEqual(['eval.samples', 64]);
      expect(full.runs[0].overrides).toContainEqual(['eval.pass_k', [1, 16, 64]]);
    });
  }
});

describe('entrolab repro methods --quick (real runs)', () => {
  it('tables the rows it ran with numbers from the runs, trains the warm start once, and re-runs identically', async () => {
    const out = tempDir('methods-quick-');
    const args = [CLI, 'repro', 'methods', '--quick', '--tasks', 'word-hunt', '--rows', 'clip_cov', '--seeds', '2'];
    const { stdout } = await run(process.execPath, [...args, '--workers', '2', '--out', out], { timeout: 600_000 });
    const dir = path.join(out, 'methods');
    const saved = JSON.parse(fs.readFileSync(path.join(dir, 'table.json'), 'utf8')) as { tasks: TaskTable[] };
    expect(saved.tasks.map((t) => t.task.id)).toEqual(['word-hunt']);
    const table = saved.tasks[0];
    const row = (label: string) => table.rows.find((r) => r.label === label)!;
    expect(row('grpo').seeds).toEqual([0, 1]);
    expect(row('clip_cov').seeds).toEqual([0, 1]);
    expect(row('kl_cov').seeds).toEqual([]);
    expect(table.notApplicable.map((n) => n.name).sort()).toEqual(['arpo', 'hwe_reward', 'pear']);
    expect(table.missing).toEqual([]);

    // the numbers are the runs': pass@64 from summary.json, entropy from metrics.jsonl
    const sweepDir = path.join(out, 'sweeps', 'methods-word-hunt');
    for (const seed of [0, 1]) {
      const runDir = path.join(sweepDir, `method-grpo__seed-${seed}`);
      const summary = JSON.parse(fs.readFileSync(path.join(runDir, 'summary.json'), 'utf8'));
      expect(row('grpo').metrics.pass64.values[seed]).toBe(summary.eval.passAtKCurve['64']);
      expect(row('grpo').metrics.pass1.values[seed]).toBe(summary.eval.passAtKCurve['1']);
      const entropy = readJsonl(path.join(runDir, 'metrics.jsonl')).map((m) => m['actor/entropy']);
      expect(row('grpo').metrics.entropy.values[seed]).toBeCloseTo(tailMean(entropy, 0.1), 12);
    }
    const { diff } = row('clip_cov').metrics.entropy;
    expect(diff!.values).toEqual(
      [0, 1].map((i) => row('clip_cov').metrics.entropy.values[i] - row('grpo').metrics.entropy.values[i]),
    );
    expect(row('clip_cov').metrics.entropy.decisive).toBe(decisive(meanCi95(diff!.values)));

    // one warm start, named by every run
    const warm = path.join(out, 'warm-starts', 'word-hunt');
    expect(fs.existsSync(path.join(warm, 'summary.json'))).toBe(true);
    for (const id of ['method-grpo__seed-0', 'method-clip_cov__seed-1']) {
      const resolved = fs.readFileSync(path.join(sweepDir, id, 'config.resolved.yaml'), 'utf8');
      expect(resolved).toContain(`init_from: ${warm}`);
    }
    expect(stdout).toContain('| method | kind | seeds | pass@1 | pass@16 | pass@64 | final entropy |');
    expect(stdout).toMatch(/\| kl_cov \| regularizer \| not run \|/);
    expect(stdout).toContain('| arpo | regularizer | n/a: ');
    expect(fs.readFileSync(path.join(dir, 'index.html'), 'utf8')).toContain('Paired differences against GRPO');

    // a re-run finds everything done: the warm start is kept and the files come out the same
    const before = ['table.md', 'table.json', 'index.html'].map((f) => fs.readFileSync(path.join(dir, f), 'utf8'));
    const warmMtime = fs.statSync(path.join(warm, 'summary.json')).mtimeMs;
    await run(process.execPath, [...args, '--workers', '2', '--out', out], { timeout: 300_000 });
    expect(['table.md', 'table.json', 'index.html'].map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))).toEqual(
      before,
    );
    expect(fs.statSync(path.join(warm, 'summary.json')).mtimeMs).toBe(warmMtime);
  }, 900_000);
});
