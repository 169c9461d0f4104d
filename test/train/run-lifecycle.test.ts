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

/** Every file of a run directory and its bytes (what a refusal must leave exactly as it was). */
function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(
    fs
      .readdirSync(dir)
      .sort()
      .map((f) => [
        f,
        fs.lstatSync(path.join(dir, f)).isSymbolicLink()
          ? `-> ${fs.readlinkSync(path.join(dir, f))}`
          : fs.readFileSync(path.join(dir, f), 'base64'),
      ]),
  );
}

const small = [
  'steps=4',
  'checkpoint.every=2',
  'env.preset=open5',
  'rollout.prompts_per_step=4',
  'rollout.group_size=4',
  'eval.episodes=4',
];
const grpoConfig = (sets: string[] = []) => loadConfig('configs/quickstart.yaml', [...small, ...sets]);

describe('--force checks everything that can fail before it deletes the old run', () => {
  const cases: [string, (dir: string, other: string) => string[], RegExp][] = [
    [
      'init_from a path that does not exist',
      () => ['init_from=/nonexistent/run'],
      /\/nonexistent\/run.*no checkpoint found/,
    ],
    [
      'init_from the run itself',
      (dir) => [`init_from=${JSON.stringify(dir)}`],
      /init_from: .* is this run's own directory/,
    ],
    [
      'init_from its own checkpoint',
      (dir) => [`init_from=${JSON.stringify(path.join(dir, 'checkpoint.json'))}`],
      /is this run's own directory/,
    ],
    [
      'init_from a run of another shape',
      (_d, other) => [`init_from=${JSON.stringify(other)}`, 'policy.hidden=[16]'],
      /policy weights: checkpoint has 6 tensors, the model has 4/,
    ],
    [
      'a policy that does not fit the env',
      () => ['policy.kind=transformer', 'policy.hidden=null', 'policy.activation=null'],
      /policy 'transformer' needs token observations/,
    ],
  ];
  let other = '';
  beforeAll(async () => {
    other = tempDir();
    await train(grpoConfig(), { runDir: other, ...quiet });
  }, 60_000);

  it.each(cases)(
    '%s: refused in one line, the old run untouched',
    async (_what, sets, error) => {
      const dir = tempDir();
      await train(grpoConfig(), { runDir: dir, ...quiet });
      const before = snapshot(dir);
      await expect(train(grpoConfig(sets(dir, other)), { runDir: dir, force: true, ...quiet })).rejects.toThrow(error);
      expect(snapshot(dir)).toEqual(before);
    },
    60_000,
  );

  it('sft --force with a missing init_from keeps the old warm start', async () => {
    const dir = tempDir();
    await runSft(sftConfig(), { runDir: dir, ...quiet });
    const before = snapshot(dir);
    await expect(
      runSft(sftConfig({ init_from: '/nonexistent/run' }), { runDir: dir, force: true, ...quiet }),
    ).rejects.toThrow(/no checkpoint found/);
    expect(snapshot(dir)).toEqual(before);
  }, 60_000);
});

