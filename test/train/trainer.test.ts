// Short real trainings: learning, determinism, resume ≡ uninterrupted, no tensor leaks, NaN safety.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/backend.ts';
import { Rng } from '../../src/base/rng.ts';
import { configToYaml, loadConfig } from '../../src/config/load.ts';
import { evaluate } from '../../src/core/evaluate.ts';
import { loadCheckpoint } from '../../src/run/checkpoint.ts';
import { readStatus, readSummary } from '../../src/run/run-dir.ts';
import { makeEnvFactory, makePolicy } from '../../src/train/setup.ts';
import { train } from '../../src/train/trainer.ts';
import { crashAfter, deterministicLines, readJsonl, stopAfter, tempDir } from '../helpers.ts';

const QUICK = 'configs/quickstart.yaml';
const small = [
  'steps=12',
  'env.preset=open5',
  'rollout.prompts_per_step=4',
  'rollout.group_size=4',
  'policy.hidden=[16]',
  'checkpoint.every=4',
  'eval.episodes=8',
];

function correlation(x: number[], y: number[]): number {
  const mx = x.reduce((a, b) => a + b) / x.length;
  const my = y.reduce((a, b) => a + b) / y.length;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  x.forEach((xi, i) => {
    sxy += (xi - mx) * (y[i] - my);
    sxx += (xi - mx) ** 2;
    syy += (y[i] - my) ** 2;
  });
  return sxy / Math.sqrt(sxx * syy);
}

beforeAll(async () => {
  await selectBackend('wasm');
});

