// Report numbers against hand-computed means and 95% intervals, on synthetic run directories.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  aggregateCurve,
  cellOf,
  loadReportData,
  movingAverage,
  smoothingWindow,
  summarizeCells,
  summarizeRun,
} from '../../src/report/data.ts';
import { regularizerGroups } from '../../src/report/figures.ts';
import { summaryTable, tableToCsv, tableToMarkdown, writeReport } from '../../src/report/report.ts';

const T2 = 4.30265273; // Student t, 97.5% quantile, 2 degrees of freedom

function writeRun(
  dir: string,
  success: number[],
  entropy: number[],
  state = 'finished',
  extra: Record<string, number[]> = {},
) {
  fs.mkdirSync(dir, { recursive: true });
  const lines = success.map((s, i) =>
    JSON.stringify({
      step: i + 1,
      success_rate: s,
      'actor/entropy': entropy[i],
      ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, v[i]])),
    }),
  );
  fs.writeFileSync(path.join(dir, 'metrics.jsonl'), `${lines.join('\n')}\n`);
  fs.writeFileSync(path.join(dir, 'status.json'), JSON.stringify({ state, step: success.length, total_steps: 4 }));
}

function fixture() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'report-'));
  // Cell A: three finished seeds.
  writeRun(path.join(root, 'A__seed-0'), [0, 0.25, 0.5, 1.0], [1.3, 1.2, 1.1, 1.0], 'finished', {
    'clip_cov/frac': [0.1, 0.2, 0.3, 0.4],
  });
  writeRun(path.join(root, 'A__seed-1'), [0, 0.5, 0.5, 0.5], [1.3, 1.1, 0.9, 0.8]);
  writeRun(path.join(root, 'A__seed-2'), [0.25, 0.25, 0.75, 0.75], [1.3, 1.0, 0.8, 0.6]);
  // Cell B: one finished seed and one still running (left out of the table by default).
  writeRun(path.join(root, 'B__seed-0'), [0, 0.1, 0.1, 0.2], [1.3, 1.3, 1.3, 1.3]);
  writeRun(path.join(root, 'B__seed-1'), [0, 0.9], [1.3, 1.3], 'running');
  fs.writeFileSync(
    path.join(root, 'B__seed-0', 'summary.json'),
    JSON.stringify({ eval: { successGreedy: 0.3, successSampled: 0.25 } }),
  );
  fs.mkdirSync(path.join(root, 'logs'));
  return root;
}

