// End to end: `entrolab sweep` with real `train` runs on a tiny gridworld — parallel runs,
// the report at the end, skip on re-run, and resume after the sweep is killed mid-run.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { inspectLock } from '../../src/run/lock.ts';
import { readRunStatus } from '../../src/run/run-state.ts';
import { readSweepState } from '../../src/sweep/manifest.ts';

const CLI = path.resolve('bin/entrolab.js');
const run = promisify(execFile);

const BASE = `name: tiny
seed: 0
steps: 6
env: {name: gridworld, preset: open5}
policy: {kind: mlp, hidden: [16]}
rollout: {prompts_per_step: 4, group_size: 4}
eval: {episodes: 8}
checkpoint: {every: 2}
`;

function setup(sweep: string) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sweep-e2e-'));
  fs.writeFileSync(path.join(root, 'base.yaml'), BASE);
  fs.writeFileSync(path.join(root, 'sweep.yaml'), sweep);
  return root;
}

const steps = (runDir: string) =>
  fs
    .readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l).step as number);

describe('entrolab sweep (real train runs)', () => {
  it('runs a grid in parallel, reports it, and skips it on a re-run', async () => {
    const root = setup(`name: grid
base: base.yaml
seeds: 2
axes:
  - name: method
    options:
      grpo: {regularizers: []}
      kl_cov: {regularizers: [{name: kl_cov, ratio: 0.05}]}
`);
    const args = [
      CLI,
      'sweep',
      path.join(root, 'sweep.yaml'),
      '--out',
      path.join(root, 'runs'),
      '--workers',
      '2',
      '--backend',
      'cpu',
    ];
    const first = await run(process.execPath, args);
    const sweepDir = path.join(root, 'runs', 'grid');
    const ids = ['method-grpo__seed-0', 'method-kl_cov__seed-0', 'method-grpo__seed-1', 'method-kl_cov__seed-1'];
    for (const id of ids) {
      expect(readRunStatus(path.join(sweepDir, id))?.state).toBe('finished');
      const resolved = YAML.parse(fs.readFileSync(path.join(sweepDir, id, 'config.resolved.yaml'), 'utf8'));
      expect(resolved.name).toBe(id);
      expect(resolved.seed).toBe(Number(id.slice(-1)));
      expect(resolved.regularizers.map((r: { name: string }) => r.name)).toEqual(
        id.includes('kl_cov') ? ['kl_cov'] : [],
      );
      expect(steps(path.join(sweepDir, id))).toEqual([1, 2, 3, 4, 5, 6]);
    }
    // Different seeds give different curves.
    expect(fs.readFileSync(path.join(sweepDir, ids[0], 'metrics.jsonl'), 'utf8')).not.toBe(
      fs.readFileSync(path.join(sweepDir, ids[2], 'metrics.jsonl'), 'utf8'),
    );
    const table = first.stdout.trim().split('\n');
    expect(table[0]).toMatch(/^\| cell \| runs \| final success/);
    expect(table.slice(2).map((l) => l.split(' | ')[0])).toEqual(['| method-grpo', '| method-kl_cov']);
    expect(table[2].split(' | ')[1]).toBe('2');
    expect(fs.existsSync(path.join(sweepDir, 'report.html'))).toBe(true);
    // KL-Cov's own diagnostics get figures (only its cell has them).
    expect(fs.existsSync(path.join(sweepDir, 'figures', 'kl_cov_selected_frac.cells.svg'))).toBe(true);
    expect(Object.values(readSweepState(sweepDir)!.results).map((r) => r.state)).toEqual([
      'finished',
      'finished',
      'finished',
      'finished',
    ]);

    const second = await run(process.execPath, [...args, '--no-report']);
    expect(second.stderr).toContain('skipping 4 finished run(s)');
    expect(second.stderr).toContain('0 finished, 4 already done, 0 failed');
  });

  it('resumes from checkpoints after the sweep process is killed mid-run', async () => {
    const root = setup('name: long\nbase: base.yaml\nset: {steps: 200}\n');
    const sweepDir = path.join(root, 'runs', 'long');
    const runDir = path.join(sweepDir, 'base__seed-0');
    const args = [
      CLI,
      'sweep',
      path.join(root, 'sweep.yaml'),
      '--out',
      path.join(root, 'runs'),
      '--workers',
      '1',
      '--backend',
      'cpu',
      '--no-report',
    ];
    const child = spawn(process.execPath, args, { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    for (let i = 0; i < 3000 && !((readRunStatus(runDir)?.step ?? 0) >= 7); i++)
      await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGTERM');
    expect(await exited).toBe(130);
    const stoppedAt = readRunStatus(runDir)!;
    // the trainer finished its step, checkpointed it and marked itself interrupted
    expect(stoppedAt.state).toBe('interrupted');
    expect(stoppedAt.step).toBeLessThan(200);
    expect(JSON.parse(fs.readFileSync(path.join(runDir, 'checkpoint.json'), 'utf8')).step).toBe(stoppedAt.step);
    expect(readSweepState(sweepDir)!.results['base__seed-0'].state).toBe('interrupted');

    const second = await run(process.execPath, args);
    expect(second.stderr).toContain('resume base__seed-0');
    expect(readRunStatus(runDir)?.state).toBe('finished');
    expect(steps(runDir)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
  });

  it(
    'under faults: a second sweep is refused, ' +
      'a trainer killed twice fails the sweep by name, stale runs are told apart',
    async () => {
      const root = setup(`name: faults
base: base.yaml
axes:
  - key: steps
    values: [120, 6]
`);
      const sweepDir = path.join(root, 'runs', 'faults');
      const [longId, shortId] = ['steps-120__seed-0', 'steps-6__seed-0'];
      const longDir = path.join(sweepDir, longId);
      const args = [
        CLI,
        'sweep',
        path.join(root, 'sweep.yaml'),
        '--out',
        path.join(root, 'runs'),
        '--workers',
        '2',
        '--backend',
        'cpu',
        '--no-report',
      ];
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
      const until = async (condition: () => boolean) => {
        for (let i = 0; i < 6000 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
      };
      // the lock module's reader: a lock caught between its creation and its first write reads as pid 0
      const trainerPid = () => inspectLock(path.join(longDir, 'train.lock'))?.holder.pid ?? 0;
      await until(() => (readRunStatus(longDir)?.step ?? 0) >= 5 && trainerPid() > 0);
      // hold the trainer still while the second sweep starts (slow on a loaded machine), so the first
      // sweep is certainly still running when the second one looks at the lock
      const held = trainerPid();
      process.kill(held, 'SIGSTOP');
      const second = await run(process.execPath, args).then(
        () => undefined,
        (e: { stderr: string }) => e.stderr,
      );
      process.kill(held, 'SIGCONT');
      expect(second?.trim().split('\n').at(-1)).toMatch(
        /^entrolab: error: .*faults: another sweep is running here: process \d+ on \S+ \(since [^)]+\); stop it first$/,
      );

      await until(() => trainerPid() > 0);
      const first = trainerPid();
      process.kill(first, 'SIGKILL');
      await until(() => stderr.includes(`retry  ${longId} once`) && trainerPid() > 0 && trainerPid() !== first);
      await until(() => (readRunStatus(longDir)?.step ?? 0) >= 8);
      process.kill(trainerPid(), 'SIGKILL');
      expect(await exited).toBe(1);
      const errors = stderr.split('\n').filter((l) => l.startsWith('entrolab: error:'));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(
        new RegExp(`1 run\\(s\\) failed: ${longId} \\(logs in .*\\); run the same command again`),
      );
      expect(readRunStatus(path.join(sweepDir, shortId))?.state).toBe('finished');
      expect(readSweepState(sweepDir)!.results[longId]).toMatchObject({
        state: 'failed',
        attempts: 2,
        signal: 'SIGKILL',
      });

      // status.json still says running; every reader tells that it is stale
      expect(readRunStatus(longDir)?.state).toBe('running');
      const listing = await run(process.execPath, [...args, '--dry-run']);
      expect(listing.stdout).toMatch(new RegExp(`${longId}\\s+stale at \\d+/120 \\(trainer gone\\)`));
      const evaluated = await run(process.execPath, [CLI, 'eval', longDir, '--backend', 'cpu', '--episodes', '2']);
      expect(evaluated.stderr).toMatch(
        new RegExp(
          /says running but its trainer, process \d+ on \S+ \(since [^)]+\), is gone: /.source +
            /it crashed or was killed at step \d+\/120/.source,
        ),
      );
      const reported = await run(process.execPath, [CLI, 'report', sweepDir, '--format', 'none']);
      expect(reported.stderr).toContain(
        `note: 1 run(s) say running but their trainer is gone (crashed or killed): ${longId}`,
      );

      // a re-run resumes only what is unfinished
      const again = await run(process.execPath, args);
      expect(again.stderr).toContain('skipping 1 finished run(s)');
      expect(again.stderr).toContain(`resume (stale: its trainer was gone) ${longId}`);
      expect(readRunStatus(longDir)?.state).toBe('finished');
      expect(steps(longDir)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    },
  );
});
