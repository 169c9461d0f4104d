// The regularizer contract: a name is registered once, metrics stay in their namespace, each
// regularizer draws from its own stream, restored state is validated, old checkpoints are refused
// for resume, and `loss` and `train` reject a bad regularizer list with the same message.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { clipCovDefinition } from '../../algorithms/clip-cov.ts';
import { defineRegularizer, REGULARIZERS, registerRegularizer } from '../../algorithms/registry.ts';
import { UserError } from '../../src/base/errors.ts';
import { loadConfig } from '../../src/config/load.ts';
import { loadLossConfig } from '../../src/config/loss-config.ts';
import { createRegularizers, prefixMetrics } from '../../src/core/regularizer-set.ts';
import { parseLossBatch } from '../../src/loss/loss-batch.ts';
import { computeLoss } from '../../src/loss/loss-check.ts';
import { loadCheckpoint } from '../../src/run/checkpoint.ts';
import { CHECKPOINT_FILE } from '../../src/run/run-dir.ts';
import { train } from '../../src/train/trainer.ts';
import { readJsonl, stopAfter, tempDir } from '../helpers.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const errorOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
};

// Draws from its stream every step and changes nothing else: with one shared stream it would shift
// every other regularizer's random picks.
defineRegularizer({
  name: 'test_drawer',
  summary: 'draws three numbers per step (test only)',
  schema: z.object({}).strict(),
  create: () => ({
    planRollout: (info) => {
      for (let i = 0; i < 3; i++) info.rng.next();
      return undefined;
    },
  }),
});

defineRegularizer({
  name: 'test_slash',
  summary: 'returns a metric key with a slash (test only)',
  schema: z.object({}).strict(),
  create: () => ({ afterStep: () => ({ metrics: { 'actor/entropy': 0 } }) }),
});

describe('registration', () => {
  it('refuses a taken name, for built-ins and user definitions alike', () => {
    expect(() => registerRegularizer(clipCovDefinition)).toThrow("regularizer 'clip_cov' is already registered");
    const again = {
      name: 'test_drawer',
      summary: '',
      schema: z.object({}),
      create: () => ({}),
    };
    expect(() => defineRegularizer(again)).toThrow(/already registered/);
    expect(() => defineRegularizer({ ...again, name: 'Bad/Name' })).toThrow(/snake_case/);
    expect(REGULARIZERS.clip_cov).toBe(clipCovDefinition);
  });

  it('owning the policy loss is having the hook: two owners are refused at load time, in one line', () => {
    // owns the policy loss only when its config says so, as a config-dependent hook would
    defineRegularizer({
      name: 'test_owner',
      summary: '',
      schema: z.object({ own: z.boolean().default(false) }).strict(),
      create: (c) => (c.own ? { policyLoss: () => ({ value: tf.zeros([1]), actor: {} as never }) } : {}),
    });
    const sets = (list: string) => ['env.name=gridworld', `regularizers=${list}`];
    expect(loadConfig('configs/quickstart.yaml', sets('[{name: clip_cov}, {name: test_owner}]')).regularizers).toEqual([
      { name: 'clip_cov', ratio: 2e-4, lower_bound: 1, upper_bound: 5 },
      { name: 'test_owner', own: false },
    ]);
    const message = errorOf(() =>
      loadConfig('configs/quickstart.yaml', sets('[{name: clip_cov}, {name: test_owner, own: true}]')),
    );
    expect(message).toBe(
      "configs/quickstart.yaml: config key 'regularizers': clip_cov and test_owner both replace the policy loss; " +
        'list at most one of them',
    );
    expect(() =>
      createRegularizers([{ name: 'kl_cov' }, { name: 'test_owner', own: true }], { seed: 0, where: 'x' }),
    ).toThrow(/kl_cov and test_owner both replace the policy loss/);
  });
});

