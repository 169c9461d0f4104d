// The sweep runner's process management, against a fake `train` that behaves like the real one
// (status.json, checkpoint.json, metrics.jsonl, --resume) and can be told to fail or wait.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { readRunStatus } from '../../src/run/run-state.ts';
import { readSweepState } from '../../src/sweep/manifest.ts';
import { ProcessSlots } from '../../src/sweep/process-slots.ts';
import { runSweep, trainArgv } from '../../src/sweep/runner.ts';
import { expandSweep } from '../../src/sweep/spec.ts';

const FAKE_TRAIN = `
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
const argv = process.argv.slice(2);
const opt = (name) => argv[argv.indexOf(name) + 1];
const pairs = argv.flatMap((a, i) => (argv[i - 1] === '--set' ? [a.split('=')] : []));
const sets = Object.fromEntries(pairs.map(([k, v]) => [k, JSON.parse(v)]));
const runDir = path.join(opt('--out'), opt('--name'));
fs.mkdirSync(runDir, { recursive: true });
fs.writeFileSync(path.join(runDir, 'pid'), String(process.pid));
const write = (f, v) => {
  fs.writeFileSync(path.join(runDir, f + '.tmp'), JSON.stringify(v));
  fs.renameSync(path.join(runDir, f + '.tmp'), path.join(runDir, f));
};
const steps = sets.steps ?? 4;
let start = 0;
const ckpt = path.join(runDir, 'checkpoint.json');
if (argv.includes('--resume') && fs.existsSync(ckpt)) start = JSON.parse(fs.readFileSync(ckpt, 'utf8')).step;
fs.appendFileSync(path.join(runDir, 'invocations.log'), 'start ' + start + ' seed ' + opt('--seed') + '\\n');
const metricsFile = path.join(runDir, 'metrics.jsonl');
const old = fs.existsSync(metricsFile) ? fs.readFileSync(metricsFile, 'utf8').split('\\n').filter(Boolean) : [];
const kept = old.slice(0, start);
fs.writeFileSync(metricsFile, kept.map((l) => l + '\\n').join(''));
if (start >= steps) process.exit(0);
if (sets['fake.exit_before_status'] !== undefined) {
  process.stderr.write('entrolab: error: init_from: /nowhere: no checkpoint found\\n');
  process.exit(sets['fake.exit_before_status']);
}
if (sets['fake.fail']) {
  write('status.json', { state: 'failed', step: start, total_steps: steps, error: 'loss is NaN at step 1' });
  process.exit(1);
}
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
if (sets['fake.await_peer']) {
  const active = path.join(opt('--out'), 'active');
  fs.mkdirSync(active, { recursive: true });
  fs.writeFileSync(path.join(active, opt('--name')), '');
  for (let i = 0; fs.readdirSync(active).length < 2; i++) { if (i > 500) process.exit(3); sleep(20); }
}
if (sets['fake.track']) {
  // how many fake trainers run at this moment, across every sweep that names this directory
  const me = path.join(sets['fake.track'], opt('--name') + '-' + process.pid);
  fs.mkdirSync(sets['fake.track'], { recursive: true });
  fs.writeFileSync(me, '');
  fs.appendFileSync(sets['fake.track'] + '.log', fs.readdirSync(sets['fake.track']).length + '\\n');
  process.on('exit', () => fs.rmSync(me, { force: true }));
}
for (let step = start + 1; step <= steps; step++) {
  sleep(sets['fake.step_ms'] ?? 0);
  const line = { step, success_rate: step / steps, seed: Number(opt('--seed')) };
  fs.appendFileSync(metricsFile, JSON.stringify(line) + '\\n');
  if (step % 2 === 0) write('checkpoint.json', { step });
  write('status.json', { state: step === steps ? 'finished' : 'running', step, total_steps: steps });
}
`;

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 4000 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(condition()).toBe(true);
}

function setup(sweepYaml: string) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sweep-runner-'));
  const fake = path.join(root, 'fake-train.mjs');
  fs.writeFileSync(fake, FAKE_TRAIN);
  fs.writeFileSync(path.join(root, 'base.yaml'), 'name: base\nsteps: 4\n');
  const file = path.join(root, 'sweep.yaml');
  fs.writeFileSync(file, sweepYaml);
  const sweep = expandSweep(YAML.parse(sweepYaml), file);
  const sweepDir = path.join(root, 'out', sweep.name);
  const lines: string[] = [];
  const options = { sweepDir, workers: 2, trainCommand: [process.execPath, fake], log: (l: string) => lines.push(l) };
  const pid = (id: string) => Number(fs.readFileSync(path.join(sweepDir, id, 'pid'), 'utf8'));
  const invocations = (id: string) =>
    fs
      .readFileSync(path.join(sweepDir, id, 'invocations.log'), 'utf8')
      .trim()
      .split('\n');
  const steps = (id: string) =>
    fs
      .readFileSync(path.join(sweepDir, id, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).step);
  return { sweep, sweepDir, options, lines, invocations, steps, pid };
}