describe('trainer', () => {
  it('a short run on the 5×5 grid beats the random policy by a wide margin', async () => {
    const config = loadConfig(QUICK, ['steps=40', 'env.preset=open5', 'eval.episodes=200']);
    const envFactory = makeEnvFactory(config);
    const untrained = makePolicy(config, envFactory(), new Rng('untrained'));
    const before = evaluate(envFactory, untrained, { prompts: 200, k: 1, temperature: 1, seed: 'eval:final' });
    untrained.dispose();
    const result = await train(config, { runDir: tempDir(), log: () => {} });
    // the near-uniform initial policy solves ~30% within 16 steps; training should reach ≥ 80%
    expect(before.successSampled).toBeLessThan(0.45);
    expect(result.final!.successSampled).toBeGreaterThan(before.successSampled + 0.35);
    expect(result.final!.successSampled).toBeGreaterThan(0.8);
    const metrics = readJsonl(path.join(result.runDir, 'metrics.jsonl'));
    expect(metrics).toHaveLength(40);
    // entropy falls as the policy commits (GRPO's collapse, the thing regularizers act on)
    expect(metrics[39]['actor/entropy']).toBeLessThan(metrics[0]['actor/entropy'] - 0.3);
    // docs/grpo.md "Entropy dynamics": the first-order prediction −Cov(log π, Δz) tracks the measured change
    const measured = metrics.map((m) => m['entropy/measured_delta']);
    const predicted = metrics.map((m) => m['entropy/predicted_delta']);
    expect(correlation(measured, predicted)).toBeGreaterThan(0.8);
  });

  it("the sampler's log-probs equal the training pass's (MLP; transformer with KV cache, multi-turn)", async () => {
    const grid = tempDir();
    await train(loadConfig(QUICK, small), { runDir: grid, log: () => {} });
    for (const r of readJsonl(path.join(grid, 'metrics.jsonl')))
      expect(r['rollout/logprob_diff_max']).toBeLessThan(1e-5);
    const text = tempDir();
    const config = loadConfig('configs/text-guess-number.yaml', [
      'init_from=',
      'steps=2',
      'rollout.prompts_per_step=4',
      'rollout.group_size=4',
      'policy.d_model=32',
      'eval.episodes=4',
      'eval.every=0',
    ]);
    expect(config.init_from).toBeUndefined();
    await train(config, { runDir: text, log: () => {} });
    const rows = readJsonl(path.join(text, 'metrics.jsonl'));
    expect(rows).toHaveLength(2);
    for (const r of rows) {
      expect(r['num_turns/mean']).toBeGreaterThan(1); // several turns per dialogue went through the cache
      expect(r['rollout/logprob_diff_max']).toBeLessThan(1e-4);
    }
  });

  it('same config and seed give byte-identical metrics apart from perf/ fields (wasm)', async () => {
    const [a, b] = [tempDir(), tempDir()];
    await train(loadConfig(QUICK, small), { runDir: a, log: () => {} });
    await train(loadConfig(QUICK, small), { runDir: b, log: () => {} });
    const la = deterministicLines(path.join(a, 'metrics.jsonl'));
    expect(la).toHaveLength(12);
    expect(deterministicLines(path.join(b, 'metrics.jsonl'))).toEqual(la);
    const c = tempDir();
    await train(loadConfig(QUICK, [...small, 'seed=1']), { runDir: c, log: () => {} });
    expect(deterministicLines(path.join(c, 'metrics.jsonl'))).not.toEqual(la);
  });

  it('a run resumed from a checkpoint writes the same metrics as one that never stopped', async () => {
    const [full, cut] = [tempDir(), tempDir()];
    const config = loadConfig(QUICK, [...small, 'grpo.mini_batches=2', 'grpo.epochs=2']);
    await train(config, { runDir: full, log: () => {} });
    // "killed" after step 6: the last checkpoint is at step 4, so steps 5–6 are redone
    await expect(train(config, { runDir: cut, ...crashAfter(6), log: () => {} })).rejects.toThrow(/simulated crash/);
    expect(readJsonl(path.join(cut, 'metrics.jsonl'))).toHaveLength(6);
    expect(loadCheckpoint(cut).step).toBe(4);
    await expect(train(config, { runDir: cut, log: () => {} })).rejects.toThrow(/--resume/);
    await train(config, { runDir: cut, resume: true, log: () => {} });
    expect(deterministicLines(path.join(cut, 'metrics.jsonl'))).toEqual(
      deterministicLines(path.join(full, 'metrics.jsonl')),
    );
    expect(loadCheckpoint(cut).policy.weights).toEqual(loadCheckpoint(full).policy.weights);
    expect(readStatus(cut)?.state).toBe('finished');
    const again = await train(config, { runDir: cut, resume: true, log: () => {} });
    expect(again.skipped).toBe(true);
  });

  it(
    'stops through its abort signal after the step in flight, ' + 'checkpointed there, and resumes to the same metrics',
    async () => {
      const [full, cut] = [tempDir(), tempDir()];
      const config = loadConfig(QUICK, small); // checkpoints every 4 steps
      await train(config, { runDir: full, log: () => {} });
      const controller = new AbortController();
      const reported: number[] = [];
      const onStep = ({ step }: { step: number }) => {
        reported.push(step);
        if (step === 5) controller.abort(); // as the CLI does on Ctrl-C, in the middle of the run
      };
      const stopped = await train(config, { runDir: cut, signal: controller.signal, onStep, log: () => {} });
      expect(stopped).toMatchObject({ interrupted: true, steps: 5 });
      expect(stopped.final).toBeUndefined();
      expect(reported).toEqual([1, 2, 3, 4, 5]);
      expect(readStatus(cut)).toMatchObject({ state: 'interrupted', step: 5, total_steps: 12 });
      expect(loadCheckpoint(cut)).toMatchObject({ step: 5, metricsLines: 5 });
      expect(fs.existsSync(path.join(cut, 'summary.json'))).toBe(false);
      expect(fs.existsSync(path.join(cut, 'train.lock'))).toBe(false);
      const resumed = await train(config, {
        runDir: cut,
        resume: true,
        onStep: ({ step }) => reported.push(step),
        log: () => {},
      });
      expect(resumed.interrupted).toBeUndefined();
      expect(reported).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
      expect(deterministicLines(path.join(cut, 'metrics.jsonl'))).toEqual(
        deterministicLines(path.join(full, 'metrics.jsonl')),
      );
      expect(loadCheckpoint(cut).policy.weights).toEqual(loadCheckpoint(full).policy.weights);
      expect(resumed.final).toEqual(readSummary(full)!.eval);
    },
  );

  it('an aborted signal before the first step writes no metrics and leaves a resumable run', async () => {
    const dir = tempDir();
    const controller = new AbortController();
    controller.abort();
    const stopped = await train(loadConfig(QUICK, [...small, 'steps=2']), {
      runDir: dir,
      signal: controller.signal,
      log: () => {},
    });
    expect(stopped).toMatchObject({ interrupted: true, steps: 0 });
    expect(readJsonl(path.join(dir, 'metrics.jsonl'))).toHaveLength(0);
    expect(readStatus(dir)).toMatchObject({ state: 'interrupted', step: 0 });
    await train(loadConfig(QUICK, [...small, 'steps=2']), { runDir: dir, resume: true, log: () => {} });
    expect(readJsonl(path.join(dir, 'metrics.jsonl')).map((r) => r.step)).toEqual([1, 2]);
  });

  it('resumes a transformer run on a multi-turn text task to the same metrics', async () => {
    const config = loadConfig('configs/text-guess-number.yaml', [
      'init_from=',
      'steps=4',
      'checkpoint.every=2',
      'rollout.prompts_per_step=4',
      'rollout.group_size=4',
      'policy.d_model=32',
      'eval.episodes=4',
      'eval.every=0',
      'regularizers=[{name: epo}]',
    ]);
    const [full, cut] = [tempDir(), tempDir()];
    await train(config, { runDir: full, log: () => {} });
    // killed after step 3: resumes from the checkpoint at step 2
    await expect(train(config, { runDir: cut, ...crashAfter(3), log: () => {} })).rejects.toThrow(/simulated crash/);
    await train(config, { runDir: cut, resume: true, log: () => {} });
    const lines = deterministicLines(path.join(full, 'metrics.jsonl'));
    expect(lines).toHaveLength(4);
    expect(deterministicLines(path.join(cut, 'metrics.jsonl'))).toEqual(lines);
  });

  it('keeps the number of live tensors flat between step 10 and step 200', async () => {
    const counts: Record<number, number> = {};
    const sink = { write: (step: number) => void (counts[step] = tf.memory().numTensors), close() {} };
    const config = loadConfig(QUICK, [
      'steps=200',
      'rollout.prompts_per_step=2',
      'rollout.group_size=4',
      'policy.hidden=[8]',
      'checkpoint.every=50',
      'eval.episodes=4',
      'grpo.use_kl_loss=true',
      'grpo.mini_batches=2',
    ]);
    await train(config, { runDir: tempDir(), sinks: [sink], log: () => {} });
    expect(counts[10]).toBeGreaterThan(0);
    expect(counts[200]).toBe(counts[10]);
  });

  it('stays leak-free with every kind of regularizer hook active (AEPO, KL-Cov, EPO, STEER, bonus)', async () => {
    const counts: Record<number, number> = {};
    const sink = { write: (step: number) => void (counts[step] = tf.memory().numTensors), close() {} };
    const regs =
      '[{name: aepo, target_entropy: 1.2, reg_fraction: 0.5}, {name: kl_cov, ratio: 0.05}, ' +
      '{name: epo}, {name: steer}, {name: entropy_bonus, adaptive: true}]';
    const config = loadConfig(QUICK, [
      'steps=60',
      'env.preset=open5',
      'rollout.prompts_per_step=4',
      'rollout.group_size=4',
      'policy.hidden=[8]',
      'checkpoint.every=20',
      'eval.episodes=4',
      'grpo.mini_batches=2',
      `regularizers=${regs}`,
    ]);
    await train(config, { runDir: tempDir(), sinks: [sink], log: () => {} });
    expect(counts[10]).toBeGreaterThan(0);
    expect(counts[60]).toBe(counts[10]);
  });

  it(
    'a non-finite loss stops the run with a clear error, ' + 'keeps the last checkpoint, marks the run failed',
    async () => {
      const dir = tempDir();
      const good = loadConfig(QUICK, [...small, 'checkpoint.every=1']);
      await train(good, { runDir: dir, ...stopAfter(2), log: () => {} });
      const exploding = loadConfig(QUICK, [...small, 'checkpoint.every=1', 'optim.lr=1e38', 'optim.grad_clip=0']);
      // --resume takes only the config the run started with: record the exploding one as that config
      const resolved = path.join(dir, 'config.resolved.yaml');
      fs.writeFileSync(resolved, configToYaml(exploding));
      await expect(train(exploding, { runDir: dir, resume: true, log: () => {} })).rejects.toThrow(/not finite/);
      const status = readStatus(dir)!;
      expect(status.state).toBe('failed');
      expect(status.error).toMatch(/not finite/);
      const ckpt = loadCheckpoint(dir);
      expect(ckpt.step).toBe(2);
      expect(readJsonl(path.join(dir, 'metrics.jsonl'))).toHaveLength(2);
      // the kept checkpoint still resumes with a sane learning rate
      fs.writeFileSync(resolved, configToYaml(good));
      await train(good, { runDir: dir, resume: true, log: () => {} });
      expect(readJsonl(path.join(dir, 'metrics.jsonl'))).toHaveLength(12);
      expect(fs.existsSync(path.join(dir, 'config.resolved.yaml'))).toBe(true);
    },
  );
});