describe('metrics', () => {
  it('are prefixed with the regularizer name; a key with a slash is an error, not a global metric', () => {
    expect(prefixMetrics('clip_cov', { frac: 0.5 })).toEqual({ 'clip_cov/frac': 0.5 });
    expect(() => prefixMetrics('test_slash', { 'actor/entropy': 0 })).toThrow(
      /'test_slash' returned metric 'actor\/entropy'/,
    );
  });

  it('a run with a regularizer returning a slashed key fails instead of overwriting actor/entropy', async () => {
    const config = loadConfig('configs/quickstart.yaml', [
      'steps=1',
      'env.preset=open5',
      'rollout.prompts_per_step=2',
      'rollout.group_size=2',
      'regularizers=[{name: test_slash}]',
    ]);
    await expect(train(config, { runDir: tempDir(), log: () => {} })).rejects.toThrow(/may not contain '\/'/);
  });
});

// Four rows with spread advantages and log-probs: many tokens have a covariance inside (0.01, 50).
const BATCH = {
  log_probs: [
    [-0.1, -0.4, -1.2, -2.0],
    [-0.3, -0.9, -1.5, -0.2],
    [-2.2, -0.6, -0.05, -1.1],
    [-0.7, -1.9, -0.35, -0.8],
  ],
  old_log_probs: [
    [-0.1, -0.4, -1.2, -2.0],
    [-0.3, -0.9, -1.5, -0.2],
    [-2.2, -0.6, -0.05, -1.1],
    [-0.7, -1.9, -0.35, -0.8],
  ],
  advantages: [
    [1.5, 1.5, 1.5, 1.5],
    [-1, -1, -1, -1],
    [0.5, 0.5, 0.5, 0.5],
    [-2, -2, -2, -2],
  ],
  mask: [
    [1, 1, 1, 1],
    [1, 1, 1, 1],
    [1, 1, 1, 1],
    [1, 1, 1, 1],
  ],
};
const CLIP = '{name: clip_cov, ratio: 0.25, lower_bound: 0.01, upper_bound: 50}';

describe('one random stream per regularizer', () => {
  const selected = (regs: string, seed = 0) =>
    computeLoss(parseLossBatch(BATCH, 'batch'), loadLossConfig(undefined, [`regularizers=[${regs}]`, `seed=${seed}`]))
      .selections.clip_cov;

  it("Clip-Cov's random picks do not depend on which other regularizers are listed", () => {
    const alone = selected(CLIP);
    expect(alone.candidates!.length).toBeGreaterThan(alone.tokens!.length); // a real random choice
    expect(selected(`{name: steer}, ${CLIP}, {name: epo}`)).toEqual(alone);
    expect(selected(`{name: test_drawer}, {name: aepo}, ${CLIP}`)).toEqual(alone);
    // ... and do depend on the stream: another seed picks other tokens (so the checks above can fail)
    const others = [1, 2, 3].map((seed) => JSON.stringify(selected(CLIP, seed).tokens));
    expect(others.some((t) => t !== JSON.stringify(alone.tokens))).toBe(true);
  });

  it('a training run with Clip-Cov is unchanged by adding a regularizer that draws random numbers', async () => {
    const sets = ['steps=3', 'rollout.prompts_per_step=4', 'eval.episodes=4', 'policy.hidden=[16]'];
    const clip = '{name: clip_cov, ratio: 0.05, lower_bound: 0.01, upper_bound: 50}';
    const [alone, withDrawer] = [tempDir(), tempDir()];
    await train(loadConfig('configs/clip-cov.yaml', [...sets, `regularizers=[${clip}]`]), {
      runDir: alone,
      log: () => {},
    });
    const drawer = loadConfig('configs/clip-cov.yaml', [...sets, `regularizers=[{name: test_drawer}, ${clip}]`]);
    await train(drawer, { runDir: withDrawer, log: () => {} });
    const rows = (dir: string) => readJsonl(path.join(dir, 'metrics.jsonl'));
    const strip = (dir: string) => rows(dir).map((r) => Object.entries(r).filter(([k]) => !k.startsWith('perf/')));
    // fewer tokens chosen than eligible: the picks are random draws
    expect(rows(alone).every((r) => r['clip_cov/frac'] > 0 && r['clip_cov/frac'] < r['clip_cov/eligible_frac'])).toBe(
      true,
    );
    expect(strip(withDrawer)).toEqual(strip(alone));
    expect(loadCheckpoint(withDrawer).policy.weights).toEqual(loadCheckpoint(alone).policy.weights);
    expect(Object.keys(loadCheckpoint(withDrawer).regularizers!)).toEqual(['test_drawer', 'clip_cov']);
  });
});