describe('sweep runner', () => {
  it('builds train argv with overrides, seed, run dir and --resume', () => {
    const { sweep, sweepDir } = setup('base: base.yaml\naxes: [{key: grpo.clip_ratio_high, values: [0.28]}]\n');
    const state = { base: sweep.base } as Parameters<typeof trainArgv>[0];
    expect(trainArgv(state, sweep.runs[0], sweepDir, ['--backend', 'cpu'])).toEqual([
      'train',
      sweep.base,
      '--set',
      'grpo.clip_ratio_high=0.28',
      '--seed',
      '0',
      '--out',
      sweepDir,
      '--name',
      'clip_ratio_high-0.28__seed-0',
      '--resume',
      '--quiet',
      '--backend',
      'cpu',
    ]);
  });

  it('runs every run, records outcomes, then skips finished runs on a re-run', async () => {
    const t = setup('name: grid\nbase: base.yaml\nseeds: 2\naxes: [{key: steps, values: [2, 4]}]\n');
    const first = await runSweep(t.sweep, t.options);
    expect(first.finished.sort()).toEqual(t.sweep.runs.map((r) => r.id).sort());
    expect(first.failed).toEqual([]);
    for (const run of t.sweep.runs) {
      expect(readRunStatus(path.join(t.sweepDir, run.id))?.state).toBe('finished');
      expect(t.invocations(run.id)).toEqual([`start 0 seed ${run.seed}`]);
    }
    expect(t.steps('steps-4__seed-1')).toEqual([1, 2, 3, 4]);
    const state = readSweepState(t.sweepDir)!;
    expect(state.runs.map((r) => r.id)).toEqual(t.sweep.runs.map((r) => r.id));
    expect(state.results['steps-2__seed-0']).toMatchObject({ state: 'finished', attempts: 1, exit_code: 0 });
    expect(fs.existsSync(path.join(t.sweepDir, 'logs', 'steps-2__seed-0.log'))).toBe(true);

    const second = await runSweep(t.sweep, t.options);
    expect(second.skipped).toHaveLength(4);
    expect(second.finished).toEqual([]);
    for (const run of t.sweep.runs) expect(t.invocations(run.id)).toHaveLength(1);
  });

  it('reports a failed run without stopping the others, and retries it on a re-run', async () => {
    const t = setup(`base: base.yaml
axes:
  - name: mode
    options:
      ok: {}
      broken: {fake.fail: true}
      ok2: {steps: 6}
`);
    const summary = await runSweep(t.sweep, { ...t.options, workers: 1 });
    expect(summary.failed).toEqual(['mode-broken__seed-0']);
    expect(summary.finished).toEqual(['mode-ok__seed-0', 'mode-ok2__seed-0']);
    const result = readSweepState(t.sweepDir)!.results['mode-broken__seed-0'];
    expect(result).toMatchObject({ state: 'failed', exit_code: 1, error: 'loss is NaN at step 1' });
    expect(t.lines.some((l) => l.includes('FAILED mode-broken__seed-0') && l.includes('loss is NaN'))).toBe(true);
    const again = await runSweep(t.sweep, { ...t.options, workers: 1 });
    expect(again.failed).toEqual(['mode-broken__seed-0']);
    expect(readSweepState(t.sweepDir)!.results['mode-broken__seed-0'].attempts).toBe(2);
  });

  // a trainer that exits before writing any status: a user error (exit 1, its one line) would be
  // refused again and is not retried; an internal error (70) or a V8 abort (134) is a crash
  it.each([
    [1, false],
    [70, true],
    [134, true],
    [2, true],
  ])('a trainer that exits %d before its first status is retried: %s', async (code, retried) => {
    const t = setup(`base: base.yaml\nset: {fake.exit_before_status: ${code}}\n`);
    const summary = await runSweep(t.sweep, { ...t.options, workers: 1 });
    const id = 'base__seed-0';
    expect(summary.failed).toEqual([id]);
    expect(summary.retried).toEqual(retried ? [id] : []);
    expect(t.invocations(id)).toHaveLength(retried ? 2 : 1);
    const result = readSweepState(t.sweepDir)!.results[id];
    expect(result).toMatchObject({ state: 'failed', attempts: retried ? 2 : 1, exit_code: code });
    expect(result.error).toMatch(/no checkpoint found/);
  });

  it('shares process slots between sweeps: never more trainers at once than slots', async () => {
    const track = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sweep-slots-')), 'running');
    const yaml = `base: base.yaml\nseeds: 3\nset: {steps: 6, fake.step_ms: 50, fake.track: ${JSON.stringify(track)}}\n`;
    for (const size of [1, 2]) {
      fs.rmSync(`${track}.log`, { force: true });
      const slots = new ProcessSlots(size);
      const [a, b] = [setup(yaml), setup(yaml)];
      const summaries = await Promise.all([
        runSweep(a.sweep, { ...a.options, workers: 2, slots }),
        runSweep(b.sweep, { ...b.options, workers: 2, slots }),
      ]);
      expect(summaries.map((s) => s.finished.length)).toEqual([3, 3]);
      const seen = fs.readFileSync(`${track}.log`, 'utf8').trim().split('\n').map(Number);
      expect(seen).toHaveLength(6);
      expect(Math.max(...seen)).toBeLessThanOrEqual(size);
      expect(slots.available).toBe(size);
    }
  });

  it('runs workers in parallel', async () => {
    // Each fake run waits until another one is running; with one worker at a time it would give up.
    const t = setup('base: base.yaml\nseeds: 2\nset: {fake.await_peer: true}\n');
    const summary = await runSweep(t.sweep, { ...t.options, workers: 2 });
    expect(summary.finished).toHaveLength(2);
  });

  it(
    'marks a trainer killed with -9 failed, ' + 'retries it once from its checkpoint, and lets the others go on',
    async () => {
      const t = setup('base: base.yaml\nseeds: 2\nset: {steps: 40, fake.step_ms: 25}\n');
      const id = 'base__seed-0';
      const running = runSweep(t.sweep, { ...t.options, workers: 2, heartbeatMs: 20 });
      const runDir = path.join(t.sweepDir, id);
      // Kill the trainer process (not the sweep) once it has checkpointed a few steps.
      await until(() => (readRunStatus(runDir)?.step ?? 0) >= 5);
      process.kill(t.pid(id), 'SIGKILL');
      const summary = await running;
      expect(summary.retried).toEqual([id]);
      expect(summary.finished.sort()).toEqual(['base__seed-0', 'base__seed-1']);
      expect(summary.failed).toEqual([]);
      expect(t.lines.some((l) => l.includes(`FAILED ${id}`) && l.includes('killed by SIGKILL'))).toBe(true);
      expect(t.lines.some((l) => l.includes(`retry  ${id} once`))).toBe(true);
      expect(t.lines.some((l) => /done; running: .*base__seed-0 \d+\/40/.test(l))).toBe(true);
      expect(readSweepState(t.sweepDir)!.results[id]).toMatchObject({ state: 'finished', attempts: 2 });
      const [, resumed] = t.invocations(id);
      const resumedFrom = Number(resumed.split(' ')[1]);
      expect(resumedFrom).toBeGreaterThanOrEqual(4);
      expect(resumedFrom % 2).toBe(0);
      // Every step exactly once: the resumed trainer cut metrics back to its checkpoint.
      expect(t.steps(id)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      expect(t.invocations('base__seed-1')).toEqual(['start 0 seed 1']);
    },
  );

  it('gives up on a run whose retry crashes too; a re-run resumes only that run', async () => {
    const t = setup('base: base.yaml\nseeds: 2\nset: {steps: 60, fake.step_ms: 20}\n');
    const id = 'base__seed-0';
    const runDir = path.join(t.sweepDir, id);
    const running = runSweep(t.sweep, { ...t.options, workers: 2 });
    await until(() => (readRunStatus(runDir)?.step ?? 0) >= 3);
    const first = t.pid(id);
    process.kill(first, 'SIGKILL');
    await until(() => fs.existsSync(path.join(runDir, 'pid')) && t.pid(id) !== first && t.invocations(id).length === 2);
    process.kill(t.pid(id), 'SIGKILL');
    const summary = await running;
    expect(summary.failed).toEqual([id]);
    expect(summary.finished).toEqual(['base__seed-1']);
    expect(readSweepState(t.sweepDir)!.results[id]).toMatchObject({ state: 'failed', attempts: 2, signal: 'SIGKILL' });

    const again = await runSweep(t.sweep, { ...t.options, workers: 2 });
    expect(again.skipped).toEqual(['base__seed-1']);
    expect(again.finished).toEqual([id]);
    expect(t.invocations('base__seed-1')).toHaveLength(1);
    expect(t.invocations(id)).toHaveLength(3);
    expect(t.steps(id)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
  });

  it('refuses a second sweep on the same directory while the first runs', async () => {
    const t = setup('base: base.yaml\nset: {steps: 30, fake.step_ms: 10}\n');
    const first = runSweep(t.sweep, t.options);
    await expect(runSweep(t.sweep, t.options)).rejects.toThrow(/another sweep is running here: process \d+ on /);
    expect((await first).finished).toEqual(['base__seed-0']);
    // released at the end: a later sweep may run
    expect((await runSweep(t.sweep, t.options)).skipped).toEqual(['base__seed-0']);
  });

  it('leaves a run alone while another live process trains it, and resumes it once that process is gone', async () => {
    const t = setup('base: base.yaml\nseeds: 2\n');
    const runDir = path.join(t.sweepDir, 'base__seed-0');
    fs.mkdirSync(runDir, { recursive: true });
    fs.writeFileSync(path.join(runDir, 'status.json'), JSON.stringify({ state: 'running', step: 1, total_steps: 4 }));
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    const lock = { host: os.hostname(), pid: holder.pid, started: new Date().toISOString(), what: 'trainer' };
    fs.writeFileSync(path.join(runDir, 'train.lock'), JSON.stringify(lock));
    const busy = await runSweep(t.sweep, t.options);
    expect(busy.busy).toEqual(['base__seed-0']);
    expect(busy.finished).toEqual(['base__seed-1']);
    expect(
      t.lines.some((l) =>
        l.includes(`busy   base__seed-0: being trained by process ${holder.pid} on ${os.hostname()}`),
      ),
    ).toBe(true);
    holder.kill('SIGKILL');
    await new Promise((r) => holder.once('exit', r));
    const resumed = await runSweep(t.sweep, t.options);
    expect(resumed.finished).toEqual(['base__seed-0']);
    expect(t.lines.some((l) => l.includes('resume (stale: its trainer was gone) base__seed-0'))).toBe(true);
  });

  it('stops launching and terminates children when aborted; a re-run completes the sweep', async () => {
    const t = setup('base: base.yaml\nseeds: 3\nset: {steps: 30, fake.step_ms: 20}\n');
    const controller = new AbortController();
    const running = runSweep(t.sweep, { ...t.options, workers: 1, signal: controller.signal });
    const firstDir = path.join(t.sweepDir, 'base__seed-0');
    await until(() => (readRunStatus(firstDir)?.step ?? 0) >= 3);
    controller.abort();
    const first = await running;
    expect(first.interrupted).toEqual(['base__seed-0']);
    expect(fs.existsSync(path.join(t.sweepDir, 'base__seed-1'))).toBe(false);
    const second = await runSweep(t.sweep, { ...t.options, workers: 3 });
    expect(second.finished.sort()).toEqual(['base__seed-0', 'base__seed-1', 'base__seed-2']);
    expect(t.steps('base__seed-0')).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  });

  it('refuses to mix runs made with different settings', async () => {
    const t = setup('name: s\nbase: base.yaml\n');
    await runSweep(t.sweep, t.options);
    fs.writeFileSync(t.sweep.base, 'name: base\nsteps: 8\n');
    await expect(runSweep(t.sweep, t.options)).rejects.toThrow(
      /changed since 1 run\(s\) were made \(e\.g\. base__seed-0\)/,
    );
  });

  it('--only runs one index and records itself where readers of the sweep find it', async () => {
    const t = setup('name: s\nbase: base.yaml\nseeds: 3\n');
    const summary = await runSweep(t.sweep, { ...t.options, only: [2] });
    expect(summary.finished).toEqual(['base__seed-2']);
    expect(fs.existsSync(path.join(t.sweepDir, 'base__seed-0'))).toBe(false);
    expect(JSON.parse(fs.readFileSync(path.join(t.sweepDir, 'sweep.json'), 'utf8')).results).toEqual({});
    expect(readSweepState(t.sweepDir)!.results['base__seed-2']).toMatchObject({ state: 'finished', attempts: 1 });
    expect(fs.readFileSync(path.join(t.sweepDir, 'logs', 'base__seed-2.log'), 'utf8')).toContain('=== attempt 1');

    // a task of a sweep that grew since sweep.json was written still shows up in the run list
    const grown = expandSweep(YAML.parse('name: s\nbase: base.yaml\nseeds: 4\n'), t.sweep.file);
    await runSweep(grown, { ...t.options, only: [3] });
    expect(readSweepState(t.sweepDir)!.runs.map((r) => r.id)).toEqual([
      'base__seed-0',
      'base__seed-1',
      'base__seed-2',
      'base__seed-3',
    ]);
  });
});
