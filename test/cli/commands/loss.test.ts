// `entrolab loss`: the worked examples of docs/bonus-clipcov-klcov-loss.md (doc output blocks and the hand
// computation), the CLI end to end, config handling, and one-line errors for malformed batches.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../../src/base/errors.ts';
import { formatLossOutput } from '../../../src/cli/commands/loss.ts';
import { loadLossConfig } from '../../../src/config/loss-config.ts';
import { parseLossBatch } from '../../../src/loss/loss-batch.ts';
import { computeLoss, type LossOutput } from '../../../src/loss/loss-check.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'entrolab-loss-'));
beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const DOC = fs.readFileSync('docs/bonus-clipcov-klcov-loss.md', 'utf8');
function docBlock(name: string): unknown {
  const m = new RegExp(`\`\`\`json ${name}\\n([\\s\\S]*?)\`\`\``).exec(DOC);
  if (!m) throw new Error(`docs/bonus-clipcov-klcov-loss.md has no block 'json ${name}'`);
  return JSON.parse(m[1]);
}
const BATCH = docBlock('example-batch') as Record<string, unknown>;
const CLIP_COV = ['regularizers=[{name: clip_cov}]'];
const KL_COV = ['regularizers=[{name: kl_cov, ratio: 0.4}]'];

const run = (doc: unknown, sets: string[] = []): LossOutput =>
  computeLoss(parseLossBatch(doc, 'batch.json'), loadLossConfig(undefined, sets));

/** Same structure; numbers equal to float32 precision. */
function expectSame(actual: unknown, expected: unknown, where = '$'): void {
  if (typeof expected === 'number') {
    expect(typeof actual, where).toBe('number');
    expect(Math.abs((actual as number) - expected), `${where}: ${actual} vs ${expected}`).toBeLessThanOrEqual(
      1e-6 * Math.max(1, Math.abs(expected)),
    );
  } else if (Array.isArray(expected)) {
    expect(Array.isArray(actual), where).toBe(true);
    expect((actual as unknown[]).length, where).toBe(expected.length);
    expected.forEach((e, i) => expectSame((actual as unknown[])[i], e, `${where}[${i}]`));
  } else if (typeof expected === 'object' && expected !== null) {
    expect(Object.keys(actual as object).sort(), where).toEqual(Object.keys(expected).sort());
    for (const [k, e] of Object.entries(expected))
      expectSame((actual as Record<string, unknown>)[k], e, `${where}.${k}`);
  } else {
    expect(actual, where).toEqual(expected);
  }
}

describe('the worked examples of docs/bonus-clipcov-klcov-loss.md', () => {
  it('Clip-Cov: the doc output and the hand computation', () => {
    const out = run(BATCH, CLIP_COV);
    expectSame(out, docBlock('example-clip-cov-output'));
    const e15 = Math.exp(1.5);
    expect(out.loss).toBeCloseTo((0 - 2.4 - 2 + 3 + 3 * e15) / 5, 5);
    expectSame(out.token_loss, [
      [0, -2.4, -2],
      [3, 3 * e15, 0],
    ]);
    expectSame(out.grad_log_probs, [
      [0, 0, -2 / 5],
      [3 / 5, (3 * e15) / 5, 0],
    ]);
    expect(out.selections.clip_cov.tokens).toEqual([[0, 0]]);
    expect(out.metrics['actor/ppo_kl']).toBeCloseTo(-0.38, 6);
  });

  it('KL-Cov: the doc output and the hand computation', () => {
    const out = run(BATCH, KL_COV);
    expectSame(out, docBlock('example-kl-cov-output'));
    const e04 = Math.exp(0.4);
    const e15 = Math.exp(1.5);
    expect(out.loss).toBeCloseTo((-2 + (-2 * e04 + 0.4) - 2 + 3 + 3 * e15) / 5, 5);
    expectSame(out.grad_log_probs, [
      [-2 / 5, (-2 * e04 + 1) / 5, -2 / 5],
      [3 / 5, (3 * e15) / 5, 0],
    ]);
    expect(out.selections.kl_cov.tokens).toEqual([
      [0, 1],
      [1, 0],
    ]);
    expect(out.metrics['actor/ppo_kl']).toBeCloseTo(0.38, 6);
  });

  it('without regularizers it is vanilla PPO-clip with dual clip', () => {
    const out = run(BATCH);
    // (0,0) −2 now; (1,1) ρ = e^1.5: capped by the dual clip at c·|A| = 9, gradient 0
    expectSame(out.token_loss, [
      [-2, -2.4, -2],
      [3, 9, 0],
    ]);
    expectSame(out.grad_log_probs, [
      [-0.4, 0, -0.4],
      [0.6, 0, 0],
    ]);
    expect(out.metrics['actor/pg_clipfrac_lower']).toBeCloseTo(0.2, 6);
    expect(out.selections).toEqual({});
  });
});

