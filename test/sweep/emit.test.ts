// Cluster job files as a user gets them: emitted by the CLI from a directory that is not the
// repository (with a space in its path), read back, and their task command lines run here as
// the scheduler would — from another directory, with PATH stripped, SLURM_ARRAY_TASK_ID or
// JOB_COMPLETION_INDEX set.
import { execFile, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { detectScheduler, resumeHint } from '../../src/cli/scheduler.ts';
import { readRunStatus } from '../../src/run/run-state.ts';
import { parseMem, parseResources, parseTime } from '../../src/sweep/emit.ts';
import { CONFIG_MOUNT, RUNS_MOUNT } from '../../src/sweep/emit-k8s.ts';
import { readSweepState } from '../../src/sweep/manifest.ts';

const CLI = path.resolve('bin/entrolab.js');
const run = promisify(execFile);

const BASE = `name: tiny
seed: 0
steps: 4
env: {name: gridworld, preset: open5}
policy: {kind: mlp, hidden: [8]}
rollout: {prompts_per_step: 2, group_size: 4}
eval: {episodes: 4}
checkpoint: {every: 2}
`;
const SWEEP = `name: tiny
base: base.yaml
seeds: 2
axes:
  - name: method
    options:
      grpo: {regularizers: []}
      kl_cov: {regularizers: [{name: kl_cov, ratio: 0.05}]}
`;
const IDS = ['method-grpo__seed-0', 'method-kl_cov__seed-0', 'method-grpo__seed-1', 'method-kl_cov__seed-1'];

/** A project directory (with a space in its path) holding a sweep; returns it and an emitter. */
function project(sweep = SWEEP) {
  const root = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sweep-emit-')), 'my project');
  fs.mkdirSync(root);
  fs.writeFileSync(path.join(root, 'base.yaml'), BASE);
  fs.writeFileSync(path.join(root, 'sweep.yaml'), sweep);
  const emit = (...args: string[]) =>
    run(process.execPath, [CLI, 'sweep', 'sweep.yaml', '--out', 'runs', ...args], { cwd: root });
  return { root, sweepDir: path.join(root, 'runs', 'tiny'), emit };
}

/** Run an emitted Slurm script as task `index` would: bash, another cwd, no usable PATH. */
function slurmTask(script: string, index: number) {
  const env = { SLURM_ARRAY_TASK_ID: String(index), SLURM_JOB_ID: '42', PATH: '/nonexistent', HOME: os.tmpdir() };
  return spawnSync('/bin/bash', [script], { cwd: os.tmpdir(), env, encoding: 'utf8' });
}

const errorLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('entrolab: error:'));