describe('report numbers', () => {
  it('groups run directories into cells by stripping the seed', () => {
    expect(cellOf('method-clip_cov__seed-12')).toBe('method-clip_cov');
    expect(cellOf('quickstart')).toBe('quickstart');
    const data = loadReportData(fixture(), 0.5);
    expect(data.kind).toBe('sweep');
    expect(data.cells.map((c) => [c.cell, c.runs.length])).toEqual([
      ['A', 3],
      ['B', 2],
    ]);
  });

  it('summarizes one run', () => {
    const data = loadReportData(fixture(), 0.5);
    // AUC of 0, .25, .5, 1 over steps 1..4: (.125 + .375 + .75) / 3.
    expect(summarizeRun(data.cells[0].runs[0], 0.5)).toMatchObject({
      finalSuccess: 1,
      bestSuccess: 1,
      successArea: 1.25 / 3,
      finalEntropy: 1.0,
      stepsToThreshold: 3,
    });
    expect(summarizeRun(data.cells[1].runs[0], 0.5).stepsToThreshold).toBeNaN();
    // Over 50 steps the curve is smoothed over 3 steps first: a lone 0.9 at step 10 averages to
    // 0.37 and does not count; 0.9 at steps 20-22 averages (0.1 + 0.9 + 0.9) / 3 = 0.63 at step 20.
    const success = Array.from({ length: 50 }, (_, i) => (i === 9 || (i >= 19 && i <= 21) ? 0.9 : 0.1));
    const run = {
      id: 'r',
      dir: '',
      cell: 'r',
      state: 'finished',
      metrics: success.map((v, i) => ({ step: i + 1, success_rate: v })),
    };
    expect(summarizeRun(run, 0.5).stepsToThreshold).toBe(20);
  });

  it('gives mean ± 95% CI per cell, computed by hand', () => {
    const data = loadReportData(fixture(), 0.5);
    const [a, b] = summarizeCells(data);
    expect(a.runs).toBe(3);
    // final success 1, .5, .75: mean .75, s = .25.
    expect(a.columns.finalSuccess.mean).toBeCloseTo(0.75, 12);
    expect(a.columns.finalSuccess.halfWidth).toBeCloseTo((T2 * 0.25) / Math.sqrt(3), 6);
    // AUC 1.25/3, 1.25/3, 1.5/3: mean 4/9.
    expect(a.columns.successArea.mean).toBeCloseTo(4 / 9, 12);
    const aucStd = Math.sqrt((2 * (1.25 / 3 - 4 / 9) ** 2 + (0.5 - 4 / 9) ** 2) / 2);
    expect(a.columns.successArea.halfWidth).toBeCloseTo((T2 * aucStd) / Math.sqrt(3), 6);
    // steps to ≥ 0.5: 3, 2, 3 → mean 8/3, s = √(1/3).
    expect(a.columns.stepsToThreshold.mean).toBeCloseTo(8 / 3, 12);
    expect(a.columns.stepsToThreshold.halfWidth).toBeCloseTo((T2 * Math.sqrt(1 / 3)) / Math.sqrt(3), 6);
    // final entropy 1.0, .8, .6: mean .8, s = .2.
    expect(a.columns.finalEntropy.mean).toBeCloseTo(0.8, 12);
    expect(a.columns.finalEntropy.halfWidth).toBeCloseTo((T2 * 0.2) / Math.sqrt(3), 6);
    expect(a.reached).toBe(3);
    // Cell B: only the finished run counts; one value has no interval.
    expect(b).toMatchObject({ runs: 1, unfinished: 1, reached: 0 });
    expect(b.columns.finalSuccess.mean).toBeCloseTo(0.2, 12);
    expect(b.columns.finalSuccess.halfWidth).toBeNaN();
    expect(b.columns.evalGreedy.mean).toBe(0.3);
    const withUnfinished = summarizeCells(data, true)[1];
    expect(withUnfinished.runs).toBe(2);
    expect(withUnfinished.columns.bestSuccess.mean).toBeCloseTo((0.2 + 0.9) / 2, 12);
  });

  it('averages curves per step over the runs that logged it', () => {
    const data = loadReportData(fixture(), 0.5);
    const a = aggregateCurve(data.cells[0].runs, 'success_rate');
    expect(a.map((p) => p.step)).toEqual([1, 2, 3, 4]);
    // Step 2: .25, .5, .25 → mean 1/3, s = √(1/48).
    expect(a[1].mean).toBeCloseTo(1 / 3, 12);
    expect(a[1].high - a[1].mean).toBeCloseTo((T2 * Math.sqrt(1 / 48)) / Math.sqrt(3), 6);
    expect([a[1].min, a[1].max]).toEqual([0.25, 0.5]);
    // Smoothed with a 3-step window, step 2 of the seeds becomes (0 + .25 + .5) / 3,
    // (0 + .5 + .5) / 3 and (.25 + .25 + .75) / 3.
    const smoothed = aggregateCurve(data.cells[0].runs, 'success_rate', 3);
    expect([smoothed[1].min, smoothed[1].max]).toEqual([0.25, 1.25 / 3]);
    expect(smoothed[1].mean).toBeCloseTo((0.25 + (0 + 0.5 + 0.5) / 3 + (0.25 + 0.25 + 0.75) / 3) / 3, 12);
    const b = aggregateCurve(data.cells[1].runs, 'success_rate');
    expect(b.map((p) => p.n)).toEqual([2, 2, 1, 1]);
    expect(b[3].low).toBeNaN();
  });

  it('formats the table as Markdown and CSV', () => {
    const data = loadReportData(fixture(), 0.5);
    const table = summaryTable(data, summarizeCells(data));
    const md = tableToMarkdown(table).split('\n');
    expect(md[0]).toBe(
      '| cell | runs | final success | best success | success AUC | final entropy | ' +
        'steps to ≥0.5 | test greedy | test sampled |',
    );
    expect(md[2]).toBe('| A | 3 | 0.750 ± 0.621 | 0.750 ± 0.621 | 0.444 ± 0.120 | 0.800 ± 0.497 | 2.7 ± 1.4 | — | — |');
    expect(md[3]).toBe('| B | 1 (+1 unfinished) | 0.200 | 0.200 | 0.100 | 1.300 | — (0/1 reached) | 0.300 | 0.250 |');
    const csv = tableToCsv(table).split('\n');
    expect(csv[1]).toBe('A,3,0.750 ± 0.621,0.750 ± 0.621,0.444 ± 0.120,0.800 ± 0.497,2.7 ± 1.4,—,—');
  });
});