describe('the CLI', () => {
  const file = path.join(tmp, 'batch.json');
  fs.writeFileSync(file, JSON.stringify(BATCH));
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ['bin/entrolab.js', 'loss', ...args], { encoding: 'utf8' });

  it('prints the documented JSON', () => {
    const res = cli(file, '--set', CLIP_COV[0]);
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    expectSame(JSON.parse(res.stdout), docBlock('example-clip-cov-output'));
  }, 30_000);

  it('--set grpo.policy_loss=… prints that loss (docs/policy-losses.md), the same numbers as the library', () => {
    const res = cli(file, '--set', 'grpo.policy_loss=cispo');
    expect(res.status).toBe(0);
    const printed = JSON.parse(res.stdout) as LossOutput;
    expectSame(printed, JSON.parse(formatLossOutput(run(BATCH, ['grpo.policy_loss=cispo']))));
    expect(printed.loss).not.toBe(run(BATCH).loss);
    const refused = cli(file, '--set', 'grpo.policy_loss=gspo', '--set', CLIP_COV[0]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/regularizer 'clip_cov' replaces the policy loss, so it needs policy_loss: vanilla/);
  }, 30_000);

  it('a malformed batch is one error line naming the field, exit 1', () => {
    const bad = path.join(tmp, 'bad.json');
    fs.writeFileSync(
      bad,
      JSON.stringify({
        ...BATCH,
        mask: [
          [1, 1, 1],
          [1, 1],
        ],
      }),
    );
    const res = cli(bad);
    expect(res.status).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(
      new RegExp(
        /bad\.json: field 'mask' must be a \[B\]\[L\] array of 0\/1 with B = 2 rows of L = 3 entries /.source +
          /.*row 1 has 2 entries/.source,
      ),
    );
  }, 30_000);

  it('the printed layout is valid JSON with one line per [L] row', () => {
    const text = formatLossOutput(run(BATCH, KL_COV));
    expect(text).toContain('    [-2, -2.5836492, -2],\n');
    expect(text).toContain('"tokens": [[0, 1], [1, 0]]');
    expectSame(JSON.parse(text), docBlock('example-kl-cov-output'));
  });
});