describe('--resume over a damaged, shortened, deleted or linked metrics.jsonl', () => {
  // a run stopped after step 3 whose checkpoint (step 2) covers the first 2 of its 3 lines
  const crashedRun = async () => {
    const dir = tempDir();
    const crash = {
      onStep: ({ step }: { step: number }) => {
        if (step === 3) throw new Error('simulated crash');
      },
    };
    await expect(train(grpoConfig(), { runDir: dir, ...quiet, ...crash })).rejects.toThrow(/simulated crash/);
    return dir;
  };
  const metricsOf = (dir: string) => path.join(dir, 'metrics.jsonl');
  const lines = (dir: string) => fs.readFileSync(metricsOf(dir), 'utf8').split('\n').slice(0, -1);
  const edits: [string, (dir: string) => void, RegExp][] = [
    [
      'deleted',
      (d) => fs.rmSync(metricsOf(d)),
      /metrics\.jsonl: is missing, but the checkpoint at step 2 covers its first 2 lines; restore the file, or start the run over with --force/,
    ],
    [
      'cut to one line',
      (d) => fs.writeFileSync(metricsOf(d), `${lines(d)[0]}\n`),
      /holds 1 complete lines, but the checkpoint at step 2 covers its first 2 lines/,
    ],
    ['emptied', (d) => fs.writeFileSync(metricsOf(d), ''), /holds 0 complete lines/],
    [
      'line 2 torn by hand',
      (d) => fs.writeFileSync(metricsOf(d), `${lines(d)[0]}\n${lines(d)[1].slice(0, 20)}\n${lines(d)[2]}\n`),
      /line 2 is damaged \(/,
    ],
    [
      'line 1 not a record',
      (d) => fs.writeFileSync(metricsOf(d), `[1]\n${lines(d).slice(1).join('\n')}\n`),
      /line 1 is damaged \(not a metrics record with a numeric 'step'\)/,
    ],
    [
      'line 1 without its step',
      (d) => fs.writeFileSync(metricsOf(d), `{"a":1}\n${lines(d).slice(1).join('\n')}\n`),
      /line 1 is damaged/,
    ],
    [
      'a symbolic link to a file outside the run',
      (d) => {
        const outside = path.join(tempDir('entrolab-outside-'), 'notes.jsonl');
        fs.renameSync(metricsOf(d), outside);
        fs.symlinkSync(outside, metricsOf(d));
      },
      /metrics\.jsonl: is a symbolic link; entrolab never writes through one/,
    ],
  ];
  it.each(edits)(
    '%s: refused in one line, nothing changed',
    async (_what, edit, error) => {
      const dir = await crashedRun();
      edit(dir);
      const link = fs.lstatSync(metricsOf(dir), { throwIfNoEntry: false })?.isSymbolicLink()
        ? fs.readlinkSync(metricsOf(dir))
        : undefined;
      const outsideBefore = link && fs.readFileSync(link, 'utf8');
      const before = snapshot(dir);
      await expect(train(grpoConfig(), { runDir: dir, resume: true, ...quiet })).rejects.toThrow(error);
      expect(snapshot(dir)).toEqual(before);
      if (link) expect(fs.readFileSync(link, 'utf8')).toBe(outsideBefore);
    },
    60_000,
  );

  it('damage after the lines the checkpoint covers is cut, and the run ends as one that never stopped', async () => {
    const whole = tempDir();
    await train(grpoConfig(), { runDir: whole, ...quiet });
    const dir = await crashedRun();
    fs.writeFileSync(metricsOf(dir), `${lines(dir).slice(0, 2).join('\n')}\n{"step": 3, "torn`);
    await train(grpoConfig(), { runDir: dir, resume: true, ...quiet });
    expect(deterministicLines(metricsOf(dir))).toEqual(deterministicLines(metricsOf(whole)));
  }, 60_000);
});

describe('--resume refuses a config other than the one the run was started with', () => {
  const stopped = async () => {
    const dir = tempDir();
    const crash = {
      onStep: ({ step }: { step: number }) => {
        if (step === 3) throw new Error('simulated crash');
      },
    };
    await expect(train(grpoConfig(), { runDir: dir, ...quiet, ...crash })).rejects.toThrow(/simulated crash/);
    return dir;
  };
  const changed: [string, string[], RegExp][] = [
    ['another seed (--seed 5)', ['seed=5'], /\(seed: 0 → 5\)/],
    ['another learning rate', ['optim.lr=0.1'], /\(optim\.lr: 0\.003 → 0\.1\)/],
    ['another env preset', ['env.preset=four_rooms'], /env\.preset: "open5" → "four_rooms"/],
    ['more steps', ['steps=8'], /steps: 4 → 8/],
    [
      'a regularizer added',
      ['regularizers=[{name: entropy_bonus}]'],
      /regularizers: \[\] → \[\{"name":"entropy_bonus"/,
    ],
    ['another policy shape', ['policy.hidden=[32]'], /policy\.hidden: \[64,64\] → \[32\]/],
    ['a key set that was a default', ['rollout.temperature=0.5'], /rollout\.temperature: 1 → 0\.5/],
    [
      'five keys at once',
      ['seed=1', 'optim.lr=0.1', 'optim.beta1=0.8', 'optim.eps=1e-6', 'grpo.epochs=1'],
      /grpo\.epochs: 2 → 1; optim\.beta1: 0\.9 → 0\.8; optim\.eps: 1e-8 → 0\.000001; optim\.lr: 0\.003 → 0\.1 and 1 more\)/,
    ],
  ];
  it.each(changed)(
    '%s: one line naming the keys, nothing changed',
    async (_what, sets, keys) => {
      const dir = await stopped();
      const before = snapshot(dir);
      const refused = train(grpoConfig(sets), { runDir: dir, resume: true, ...quiet });
      await expect(refused).rejects.toThrow(
        /--resume with a config that differs from the one the run was started with/,
      );
      await expect(train(grpoConfig(sets), { runDir: dir, resume: true, ...quiet })).rejects.toThrow(keys);
      expect(snapshot(dir)).toEqual(before);
    },
    60_000,
  );

  it('resumes under the same config, another name, or a recorded config that lacks a key now defaulted', async () => {
    const whole = tempDir();
    await train(grpoConfig(), { runDir: whole, ...quiet });
    for (const edit of [
      () => grpoConfig(),
      () => grpoConfig(['name=moved']),
      () => {
        const file = path.join(dirNow, 'config.resolved.yaml');
        fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/^ {2}recompute_old_logprobs: true\n/m, ''));
        return grpoConfig();
      },
    ]) {
      dirNow = await stopped();
      await train(edit(), { runDir: dirNow, resume: true, ...quiet });
      expect(deterministicLines(path.join(dirNow, 'metrics.jsonl'))).toEqual(
        deterministicLines(path.join(whole, 'metrics.jsonl')),
      );
    }
  }, 60_000);
  let dirNow = '';

  it('an SFT resume with another seed is refused too', async () => {
    const dir = tempDir();
    const stop = new AbortController();
    await runSft(sftConfig(), {
      runDir: dir,
      ...quiet,
      signal: stop.signal,
      onStep: ({ step }) => void (step === 3 && stop.abort()),
    });
    await expect(runSft(sftConfig({ seed: 9 }), { runDir: dir, resume: true, ...quiet })).rejects.toThrow(
      /differs from the one the run was started with \(seed: 0 → 9\)/,
    );
  }, 60_000);
});