describe('Slurm script', () => {
  it('names everything by absolute path, asks for validated resources, and prints a quoted submit line', async () => {
    const p = project();
    const { stdout } = await p.emit(
      '--emit',
      'slurm',
      '--parallel',
      '2',
      '--mem',
      '1G',
      '--time',
      '90',
      '--backend',
      'cpu',
    );
    const file = path.join(p.sweepDir, 'sweep.slurm.sh');
    expect(stdout).toContain(`submit with: sbatch '${file}'`);
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    expect(lines[0]).toBe('#!/bin/bash');
    for (const line of [
      '#SBATCH --array=0-3%2',
      '#SBATCH --cpus-per-task=1',
      '#SBATCH --mem=1024M',
      '#SBATCH --time=01:30:00',
      '#SBATCH --signal=B:TERM@60',
      '#SBATCH --requeue',
      `#SBATCH --chdir="${p.sweepDir}"`,
      `#SBATCH --output="${p.sweepDir}/logs/slurm-%A_%a.log"`,
      `NODE=${process.execPath}`,
      `CLI=${CLI}`,
    ]) {
      expect(lines).toContain(line);
    }
    const hash = readSweepState(p.sweepDir)!.runs_hash!;
    expect(lines.at(-2)).toBe(
      `exec "$NODE" "$CLI" sweep '${path.join(p.root, 'sweep.yaml')}' --out '${path.join(p.root, 'runs')}' ` +
        `--only "$SLURM_ARRAY_TASK_ID" --runs-hash ${hash} --backend cpu --no-report`,
    );
    expect(lines.some((l) => l.includes('~1.1 CPU and ~0.55 GB'))).toBe(true);
    expect(fs.existsSync(path.join(p.sweepDir, 'logs'))).toBe(true);
  });

  it('runs a task from another directory with PATH stripped; the task logs and records itself', async () => {
    const p = project();
    await p.emit('--emit', 'slurm', '--backend', 'cpu');
    const task = slurmTask(path.join(p.sweepDir, 'sweep.slurm.sh'), 1);
    expect(task.stderr).not.toContain('entrolab: error');
    expect(task.status).toBe(0);
    expect(readRunStatus(path.join(p.sweepDir, IDS[1]))?.state).toBe('finished');
    expect(fs.existsSync(path.join(p.sweepDir, IDS[0]))).toBe(false);
    expect(fs.readFileSync(path.join(p.sweepDir, 'logs', `${IDS[1]}.log`), 'utf8')).toMatch(
      /=== attempt 1[\s\S]*run dir/,
    );
    // the task's output also reaches the scheduler's own log (here: our pipe)
    expect(task.stderr).toContain(`run dir ${path.join(p.sweepDir, IDS[1])}`);
    expect(readSweepState(p.sweepDir)!.results[IDS[1]]).toMatchObject({ state: 'finished', attempts: 1 });
    // submitting again: the finished run is skipped
    const again = slurmTask(path.join(p.sweepDir, 'sweep.slurm.sh'), 1);
    expect(again.status).toBe(0);
    expect(again.stderr).toContain('skipping 1 finished run(s)');
  });

  it('refuses with one line when the sweep changed since it was emitted', async () => {
    const p = project();
    await p.emit('--emit', 'slurm');
    fs.writeFileSync(
      path.join(p.root, 'sweep.yaml'),
      SWEEP.replace('      grpo:', '      bonus: {regularizers: [{name: entropy_bonus, coef: 0.01}]}\n      grpo:'),
    );
    const task = slurmTask(path.join(p.sweepDir, 'sweep.slurm.sh'), 0);
    expect(task.status).not.toBe(0);
    expect(errorLines(task.stderr)).toHaveLength(1);
    expect(task.stderr).toMatch(/the sweep changed since this job was emitted .*emit the job again/);
    expect(fs.readdirSync(p.sweepDir).filter((f) => f.startsWith('method-'))).toEqual([]);
  });

  it('checks the recorded node before running anything', async () => {
    const p = project();
    await p.emit('--emit', 'slurm', '--node', '/nonexistent/node');
    const missing = slurmTask(path.join(p.sweepDir, 'sweep.slurm.sh'), 0);
    expect(missing.status).toBe(2);
    expect(errorLines(missing.stderr)).toEqual([
      expect.stringMatching(/^entrolab: error: node not found at \/nonexistent\/node on .*--node PATH/),
    ]);

    const old = path.join(p.root, 'old-node');
    fs.writeFileSync(old, '#!/bin/sh\n[ "$1" = --version ] && echo v18.19.0 && exit 0\nexit 1\n', { mode: 0o755 });
    await p.emit('--emit', 'slurm', '--node', old);
    const tooOld = slurmTask(path.join(p.sweepDir, 'sweep.slurm.sh'), 0);
    expect(tooOld.status).toBe(2);
    expect(errorLines(tooOld.stderr)).toEqual([
      expect.stringMatching(/is Node v18\.19\.0; entrolab needs 20 or newer$/),
    ]);
  });

  it('passes the time-limit signal to the sweep, whose trainer checkpoints and says to re-submit', async () => {
    const p = project('name: tiny\nbase: base.yaml\nset: {steps: 400}\n');
    await p.emit('--emit', 'slurm', '--backend', 'cpu');
    const env = { SLURM_ARRAY_TASK_ID: '0', SLURM_JOB_ID: '42', PATH: '/nonexistent', HOME: os.tmpdir() };
    const task = spawn('/bin/bash', [path.join(p.sweepDir, 'sweep.slurm.sh')], { cwd: os.tmpdir(), env });
    let stderr = '';
    task.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => task.once('close', (code) => resolve(code)));
    const runDir = path.join(p.sweepDir, 'base__seed-0');
    for (let i = 0; i < 3000 && !((readRunStatus(runDir)?.step ?? 0) >= 5); i++)
      await new Promise((r) => setTimeout(r, 10));
    // what `--signal=B:TERM@60` does: SIGTERM to the batch shell, which exec'd node
    task.kill('SIGTERM');
    expect(await exited).toBe(130);
    const status = readRunStatus(runDir)!;
    expect(status.state).toBe('interrupted');
    expect(JSON.parse(fs.readFileSync(path.join(runDir, 'checkpoint.json'), 'utf8')).step).toBe(status.step);
    expect(stderr).toContain('re-submit the job');
    expect(stderr).not.toContain('run the same command');
  });

  it('validates resource flags with one line each', async () => {
    expect(parseResources({ parallel: 8, cpus: 2, mem: '512M', time: '1-00:00:00' }, 4)).toEqual({
      parallel: 4,
      cpus: 2,
      memMb: 512,
      timeSeconds: 86400,
    });
    expect(parseMem('3G')).toBe(3072);
    expect(parseTime('02:30:00')).toBe(9000);
    expect(() => parseResources({ parallel: 0, cpus: 1, mem: '1G', time: '10' }, 4)).toThrow(
      '--parallel: must be a whole number >= 1, got 0',
    );
    expect(() => parseResources({ parallel: 2.5, cpus: 1, mem: '1G', time: '10' }, 4)).toThrow(
      '--parallel: must be a whole number >= 1, got 2.5',
    );
    expect(() => parseResources({ cpus: 1, mem: '2GB', time: '10' }, 4)).toThrow(
      "--mem: expected a size like 512M or 2G, got '2GB'",
    );
    expect(() => parseResources({ cpus: 1, mem: '1G', time: '25:99:00' }, 4)).toThrow('--time: expected minutes');
    const p = project();
    const refused = await p.emit('--emit', 'slurm', '--workers', '3').then(
      () => undefined,
      (e: { stderr: string }) => e.stderr,
    );
    expect(refused?.trim()).toBe(
      'entrolab: error: --workers: with --emit, say how many tasks run at once with --parallel',
    );
  });
});

