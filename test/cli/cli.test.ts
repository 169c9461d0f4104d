// The CLI as a user meets it: one clear line and a non-zero exit for bad input, never a stack trace.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers.ts';

function entrolab(args: string[]) {
  const r = spawnSync(process.execPath, ['bin/entrolab.js', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function expectOneLineError(r: ReturnType<typeof entrolab>, pattern: RegExp) {
  expect(r.code).not.toBe(0);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^entrolab: error: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
}

describe('entrolab CLI', () => {
  const out = tempDir();

  it('trains the quickstart, then eval and play read the run', () => {
    const r = entrolab(['train', 'configs/quickstart.yaml', '--out', out, '--set', 'steps=8', '--quiet']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/outputs: .*quickstart/);
    expect(r.stderr).toMatch(/backend wasm/);
    const runDir = path.join(out, 'quickstart');
    for (const f of ['metrics.jsonl', 'config.resolved.yaml', 'checkpoint.json', 'summary.json', 'status.json']) {
      expect(fs.existsSync(path.join(runDir, f)), f).toBe(true);
    }
    const ev = entrolab(['eval', runDir, '--episodes', '10', '--json']);
    expect(ev.code).toBe(0);
    const result = JSON.parse(ev.stdout);
    expect(result).toMatchObject({ prompts: 10, k: 4, step: 8 });
    expect(result.passAtK).toBeGreaterThanOrEqual(result.successSampled);
    expect(Object.keys(result.passAtKCurve)).toEqual(['1', '2', '4']);
    // --k takes a list (samples = the largest unless --samples says more) or a maximum
    const curve = JSON.parse(
      entrolab(['eval', runDir, '--episodes', '10', '--k', '1,8', '--samples', '16', '--json']).stdout,
    );
    expect(curve).toMatchObject({ k: 8, samples: 16 });
    expect(Object.keys(curve.passAtKCurve)).toEqual(['1', '8']);
    const upTo = entrolab(['eval', runDir, '--episodes', '10', '--k', '8']);
    expect(upTo.stdout).toMatch(
      /pass@k curve +@1 [\d.]+ {2}@2 [\d.]+ {2}@4 [\d.]+ {2}@8 [\d.]+ \(from 8 samples per prompt\)/,
    );
    expectOneLineError(entrolab(['eval', runDir, '--k', '4,x']), /--k: expected a number K or a comma-separated list/);
    const play = entrolab(['play', runDir, '--delay', '0', '--greedy']);
    expect(play.code).toBe(0);
    expect(play.stdout).toMatch(/step 1: (up|down|left|right)/);
    expect(play.stdout).toContain('A');
    // the same run dir again without --resume is refused, and nothing in it is touched
    const before = fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8');
    expectOneLineError(
      entrolab(['train', 'configs/quickstart.yaml', '--out', out, '--set', 'steps=8', '--quiet']),
      /already holds a run.*--resume/,
    );
    expect(fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8')).toBe(before);
  });

  it('Ctrl-C finishes the step, writes a checkpoint there, and --resume continues', async () => {
    const { spawn } = await import('node:child_process');
    const runDir = path.join(out, 'interrupted');
    const args = [
      'bin/entrolab.js',
      'train',
      'configs/quickstart.yaml',
      '--out',
      out,
      '--name',
      'interrupted',
      '--set',
      'steps=400',
      '--set',
      'checkpoint.every=1000',
      '--quiet',
    ];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    const metrics = path.join(runDir, 'metrics.jsonl');
    while (!fs.existsSync(metrics) || fs.readFileSync(metrics, 'utf8').split('\n').length < 4) {
      expect(child.exitCode, 'the trainer exited before its third step').toBeNull();
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGINT');
    const code = await new Promise((r) => child.on('exit', r));
    expect(code).toBe(130);
    expect(stdout).toMatch(
      /stopped after step (\d+) \(checkpoint written\); run the same command with --resume to continue/,
    );
    const status = JSON.parse(fs.readFileSync(path.join(runDir, 'status.json'), 'utf8'));
    expect(status.state).toBe('interrupted');
    const ckpt = JSON.parse(fs.readFileSync(path.join(runDir, 'checkpoint.json'), 'utf8'));
    expect(ckpt.step).toBe(status.step);
    expect(ckpt.step).toBeLessThan(400);
    expect(fs.readFileSync(metrics, 'utf8').trim().split('\n')).toHaveLength(ckpt.step);
    // the resume runs under the same config (steps=400) and is stopped again two steps on
    let resumedErr = '';
    const resumed = spawn(process.execPath, [...args, '--resume'], { stdio: ['ignore', 'pipe', 'pipe'] });
    resumed.stderr.on('data', (d) => (resumedErr += d));
    const lines = () => fs.readFileSync(metrics, 'utf8').split('\n').length - 1;
    while (!resumedErr.includes('resuming') || lines() < ckpt.step + 2) {
      expect(resumed.exitCode, 'the resumed trainer exited early').toBeNull();
      await new Promise((r) => setTimeout(r, 50));
    }
    resumed.kill('SIGINT');
    expect(await new Promise((r) => resumed.on('exit', r))).toBe(130);
    expect(resumedErr).toMatch(new RegExp(`resuming at step ${ckpt.step}`));
    expect(lines()).toBeGreaterThanOrEqual(ckpt.step + 2);
  });

  it('rejects a missing config file', () => {
    expectOneLineError(
      entrolab(['train', 'configs/nope.yaml', '--out', out]),
      /configs\/nope.yaml: config file not found/,
    );
  });

  it('rejects an unknown key with a suggestion', () => {
    expectOneLineError(
      entrolab(['train', 'configs/quickstart.yaml', '--out', out, '--set', 'rollout.group_sise=4']),
      /'rollout.group_sise' does not exist; did you mean 'rollout.group_size'/,
    );
  });

  it('rejects a negative group size', () => {
    expectOneLineError(
      entrolab(['train', 'configs/quickstart.yaml', '--out', out, '--set', 'rollout.group_size=-4']),
      /'rollout.group_size': got -4; allowed: an integer, >= 1/,
    );
  });

  it('rejects a string where a number belongs', () => {
    expectOneLineError(
      entrolab(['train', 'configs/quickstart.yaml', '--out', out, '--set', 'optim.lr=fast']),
      /'optim.lr': expected number, got "fast"/,
    );
  });

  it('rejects a sweep with no workers before starting anything', () => {
    expectOneLineError(
      entrolab(['sweep', 'configs/sweeps/klcov-ratio.yaml', '--workers', '0', '--out', path.join(out, 'sw')]),
      /--workers: expected a whole number from 1 to 1024, got "0"/,
    );
    expect(fs.existsSync(path.join(out, 'sw'))).toBe(false);
  });

  it('rejects an unknown flag and an unknown run dir', () => {
    expectOneLineError(entrolab(['train', 'configs/quickstart.yaml', '--bogus']), /Unknown argument: bogus/);
    expectOneLineError(entrolab(['eval', path.join(out, 'nope')]), /run directory not found/);
  });

  it('lists every environment, preset, policy, regularizer, advantage estimator and policy loss a config can name', async () => {
    const r = entrolab(['list']);
    expect(r.code).toBe(0);
    const { REGULARIZERS } = await import('../../algorithms/registry.ts');
    const { ENVS } = await import('../../envs/registry.ts');
    const { ADV_ESTIMATOR_NAMES } = await import('../../algorithms/advantages/registry.ts');
    const { POLICY_LOSS_NAMES } = await import('../../algorithms/policy-losses/registry.ts');
    const names = [...Object.keys(REGULARIZERS), ...Object.keys(ENVS), ...ADV_ESTIMATOR_NAMES, ...POLICY_LOSS_NAMES];
    for (const name of [...names, 'mlp', 'transformer', 'key_door']) {
      expect(r.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
    }
    expect(r.stdout).toMatch(/clip_cov .*\n\s+keys: ratio, lower_bound, upper_bound/);
    expect(r.stdout).toMatch(/reinforce_plus_plus .*\n\s+keys: grpo.gamma\n/);
    expect(r.stdout).toMatch(/policy losses \(grpo.policy_loss\):\n\s+vanilla /);
    expect(r.stdout).toMatch(/sapo .*\n\s+keys: grpo.sapo.tau_pos, grpo.sapo.tau_neg\n/);
  });

  it('--help lists every command with the usage and summary its own module declares', async () => {
    const { COMMANDS } = await import('../../src/cli/command-index.ts');
    const r = entrolab(['--help']);
    expect(r.code).toBe(0);
    for (const entry of COMMANDS) {
      const module = await entry.load();
      expect([module.command, module.describe]).toEqual([entry.usage, entry.describe]);
      expect(r.stdout).toContain(`entrolab ${entry.usage}`);
    }
    expectOneLineError(entrolab(['trian']), /Did you mean train\?/);
  });

  it('explains itself with --help', () => {
    const r = entrolab(['train', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--set/);
    expect(r.stdout).toMatch(/--resume/);
    expect(r.stdout).toMatch(/--backend/);
  });
});