describe('restoring state', () => {
  it('every setState validates its input and the error names the regularizer and the checkpoint', () => {
    for (const name of ['aepo', 'epo', 'entropy_bonus']) {
      const [reg] = createRegularizers([{ name }], { seed: 0, where: 'x' });
      expect(() => reg.hooks.setState!({ wrong: 1 }), name).toThrow(/does not match/);
      const message = errorOf(() =>
        createRegularizers([{ name }], {
          seed: 0,
          where: 'x',
          saved: { [name]: { rng: reg.rng.state(), state: 7 } },
          savedFrom: 'run/checkpoint.json',
        }),
      );
      expect(message).toMatch(
        new RegExp(
          `^run/checkpoint.json: regularizer '${name}': cannot restore its state: saved state 7 does not match`,
        ),
      );
    }
    const [epo] = createRegularizers([{ name: 'epo' }], { seed: 0, where: 'x' });
    expect(() => epo.hooks.setState!({ history: [0.5, 'x'], k: 1 })).toThrow(/at 'history.1'/);
    epo.hooks.setState!({ history: [0.5], k: 1 });
    expect(epo.hooks.getState!()).toEqual({ history: [0.5], k: 1 });
  });

  it('a version-1 checkpoint is refused for resume with one line, and still loads for eval/init_from', async () => {
    const dir = tempDir();
    const config = loadConfig('configs/quickstart.yaml', [
      'steps=2',
      'env.preset=open5',
      'rollout.prompts_per_step=2',
      'rollout.group_size=2',
      'checkpoint.every=1',
      'eval.episodes=2',
    ]);
    await train(config, { runDir: dir, ...stopAfter(1), log: () => {} });
    const file = path.join(dir, CHECKPOINT_FILE);
    const ckpt = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(ckpt.version).toBe(2);
    // a file written before version 2 also had no checksum
    const { checksum: _checksum, ...payload } = ckpt;
    fs.writeFileSync(file, JSON.stringify({ ...payload, version: 1 }));
    expect(loadCheckpoint(dir).step).toBe(1);
    const err = await train(config, { runDir: dir, resume: true, log: () => {} }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toBe(
      `${file}: checkpoint version 1 predates per-regularizer random streams and cannot be resumed ` +
        '(it still works for eval, play and init_from); start the run over with --force',
    );
  });
});

describe('one validator for every command', () => {
  function entrolab(args: string[]) {
    const r = spawnSync(process.execPath, ['bin/entrolab.js', ...args], { encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, stderr: r.stderr.trim() };
  }

  it('`loss` and `train` print the same one-line error for the same bad list (CLI)', () => {
    const dir = tempDir();
    const batch = path.join(dir, 'batch.json');
    fs.writeFileSync(batch, JSON.stringify(BATCH));
    const base = fs.readFileSync('configs/quickstart.yaml', 'utf8').replace(/^regularizers:.*$/m, '');
    const cases: [string, RegExp][] = [
      [
        '[{name:steer}]',
        /config key 'regularizers.0.name' is required .*YAML needs a space after the colon: 'name: steer'/,
      ],
      ['[{name: steer}, {name: steer}]', /config key 'regularizers': 'steer' is listed twice/],
    ];
    for (const [list, pattern] of cases) {
      const config = path.join(dir, 'config.yaml');
      fs.writeFileSync(config, `${base}\nregularizers: ${list}\n`);
      const t = entrolab(['train', config, '--out', dir, '--quiet']);
      const l = entrolab(['loss', batch, '--config', config]);
      expect(t.code).not.toBe(0);
      expect(l.code).not.toBe(0);
      expect(t.stderr).toMatch(/^entrolab: error: /);
      expect(t.stderr).toMatch(pattern);
      expect(t.stderr.split('\n')).toHaveLength(1);
      expect(l.stderr).toBe(t.stderr);
    }
  });

  it('the library functions agree too, for every rule', () => {
    const lists = [
      '[{name: clip_cov}, {name: kl_cov}]',
      '[{name: clip_cv}]',
      '[{name: steer, lambda_mni: 0.5}]',
      '[{name:steer}]',
      '[{name: steer}, {name: steer}]',
      '{name: steer}',
    ];
    const base = ['env.name=gridworld'];
    for (const list of lists) {
      const fromTrain = errorOf(() => loadConfig('configs/quickstart.yaml', [...base, `regularizers=${list}`]));
      const fromLoss = errorOf(() => loadLossConfig('configs/quickstart.yaml', [`regularizers=${list}`]));
      expect(fromLoss, list).toBe(fromTrain);
    }
  });
});

// Reads the reference policy's log-probs without the KL loss: at the first step the policy is the
// reference, so they equal π_old's; after an update they differ.
defineRegularizer({
  name: 'test_reference',
  summary: 'reads batch.refLogProbs (test only)',
  schema: z.object({}).strict(),
  needsReference: true,
  create: () => ({
    lossTerm: (ctx) => {
      const b = ctx.batch;
      let gap = 0;
      for (let i = 0; i < b.mask.length; i++)
        if (b.mask[i]) gap = Math.max(gap, Math.abs(b.refLogProbs![i] - b.oldLogProbs[i]));
      return { value: tf.scalar(0), metrics: { ref_gap: gap } };
    },
  }),
});

describe('needsReference', () => {
  it('the trainer fills batch.refLogProbs with grpo.use_kl_loss off, and adds no KL term', async () => {
    const config = loadConfig('configs/quickstart.yaml', [
      'steps=2',
      'env.preset=open5',
      'rollout.prompts_per_step=2',
      'rollout.group_size=2',
      'eval.episodes=2',
      'grpo.use_kl_loss=false',
      'regularizers=[{name: test_reference}]',
    ]);
    const dir = tempDir();
    await train(config, { runDir: dir, log: () => {} });
    const [first, second] = readJsonl(path.join(dir, 'metrics.jsonl'));
    expect(first['test_reference/ref_gap']).toBe(0);
    expect(second['test_reference/ref_gap']).toBeGreaterThan(0);
    expect(first).not.toHaveProperty(['actor/kl_loss']);
  });

  it('`entrolab loss` asks for ref_log_probs as it does for use_kl_loss', () => {
    const kl = errorOf(() =>
      computeLoss(parseLossBatch(BATCH, 'b'), loadLossConfig(undefined, ['grpo.use_kl_loss=true'])),
    );
    const reg = errorOf(() =>
      computeLoss(parseLossBatch(BATCH, 'b'), loadLossConfig(undefined, ['regularizers=[{name: test_reference}]'])),
    );
    const tail = " but the batch has no 'ref_log_probs' ([B][L] log-probs under the reference policy)";
    expect(kl).toBe(`batch: grpo.use_kl_loss is on${tail}`);
    expect(reg).toBe(`batch: regularizer 'test_reference' needs it${tail}`);
    const withRef = computeLoss(
      parseLossBatch({ ...BATCH, ref_log_probs: BATCH.old_log_probs }, 'b'),
      loadLossConfig(undefined, ['regularizers=[{name: test_reference}]']),
    );
    expect(withRef.metrics['test_reference/ref_gap']).toBe(0);
  });
});