describe('trainer on the cpu backend', () => {
  it('is deterministic too', async () => {
    await selectBackend('cpu');
    const cfg = [...small, 'steps=4'];
    const [a, b] = [tempDir(), tempDir()];
    await train(loadConfig(QUICK, cfg), { runDir: a, backend: 'cpu', log: () => {} });
    await train(loadConfig(QUICK, cfg), { runDir: b, backend: 'cpu', log: () => {} });
    expect(deterministicLines(path.join(b, 'metrics.jsonl'))).toEqual(
      deterministicLines(path.join(a, 'metrics.jsonl')),
    );
    await selectBackend('wasm');
  });
});

describe('pass@k during and after training', () => {
  it('eval.log_pass_k logs eval/pass@K on eval.every steps from eval.samples; summary.json holds the curve', async () => {
    const dir = tempDir();
    const over = [
      ...small,
      'steps=4',
      'eval.every=2',
      'eval.samples=8',
      'eval.log_pass_k=[1, 8]',
      'eval.pass_k=[1, 2, 8]',
    ];
    await train(loadConfig(QUICK, over), { runDir: dir, log: () => {} });
    const metrics = readJsonl(path.join(dir, 'metrics.jsonl'));
    expect(metrics.map((m) => 'eval/pass@8' in m)).toEqual([false, true, false, true]);
    for (const m of [metrics[1], metrics[3]]) {
      expect(m['eval/pass@1']).toBeCloseTo(m['eval/success_sampled'], 12);
      expect(m['eval/pass@8']).toBeGreaterThanOrEqual(m['eval/pass@1']);
    }
    const summary = readSummary(dir)!;
    expect(summary.eval).toMatchObject({ k: 4, samples: 8 });
    expect(Object.keys(summary.eval.passAtKCurve)).toEqual(['1', '2', '8']);
    // without log_pass_k the in-training evaluation logs no pass@k
    const plain = tempDir();
    await train(loadConfig(QUICK, [...small, 'steps=2', 'eval.every=2']), { runDir: plain, log: () => {} });
    expect(Object.keys(readJsonl(path.join(plain, 'metrics.jsonl'))[1]).filter((k) => k.includes('pass@'))).toEqual([]);
    expect(Object.keys(readSummary(plain)!.eval.passAtKCurve)).toEqual(['1', '2', '4']);
  });
});

describe('run directory lock', () => {
  it('refuses a second trainer while one holds the run, and takes over a stale lock', async () => {
    const { spawn } = await import('node:child_process');
    const dir = tempDir();
    // a live process that is not us holds the lock
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    fs.writeFileSync(path.join(dir, 'train.lock'), `${sleeper.pid}\n`);
    await expect(train(loadConfig(QUICK, small), { runDir: dir, log: () => {} })).rejects.toThrow(
      /is being trained by process/,
    );
    sleeper.kill('SIGKILL');
    await new Promise((r) => sleeper.once('exit', r));
    // the holder is gone: the lock is stale and the run proceeds, releasing the lock at the end
    await train(loadConfig(QUICK, [...small, 'steps=2']), { runDir: dir, log: () => {} });
    expect(fs.existsSync(path.join(dir, 'train.lock'))).toBe(false);
    expect(readStatus(dir)?.state).toBe('finished');
  });
});