describe('settings', () => {
  it('accepts a run config (env and policy ignored) and --set overrides on top', () => {
    const cfg = loadLossConfig('configs/kl-cov.yaml', ['grpo.clip_ratio_high=0.28']);
    expect(cfg.grpo.clip_ratio_high).toBe(0.28);
    expect(cfg.regularizers).toEqual([{ name: 'kl_cov', ratio: 0.02, coef: 1, delta_tol: 1e-5 }]);
  });

  it('clip_ratio_high changes the PPO-clipped token of the example', () => {
    const out = run(BATCH, ['grpo.clip_ratio_high=0.28']);
    expect(out.token_loss[0][1]).toBeCloseTo(-2 * 1.28, 6);
  });

  it('the entropy gradient is reported (entropy_bonus: −coef/N on valid tokens)', () => {
    const out = run(
      {
        ...BATCH,
        entropy: [
          [1, 1, 1],
          [1, 1, 7],
        ],
      },
      ['regularizers=[{name: entropy_bonus, coef: 0.1}]'],
    );
    expectSame(out.grad_entropy, [
      [-0.02, -0.02, -0.02],
      [-0.02, -0.02, 0],
    ]);
    expect(out.metrics['entropy_bonus/coef']).toBeCloseTo(0.1, 7);
  });

  it('the KL-to-reference term needs ref_log_probs and then appears', () => {
    expect(() => run(BATCH, ['grpo.use_kl_loss=true'])).toThrow(/ref_log_probs/);
    const out = run(
      {
        ...BATCH,
        ref_log_probs: [
          [-1, -0.5, -4],
          [-4, -0.5, 0],
        ],
      },
      ['grpo.use_kl_loss=true', 'grpo.kl_loss_type=k1'],
    );
    expect(out.metrics['actor/kl_loss']).toBe(0); // lp = lp_ref
    expectSame(out.grad_log_probs[0][0], -0.4 + 0.001 / 5); // k1's gradient 1, coef 0.001, token-mean
  });

  it('rejects two policy-loss owners and unknown regularizers', () => {
    expect(() => run(BATCH, ['regularizers=[{name: clip_cov}, {name: kl_cov}]'])).toThrow(
      /clip_cov and kl_cov both replace the policy loss/,
    );
    expect(() => loadLossConfig(undefined, ['regularizers=[{name: clip_cv}]'])).toThrow(/did you mean 'clip_cov'/);
    expect(() => loadLossConfig(undefined, ['regularizers=[{name: clip_cov, ratioo: 1}]'])).toThrow(UserError);
  });
});

describe('malformed batches', () => {
  const cases: [string, unknown, RegExp][] = [
    ['not an object', [1, 2], /must be a JSON object with fields log_probs, old_log_probs, advantages, mask/],
    ['a missing field', { ...BATCH, advantages: undefined }, /field 'advantages' is required: a \[B\]\[L\] array/],
    ['an unknown field', { ...BATCH, maks: 1 }, /unknown field 'maks'; did you mean 'mask'\?/],
    ['empty log_probs', { ...BATCH, log_probs: [] }, /field 'log_probs' must be a non-empty \[B\]\[L\] array/],
    [
      'too few rows',
      { ...BATCH, advantages: [[1, 1, 1]] },
      /field 'advantages' must be .* B = 2 rows of L = 3 .* it has 1 rows/,
    ],
    [
      'a ragged row',
      {
        ...BATCH,
        old_log_probs: [
          [0, 0, 0],
          [0, 0],
        ],
      },
      /field 'old_log_probs' .* row 1 has 2 entries/,
    ],
    [
      'a non-number',
      {
        ...BATCH,
        log_probs: [
          [-1, 'x', -4],
          [-4, -0.5, 0],
        ],
      },
      /field 'log_probs' must hold finite numbers; \[0\]\[1\] is "x"/,
    ],
    [
      'a mask value other than 0/1',
      {
        ...BATCH,
        mask: [
          [1, 2, 1],
          [1, 1, 0],
        ],
      },
      /field 'mask' must hold 0 or 1; \[0\]\[1\] is 2/,
    ],
    [
      'a fractional turn index',
      {
        ...BATCH,
        turn_index: [
          [0, 0.5, 0],
          [0, 0, 0],
        ],
      },
      /field 'turn_index' must hold integers; \[0\]\[1\] is 0.5/,
    ],
    [
      'group_ids of the wrong length',
      { ...BATCH, group_ids: [0] },
      /field 'group_ids' must be a \[B\] array of integers with B = 2/,
    ],
    ['a negative epoch', { ...BATCH, epoch: -1 }, /field 'epoch' must be an integer >= 0/],
  ];
  for (const [what, doc, message] of cases) {
    it(what, () => {
      expect(() => parseLossBatch(doc, 'batch.json')).toThrow(UserError);
      expect(() => parseLossBatch(doc, 'batch.json')).toThrow(message);
    });
  }
});