describe('Kubernetes manifest', () => {
  it(
    'is a valid ConfigMap + Indexed Job ' + 'whose pods read the sweep from the ConfigMap and write to the claim',
    async () => {
      const p = project();
      const { stdout } = await p.emit(
        '--emit',
        'k8s',
        '--parallel',
        '2',
        '--image',
        'registry.example/entrolab:1',
        '--pvc',
        'runs-rwx',
        '--backend',
        'cpu',
      );
      const file = path.join(p.sweepDir, 'sweep.k8s.yaml');
      expect(stdout).toContain(`submit with: kubectl apply -f '${file}'`);
      const text = fs.readFileSync(file, 'utf8');
      expect(text).toContain('ReadWriteMany');
      // the emit writes nothing else locally: the tasks write sweep.json and logs on the volume
      expect(fs.readdirSync(p.sweepDir)).toEqual(['sweep.k8s.yaml']);
      const [configMap, job] = YAML.parseAllDocuments(text).map((d) => d.toJS());
      new ConfigMap(configMap).validate();
      new Job(job).validate();
      expect(job.spec).toMatchObject({ completionMode: 'Indexed', completions: 4, parallelism: 2 });
      const pod = job.spec.template.spec;
      const container = pod.containers[0];
      expect(container.image).toBe('registry.example/entrolab:1');
      expect(container.resources).toEqual({ requests: { cpu: '1', memory: '2048Mi' }, limits: { memory: '2048Mi' } });
      expect(pod.activeDeadlineSeconds).toBe(7200);
      const mounts = Object.fromEntries(
        container.volumeMounts.map((m: { name: string; mountPath: string }) => [m.name, m.mountPath]),
      );
      const volumes = Object.fromEntries(pod.volumes.map((v: { name: string }) => [v.name, v]));
      expect(volumes[Object.keys(mounts).find((n) => mounts[n] === RUNS_MOUNT)!].persistentVolumeClaim.claimName).toBe(
        'runs-rwx',
      );
      expect(volumes[Object.keys(mounts).find((n) => mounts[n] === CONFIG_MOUNT)!].configMap.name).toBe(
        configMap.metadata.name,
      );
      const args: string[] = container.args;
      expect(args.slice(0, 6)).toEqual([
        'sweep',
        `${CONFIG_MOUNT}/sweep.yaml`,
        '--out',
        RUNS_MOUNT,
        '--only',
        '$(JOB_COMPLETION_INDEX)',
      ]);
      expect(Object.keys(configMap.data).sort()).toEqual(['base.yaml', 'sweep.yaml']);
      expect(configMap.data['base.yaml']).toBe(BASE);

      // Run pod 2 here: the ConfigMap's files and the claim are temp directories at the mount paths.
      const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-'));
      const [config, claim] = [path.join(scratch, 'config'), path.join(scratch, 'claim')];
      fs.mkdirSync(config);
      fs.mkdirSync(claim);
      for (const [name, data] of Object.entries(configMap.data as Record<string, string>))
        fs.writeFileSync(path.join(config, name), data);
      const mapped = args.map((a) =>
        a.replace(CONFIG_MOUNT, config).replace(RUNS_MOUNT, claim).replace('$(JOB_COMPLETION_INDEX)', '2'),
      );
      const pod2 = spawnSync(process.execPath, [CLI, ...mapped], {
        cwd: scratch,
        env: { ...process.env, JOB_COMPLETION_INDEX: '2' },
        encoding: 'utf8',
      });
      expect(pod2.stderr).not.toContain('entrolab: error');
      expect(pod2.status).toBe(0);
      const sweepDir = path.join(claim, 'tiny');
      expect(readRunStatus(path.join(sweepDir, IDS[2]))?.state).toBe('finished');
      expect(fs.existsSync(path.join(sweepDir, 'logs', `${IDS[2]}.log`))).toBe(true);
      expect(readSweepState(sweepDir)!.runs.map((r) => r.id)).toEqual(IDS);
      expect(readSweepState(sweepDir)!.results[IDS[2]].state).toBe('finished');
    },
  );
});

describe('scheduler hints', () => {
  it('says re-submit under Slurm or Kubernetes and keeps the local hint elsewhere', () => {
    expect(detectScheduler({ SLURM_JOB_ID: '1' })).toBe('slurm');
    expect(detectScheduler({ JOB_COMPLETION_INDEX: '0' })).toBe('kubernetes');
    expect(detectScheduler({})).toBeUndefined();
    expect(resumeHint('run it again', { SLURM_JOB_ID: '1' })).toMatch(/^re-submit the job/);
    expect(resumeHint('run it again', { KUBERNETES_SERVICE_HOST: '10.0.0.1' })).toMatch(/^re-apply the job/);
    expect(resumeHint('run it again', {})).toBe('run it again');
  });
});