describe('smoothing', () => {
  it('is a centered moving average that shrinks at the ends', () => {
    expect(movingAverage([0, 3, 6, 9], 3)).toEqual([1.5, 3, 6, 7.5]);
    expect(movingAverage([1, 2], 1)).toEqual([1, 2]);
    expect(smoothingWindow(10)).toBe(1);
    expect(smoothingWindow(150)).toBe(7);
    expect(smoothingWindow(100)).toBe(5);
  });
});

describe('report files', () => {
  it('writes a self-contained report.html and one SVG per figure', () => {
    const root = fixture();
    const out = writeReport(loadReportData(root, 0.5));
    const html = fs.readFileSync(out.html, 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|src="http|href="http/);
    expect(html).toContain('<td>0.750 ± 0.621</td>');
    const names = out.figures.map((f) => path.basename(f)).sort();
    expect(names).toEqual([
      'actor_entropy.cells.svg',
      'actor_entropy.runs.svg',
      'clip_cov_frac.cells.svg',
      'clip_cov_frac.runs.svg',
      'success_rate.cells.svg',
      'success_rate.runs.svg',
    ]);
    for (const file of out.figures) {
      const svg = fs.readFileSync(file, 'utf8');
      expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
      expect(html).toContain(svg.trimEnd());
    }
    // The per-cell success figure has a band for cell A (3 seeds).
    expect(fs.readFileSync(path.join(root, 'figures', 'success_rate.cells.svg'), 'utf8')).toContain('<polygon');
  });

  it('reports a single run directory', () => {
    const root = fixture();
    const data = loadReportData(path.join(root, 'A__seed-0'));
    expect(data.kind).toBe('run');
    const out = writeReport(data);
    expect(out.figures.map((f) => path.basename(f))).toContain('success_rate.runs.svg');
    expect(out.table.rows).toEqual([['A__seed-0', '1', '1.000', '1.000', '0.417', '1.000', '3.0']]);
  });

  it('finds regularizer groups among the metric keys', () => {
    const keys = new Set([
      'actor/entropy',
      'clip_cov/frac',
      'aepo/temperature',
      'aepo/n_reg',
      'perf/step_s',
      'success_rate',
    ]);
    expect([...regularizerGroups(keys)]).toEqual([
      ['aepo', ['aepo/n_reg', 'aepo/temperature']],
      ['clip_cov', ['clip_cov/frac']],
    ]);
  });

  it('says what it expected in a directory without runs', () => {
    expect(() => loadReportData(fs.mkdtempSync(path.join(os.tmpdir(), 'empty-')))).toThrow(
      /no runs with metrics.jsonl/,
    );
  });
});

