// The run lifecycle both kinds share: an SFT warm start now keeps its directory like a GRPO run
// (status.json, lock, refusal without --resume/--force, a finished run skipped, failure recorded),
// and both write summary.json of one shape.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/backend.ts';
import { loadConfig, parseConfig } from '../../src/config/load.ts';
import { readStatus, readSummary } from '../../src/run/run-dir.ts';
import { runSft } from '../../src/train/sft.ts';
import { train } from '../../src/train/trainer.ts';
import { deterministicLines, tempDir } from '../helpers.ts';

const quiet = { backend: 'wasm' as const, log: () => {} };
const sftConfig = (over: Record<string, unknown> = {}) =>
  parseConfig({
    name: 'sft-tiny',
    env: { name: 'arithmetic', digits: 1, ops: ['+'] },
    policy: { kind: 'transformer', layers: 1, d_model: 16, heads: 2, context: 16 },
    eval: { episodes: 8, k: 2 },
    sft: { demos: 40, steps: 6, batch_size: 8, log_every: 2, checkpoint_every: 3 },
    ...over,
  });

beforeAll(async () => {
  await selectBackend('wasm');
});

describe('run lifecycle', () => {
  it('SFT writes status.json, releases its lock, refuses a second run unless told, skips when finished', async () => {
    const dir = tempDir();
    const first = await runSft(sftConfig(), { runDir: dir, ...quiet });
    expect(first).toMatchObject({ steps: 6 });
    expect(readStatus(dir)).toMatchObject({ state: 'finished', step: 6, total_steps: 6, backend: 'wasm' });
    expect(fs.existsSync(path.join(dir, 'train.lock'))).toBe(false);
    await expect(runSft(sftConfig(), { runDir: dir, ...quiet })).rejects.toThrow(
      /already holds a run \(finished at step 6\/6\); pass --resume to continue it or --force to start over/,
    );
    const again = await runSft(sftConfig(), { runDir: dir, resume: true, ...quiet });
    expect(again).toMatchObject({ skipped: true, steps: 6 });
    const lines = deterministicLines(path.join(dir, 'metrics.jsonl'));
    expect(lines).toHaveLength(3); // steps 2, 4, 6
    await runSft(sftConfig(), { runDir: dir, force: true, ...quiet });
    expect(deterministicLines(path.join(dir, 'metrics.jsonl'))).toEqual(lines);
  }, 60_000);

  it('both kinds write summary.json of one shape', async () => {
    const [sftDir, grpoDir] = [tempDir(), tempDir()];
    await runSft(sftConfig(), { runDir: sftDir, ...quiet });
    const grpo = loadConfig('configs/quickstart.yaml', ['steps=2', 'env.preset=open5', 'eval.episodes=4']);
    await train(grpo, { runDir: grpoDir, ...quiet });
    const [sft, trained] = [readSummary(sftDir)!, readSummary(grpoDir)!];
    const shape = ['kind', 'steps', 'backend', 'eval', 'train_wall_s', 'final'];
    expect(Object.keys(sft)).toEqual(shape);
    expect(Object.keys(trained)).toEqual(shape);
    expect(sft).toMatchObject({ kind: 'sft', steps: 6, backend: 'wasm' });
    expect(trained).toMatchObject({ kind: 'train', steps: 2, backend: 'wasm', final: {} });
    expect(Object.keys(sft.final)).toEqual(['demo_success', 'final_loss', 'train_tokens_per_s']);
    expect(Object.keys(sft.eval)).toEqual(Object.keys(trained.eval));
    // the final loss is the loss of the last step, as metrics.jsonl logged it
    const lastLine = JSON.parse(fs.readFileSync(path.join(sftDir, 'metrics.jsonl'), 'utf8').trim().split('\n').pop()!);
    expect(sft.final.final_loss).toBe(lastLine['sft/loss']);
    expect(sft.train_wall_s).toBeGreaterThan(0);
  }, 60_000);

  it('reads a summary.json written before the one shape (an SFT run kept its evaluation under test)', () => {
    const dir = tempDir();
    const evalResult = { prompts: 8, k: 2, successGreedy: 0.5, successSampled: 0.25, passAtK: 0.5 };
    fs.writeFileSync(
      path.join(dir, 'summary.json'),
      JSON.stringify({
        kind: 'sft',
        steps: 6,
        backend: 'wasm (SIMD)',
        demo_success: 0.7,
        final_loss: 1.5,
        test: evalResult,
        wall_seconds: 3,
        train_tokens_per_s: 900,
      }),
    );
    expect(readSummary(dir)).toEqual({
      kind: 'sft',
      steps: 6,
      backend: 'wasm (SIMD)',
      eval: evalResult,
      train_wall_s: 3,
      final: { demo_success: 0.7, final_loss: 1.5, train_tokens_per_s: 900 },
    });
    fs.writeFileSync(path.join(dir, 'summary.json'), JSON.stringify({ steps: 2, backend: 'cpu', eval: evalResult }));
    expect(readSummary(dir)).toMatchObject({ kind: 'train', eval: evalResult, final: {} });
  });

  it('refuses a directory with a checkpoint but no status.json (an SFT run from before) unless --force', async () => {
    const dir = tempDir();
    await runSft(sftConfig(), { runDir: dir, ...quiet });
    fs.rmSync(path.join(dir, 'status.json'));
    await expect(train(loadConfig('configs/quickstart.yaml'), { runDir: dir, ...quiet })).rejects.toThrow(
      /already holds a run \(a checkpoint without status\.json\); pass --force to start over/,
    );
    await expect(runSft(sftConfig(), { runDir: dir, ...quiet })).rejects.toThrow(/checkpoint without status\.json/);
    await runSft(sftConfig(), { runDir: dir, force: true, ...quiet });
    expect(readStatus(dir)?.state).toBe('finished');
  }, 60_000);

  it('SFT refuses a directory another live process is training', async () => {
    const dir = tempDir();
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      fs.writeFileSync(path.join(dir, 'train.lock'), `${sleeper.pid}\n`);
      await expect(runSft(sftConfig(), { runDir: dir, ...quiet })).rejects.toThrow(/is being trained by process/);
      expect(readStatus(dir)).toBeUndefined();
    } finally {
      sleeper.kill('SIGKILL');
    }
  });

  it('a failed SFT step marks the run failed with its error, writes no summary and releases the lock', async () => {
    const dir = tempDir();
    const exploding = sftConfig({ sft: { demos: 40, steps: 6, batch_size: 8, log_every: 2, lr: 1e38, grad_clip: 0 } });
    await expect(runSft(exploding, { runDir: dir, ...quiet })).rejects.toThrow(/not finite/);
    const status = readStatus(dir)!;
    expect(status.state).toBe('failed');
    expect(status.error).toMatch(/SFT loss or gradient is not finite/);
    expect(fs.existsSync(path.join(dir, 'summary.json'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'train.lock'))).toBe(false);
  }, 60_000);
});
