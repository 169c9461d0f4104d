// SFT: demonstrations honour the wrong fraction (single- and multi-turn), a stopped or killed run
// resumes to the same metrics and weights, and a short SFT → GRPO run on arithmetic raises
// test-split pass@1 clearly above the SFT checkpoint's.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ArithmeticEnv, arithmeticSchema } from '../../envs/arithmetic.ts';
import { GuessNumberEnv, guessNumberSchema } from '../../envs/guess-number.ts';
import { selectBackend } from '../../src/backend/backend.ts';
import { Rng } from '../../src/base/rng.ts';
import { EOS } from '../../src/base/tokenizer.ts';
import { parseConfig } from '../../src/config/load.ts';
import { Adam } from '../../src/core/adam.ts';
import { loadCheckpoint } from '../../src/run/checkpoint.ts';
import { readStatus, readSummary } from '../../src/run/run-dir.ts';
import { makeEnvFactory, makePolicy } from '../../src/train/setup.ts';
import { makeDemonstrations, runSft, sftStep } from '../../src/train/sft.ts';
import { train } from '../../src/train/trainer.ts';
import { crashAfter, deterministicLines, stopAfter, tempDir } from '../helpers.ts';

describe('demonstrations', () => {
  it('a wrong_fraction of arithmetic demonstrations are wrong; each ends with EOS', () => {
    const factory = () => new ArithmeticEnv(arithmeticSchema.parse({ digits: 2 }));
    const demos = makeDemonstrations(factory, 1000, 0.3, new Rng('p'), new Rng('c'));
    expect(demos.successRate).toBeGreaterThan(0.65);
    expect(demos.successRate).toBeLessThan(0.75);
    for (const ep of demos.episodes.slice(0, 20)) {
      expect(ep.actions[ep.actions.length - 1]).toBe(EOS);
      expect(ep.observations.length).toBe(ep.actions.length);
    }
    expect(makeDemonstrations(factory, 200, 0, new Rng('p'), new Rng('c')).successRate).toBe(1);
  });

  it('guess-number demonstrations are whole dialogues with feedback between the turns', () => {
    const factory = () => new GuessNumberEnv(guessNumberSchema.parse({}));
    const demos = makeDemonstrations(factory, 100, 0, new Rng('p'), new Rng('c'));
    expect(demos.successRate).toBe(1);
    const long = demos.episodes.find((e) => e.actions.filter((a) => a === EOS).length >= 3)!;
    expect(long).toBeDefined();
    // between turns the observation grows by more than the action: the env's feedback was appended
    const eosAt = long.actions.indexOf(EOS);
    expect(long.observations[eosAt + 1].length).toBe(long.observations[eosAt].length + 3);
  });
});