describe('stale runs', () => {
  it("tells a run whose trainer is gone from one still training, though both say 'running'", async () => {
    const { spawn } = await import('node:child_process');
    const { staleRuns } = await import('../../src/report/data.ts');
    const root = fixture();
    const lock = (pid: number) =>
      JSON.stringify({ host: os.hostname(), pid, started: new Date().toISOString(), what: 'trainer' });
    // B__seed-1 says running; first its trainer is this (live) process, then a process that has exited
    fs.writeFileSync(path.join(root, 'B__seed-1', 'train.lock'), lock(process.pid));
    expect(loadReportData(root).cells[1].runs.map((r) => r.state)).toEqual(['finished', 'running']);
    const gone = spawn(process.execPath, ['-e', '']);
    await new Promise((r) => gone.once('exit', r));
    fs.writeFileSync(path.join(root, 'B__seed-1', 'train.lock'), lock(gone.pid!));
    const data = loadReportData(root);
    expect(data.cells[1].runs.map((r) => r.state)).toEqual(['finished', 'stale']);
    expect(staleRuns(data).map((r) => r.id)).toEqual(['B__seed-1']);
    // a run that says running with no lock at all has no trainer either
    fs.rmSync(path.join(root, 'B__seed-1', 'train.lock'));
    expect(staleRuns(loadReportData(root)).map((r) => r.id)).toEqual(['B__seed-1']);
    expect(writeReport(data).html).toBeTruthy();
    expect(fs.readFileSync(path.join(root, 'report.html'), 'utf8')).toContain('1 stale');
  });
});

describe('SFT runs', () => {
  it('reports a real SFT run: its loss and accuracy curves, final loss, accuracy and test columns', async () => {
    const { parseConfig } = await import('../../src/config/load.ts');
    const { runSft } = await import('../../src/train/sft.ts');
    const { readSummary } = await import('../../src/run/run-dir.ts');
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'report-sft-'));
    const dir = path.join(root, 'sft-tiny');
    const config = parseConfig({
      name: 'sft-tiny',
      env: { name: 'arithmetic', digits: 1, ops: ['+'] },
      policy: { kind: 'transformer', layers: 1, d_model: 16, heads: 2, context: 16 },
      eval: { episodes: 8, k: 2 },
      sft: { demos: 40, steps: 4, batch_size: 8, log_every: 2 },
    });
    await runSft(config, { runDir: dir, backend: 'wasm', log: () => {} });
    const data = loadReportData(dir);
    const run = data.cells[0].runs[0];
    expect(run).toMatchObject({ state: 'finished', kind: 'sft' });
    const logged = run.metrics.at(-1)!;
    const summary = readSummary(dir)!;
    expect(summarizeRun(run, 0.5)).toMatchObject({
      finalSftLoss: logged['sft/loss'],
      finalSftAccuracy: logged['sft/token_accuracy'],
      evalGreedy: summary.eval.successGreedy,
      evalSampled: summary.eval.successSampled,
    });
    const out = writeReport(data);
    expect(out.table.header).toEqual([
      'cell',
      'runs',
      'test greedy',
      'test sampled',
      'final SFT loss',
      'final token accuracy',
    ]);
    expect(out.table.rows[0].slice(2)).toEqual([
      summary.eval.successGreedy.toFixed(3),
      summary.eval.successSampled.toFixed(3),
      logged['sft/loss'].toFixed(3),
      logged['sft/token_accuracy'].toFixed(3),
    ]);
    expect(out.figures.map((f) => path.basename(f)).sort()).toEqual([
      'sft_loss.runs.svg',
      'sft_token_accuracy.runs.svg',
    ]);
    const html = fs.readFileSync(out.html, 'utf8');
    expect(html).toContain('<h2>Supervised warm start</h2>');
    expect(html).not.toContain('Regularizer: sft');
    // next to GRPO runs in one folder, each kind keeps its own columns
    writeRun(path.join(root, 'grpo'), [0, 0.5], [1.2, 1.1]);
    const both = writeReport(loadReportData(root));
    expect(both.table.header).toContain('final success');
    expect(both.table.header).toContain('final SFT loss');
    expect(both.table.rows.find((r) => r[0] === 'grpo')!.at(-1)).toBe('—');
  }, 60_000);
});