describe('sftStep', () => {
  it('leaves no tensor behind: the live count is flat over five steps (it used to grow by one a step)', async () => {
    await selectBackend('cpu');
    const config = parseConfig({
      env: { name: 'arithmetic', digits: 1, ops: ['+'] },
      policy: { kind: 'transformer', layers: 1, d_model: 16, heads: 2, context: 16 },
    });
    const envFactory = makeEnvFactory(config);
    const policy = makePolicy(config, envFactory(), new Rng('init'));
    const optimizer = new Adam(policy.variables, { lr: 0.003, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
    const demos = makeDemonstrations(envFactory, 8, 0, new Rng('p'), new Rng('c')).episodes;
    // gradClip 1e-3 forces the clipping branch too
    for (const clip of [0, 1e-3]) {
      sftStep(policy, optimizer, demos, clip);
      const before = tf.memory().numTensors;
      const losses = Array.from({ length: 5 }, () => sftStep(policy, optimizer, demos, clip).loss);
      expect(tf.memory().numTensors).toBe(before);
      expect(losses.every(Number.isFinite)).toBe(true);
    }
    optimizer.dispose();
    policy.dispose();
  });
});

describe('SFT stop and resume', () => {
  it('a stopped or a killed SFT run, resumed, ends with the metrics and weights of an unstopped one', async () => {
    await selectBackend('wasm');
    const config = parseConfig({
      name: 'sft-resume',
      env: { name: 'arithmetic', digits: 1, ops: ['+'] },
      policy: { kind: 'transformer', layers: 1, d_model: 16, heads: 2, context: 16 },
      eval: { episodes: 8, k: 2 },
      // 40 demonstrations in batches of 16: the shuffle's permutations cross the stop points
      sft: { demos: 40, steps: 9, batch_size: 16, log_every: 2, checkpoint_every: 3 },
    });
    const quiet = { backend: 'wasm' as const, log: () => {} };
    const [full, stopped, killed] = [tempDir(), tempDir(), tempDir()];
    const uninterrupted = await runSft(config, { runDir: full, ...quiet });
    const lines = deterministicLines(path.join(full, 'metrics.jsonl'));
    expect(lines).toHaveLength(5); // steps 2, 4, 6, 8, 9

    const stop = await runSft(config, { runDir: stopped, ...stopAfter(5), ...quiet });
    expect(stop).toMatchObject({ interrupted: true, steps: 5 });
    expect(stop.final).toBeUndefined();
    expect(readStatus(stopped)).toMatchObject({ state: 'interrupted', step: 5, total_steps: 9 });
    expect(loadCheckpoint(stopped)).toMatchObject({ step: 5, metricsLines: 2 });
    await expect(runSft(config, { runDir: stopped, ...quiet })).rejects.toThrow(/--resume/);
    const resumed = await runSft(config, { runDir: stopped, resume: true, ...quiet });

    // killed after step 7: the checkpoint at step 6 is where it picks up, step 7 is redone
    await expect(runSft(config, { runDir: killed, ...crashAfter(7), ...quiet })).rejects.toThrow(/simulated crash/);
    expect(loadCheckpoint(killed).step).toBe(6);
    await runSft(config, { runDir: killed, resume: true, ...quiet });

    for (const dir of [stopped, killed]) {
      expect(deterministicLines(path.join(dir, 'metrics.jsonl'))).toEqual(lines);
      expect(loadCheckpoint(dir).policy.weights).toEqual(loadCheckpoint(full).policy.weights);
      expect(loadCheckpoint(dir).optimizer).toEqual(loadCheckpoint(full).optimizer);
      expect(readSummary(dir)!.eval).toEqual(readSummary(full)!.eval);
      expect(readSummary(dir)!.final.final_loss).toBe(readSummary(full)!.final.final_loss);
      expect(readStatus(dir)?.state).toBe('finished');
    }
    expect(resumed.final).toEqual(uninterrupted.final);
  }, 60_000);
});

describe('SFT → GRPO on arithmetic', () => {
  it('GRPO from the SFT checkpoint beats the SFT policy on test pass@1', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'entrolab-sft-'));
    const common = {
      seed: 0,
      env: { name: 'arithmetic', digits: 1, ops: ['+'] },
      policy: { kind: 'transformer', layers: 2, d_model: 32, heads: 2, context: 16 },
      eval: { episodes: 150, k: 4 },
    };
    const sftConfig = parseConfig({
      ...common,
      name: 'sft',
      sft: { demos: 1500, wrong_fraction: 0.3, steps: 400, batch_size: 32, lr: 0.003, log_every: 400 },
    });
    const sft = await runSft(sftConfig, { runDir: path.join(dir, 'sft'), backend: 'wasm', log: () => {} });
    const ckpt = loadCheckpoint(path.join(dir, 'sft'));
    expect(ckpt.policy.kind).toBe('transformer');
    expect((ckpt.policy.described.tokenizer as { tokens: string[] }).tokens).toContain('<eos>');
    // the warm start is imperfect, leaving GRPO room
    expect(sft.final!.successSampled).toBeGreaterThan(0.15);
    expect(sft.final!.successSampled).toBeLessThan(0.6);

    const grpoConfig = parseConfig({
      ...common,
      name: 'grpo',
      steps: 40,
      init_from: path.join(dir, 'sft'),
      rollout: { prompts_per_step: 16, group_size: 8 },
      grpo: { clip_ratio_high: 0.28, mini_batches: 2 },
      optim: { lr: 0.002 },
    });
    const grpo = await train(grpoConfig, { runDir: path.join(dir, 'grpo'), backend: 'wasm', log: () => {} });
    expect(grpo.final!.successSampled).toBeGreaterThan(sft.final!.successSampled + 0.1);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 120_000);
});

describe('entrolab sft (CLI)', () => {
  it('writes a checkpoint that eval reads, and reports a non-text env as a one-line user error', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'entrolab-sft-cli-'));
    const cli = (...args: string[]) => spawnSync(process.execPath, ['bin/entrolab.js', ...args], { encoding: 'utf8' });
    const tiny = [
      '--set',
      'sft.steps=3',
      '--set',
      'sft.demos=40',
      '--set',
      'sft.batch_size=8',
      '--set',
      'eval.episodes=8',
      '--set',
      'policy.d_model=16',
      '--set',
      'policy.heads=2',
    ];
    const ok = cli('sft', 'configs/sft-arithmetic.yaml', '--out', out, '--quiet', '--backend', 'wasm', ...tiny);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/pass@1\) [01]\.\d{3}/);
    for (const f of ['checkpoint.json', 'metrics.jsonl', 'summary.json', 'config.resolved.yaml'])
      expect(fs.existsSync(path.join(out, 'sft-arithmetic', f))).toBe(true);
    const again = cli('sft', 'configs/sft-arithmetic.yaml', '--out', out, '--quiet', ...tiny);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/already holds a run .*--force to start over/);
    const evaluated = cli('eval', path.join(out, 'sft-arithmetic'));
    expect(evaluated.status, evaluated.stderr).toBe(0);
    const grid = cli('sft', 'configs/quickstart.yaml', '--out', out, '--quiet');
    expect(grid.status).toBe(1);
    expect(grid.stderr.trim().split('\n')).toHaveLength(1);
    expect(grid.stderr).toMatch(/no demonstration generator/);
    fs.rmSync(out, { recursive: true, force: true });
  }, 60_000);
});
