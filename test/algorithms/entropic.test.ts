// EntroPIC (algorithms/entropic.ts, docs/entropic.md): the controller by hand (T1) through
// `entrolab loss` with the integral in the batch file's `state`, the confident-token term and its
// gradient (T2), no confident token (T3), the off switch and an empty mini-batch, the state
// errors, and gridworld runs: the hooks run exactly once per mini-batch (the integral grows by the
// sum of the mini-batch errors), a resumed run repeats an uninterrupted one, and the controller
// holds the entropy above GRPO's.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { controllerAlpha } from '../../algorithms/entropic.ts';
import { selectBackend } from '../../src/backend/backend.ts';
import { UserError } from '../../src/base/errors.ts';
import { loadConfig } from '../../src/config/load.ts';
import { loadLossConfig } from '../../src/config/loss-config.ts';
import { parseLossBatch } from '../../src/loss/loss-batch.ts';
import { computeLoss } from '../../src/loss/loss-check.ts';
import { train } from '../../src/train/trainer.ts';
import { readJsonl, stopAfter, tempDir } from '../helpers.ts';

beforeAll(async () => {
  await selectBackend('wasm');
});

const reg = (keys: string) => `regularizers=[{name: entropic, ${keys}}]`;
const loss = (doc: object, sets: string[]) =>
  computeLoss(parseLossBatch(doc, 'b.json'), loadLossConfig(undefined, sets));
const errorOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e instanceof UserError ? e.message : `not a UserError: ${e}`;
  }
  return 'no error';
};

describe('T1: the controller (H* = 0.5, K_p = 1, K_i = 0.1; H = 0.8, 0.7, 0.4)', () => {
  it('α uses the integral before the mini-batch: 0.3, 0.23, −0.05; E = 0.3, 0.5, 0.4', () => {
    // one valid token per mini-batch whose entropy is H; its π = 0.5, so no confident token
    let state: unknown = { integral: 0 };
    const alphas: number[] = [];
    const integrals: number[] = [];
    for (const H of [0.8, 0.7, 0.4]) {
      const doc = {
        log_probs: [[Math.log(0.5)]],
        old_log_probs: [[Math.log(0.5)]],
        advantages: [[1]],
        mask: [[1]],
        entropy: [[H]],
        state: { entropic: state },
      };
      const out = loss(doc, [reg('target: 0.5, kp: 1, ki: 0.1')]);
      alphas.push(out.metrics['entropic/alpha']);
      state = out.state!.entropic;
      integrals.push((state as { integral: number }).integral);
      expect(out.metrics['entropic/term']).toBe(0);
    }
    alphas.forEach((a, i) => expect(a).toBeCloseTo([0.3, 0.23, -0.05][i], 6));
    integrals.forEach((e, i) => expect(e).toBeCloseTo([0.3, 0.5, 0.4][i], 6));
  });

  it('saturates at ±alpha_clip; K_i keeps integrating while saturated (no anti-windup)', () => {
    const c = { kp: 1, ki: 0.1, alpha_clip: 1 };
    expect(controllerAlpha(c, 0, 2.5)).toBe(1);
    expect(controllerAlpha(c, -40, 0.5)).toBe(-1);
    expect(controllerAlpha({ ...c, alpha_clip: 0.2 }, 0, 0.3)).toBe(0.2);
  });
});

describe('T2–T3: the term on confident tokens', () => {
  // lp = [−0.01, −0.5, −0.02], on-policy, A = [2, −1, −0.5]; H = 1 against H* = 0.5 with K_i = 0: α = 0.5
  const doc = {
    log_probs: [[-0.01, -0.5, -0.02]],
    old_log_probs: [[-0.01, -0.5, -0.02]],
    advantages: [[2, -1, -0.5]],
    mask: [[1, 1, 1]],
    entropy: [[1, 1, 1]],
  };

  it('C = {0, 2}: term = 0.5·(−(2 + 0.5)/2) = −0.625; gradient −0.5 and −0.125 on top of PPO', () => {
    const out = loss(doc, [reg('target: 0.5, kp: 1, ki: 0')]);
    expect(out.metrics['entropic/alpha']).toBeCloseTo(0.5, 6);
    expect(out.metrics['entropic/term']).toBeCloseTo(-0.625, 6);
    expect(out.metrics['entropic/frac_confident']).toBeCloseTo(2 / 3, 6);
    // PPO on-policy, token-mean: −(2 − 1 − 0.5)/3, gradient −A/3
    expect(out.loss).toBeCloseTo(-0.5 / 3 - 0.625, 6);
    const g = [-2 / 3 - 0.5, 1 / 3, 0.5 / 3 - 0.125];
    out.grad_log_probs[0].forEach((x, t) => expect(x, `t=${t}`).toBeCloseTo(g[t], 5));
    expect(out.selections.entropic.tokens).toEqual([
      [0, 0],
      [0, 2],
    ]);
    expect(out.state).toEqual({ entropic: { integral: 0.5 } });
  });

  it('a negative α (entropy below target) pushes the confident tokens down: the term flips sign', () => {
    const out = loss({ ...doc, entropy: [[0.2, 0.2, 0.2]] }, [reg('target: 0.5, kp: 1, ki: 0')]);
    expect(out.metrics['entropic/alpha']).toBeCloseTo(-0.3, 6);
    expect(out.metrics['entropic/term']).toBeCloseTo(0.3 * 1.25, 6);
  });

  it('T3: no confident token → term 0, the loss is PPO-clip', () => {
    const unsure = { ...doc, log_probs: [[-1, -0.5, -2]], old_log_probs: [[-1, -0.5, -2]] };
    const out = loss(unsure, [reg('target: 0.5')]);
    const plain = loss(unsure, []);
    expect(out.metrics['entropic/term']).toBe(0);
    expect(out.loss).toBe(plain.loss);
    expect(out.grad_log_probs).toEqual(plain.grad_log_probs);
  });

  it('off (target < 0) and an empty mini-batch: α = 0, the integral does not move, no NaN', () => {
    const off = loss({ ...doc, state: { entropic: { integral: 3 } } }, [reg('target: -1')]);
    expect(off.metrics['entropic/alpha']).toBe(0);
    expect(off.state).toEqual({ entropic: { integral: 3 } });
    const empty = loss({ ...doc, mask: [[0, 0, 0]] }, [reg('target: 0.5')]);
    expect(empty.loss).toBe(0);
    expect(empty.state).toEqual({ entropic: { integral: 0 } });
    for (const v of Object.values(empty.metrics)) expect(Number.isFinite(v)).toBe(true);
  });

  it('a bad state in the batch file is one line naming it', () => {
    expect(errorOf(() => loss({ ...doc, state: { entropic: { integral: 'x' } } }, [reg('target: 0.5')]))).toMatch(
      /^batch: field 'state.entropic': saved state .* does not match at 'integral'/,
    );
    expect(errorOf(() => loss({ ...doc, state: { siren: {} } }, [reg('target: 0.5')]))).toBe(
      "batch: field 'state' names regularizer 'siren', which the config does not list (listed: entropic)",
    );
    expect(errorOf(() => loss({ ...doc, state: { steer: {} } }, ['regularizers=[{name: steer}]']))).toBe(
      "batch: field 'state': regularizer 'steer' keeps no state",
    );
    expect(errorOf(() => parseLossBatch({ ...doc, state: [1] }, 'b.json'))).toMatch(/^b.json: field 'state' must map/);
  });
});

describe('entropic on the gridworld (configs/entropic.yaml)', () => {
  const run = async (dir: string, sets: string[], opts = {}) => {
    await train(loadConfig('configs/entropic.yaml', sets), { runDir: dir, log: () => {}, ...opts });
    return readJsonl(path.join(dir, 'metrics.jsonl'));
  };
  const strip = (rows: Record<string, number>[]) =>
    rows.map((m) => Object.fromEntries(Object.entries(m).filter(([k]) => !k.startsWith('perf/'))));

  it('the loss hook runs once per mini-batch: the integral grows by 4 mean errors a step (2 epochs × 2)', async () => {
    const rows = await run(tempDir('entrolab-entropic-'), ['steps=4', 'checkpoint.every=1']);
    let previous = 0;
    for (const r of rows) {
      expect(r['entropic/integral'] - previous).toBeCloseTo(4 * r['entropic/error'], 5);
      previous = r['entropic/integral'];
      expect(Math.abs(r['entropic/alpha'])).toBeLessThanOrEqual(1);
    }
    // the first step starts at the uniform policy: H ≈ ln 4 > 1, so α > 0
    expect(rows[0]['entropic/alpha']).toBeGreaterThan(0);
    const cut = tempDir('entrolab-entropic-');
    const sets = ['steps=4', 'checkpoint.every=1'];
    await run(cut, sets, stopAfter(2));
    const resumed = await run(cut, sets, { resume: true });
    expect(strip(resumed)).toEqual(strip(rows));
  });

  it('a scheduled target re-creates the regularizer each step; the integral is carried', async () => {
    const rows = await run(tempDir('entrolab-entropic-'), [
      'steps=3',
      'regularizers.0.target={schedule: linear, from: 1.2, to: 0.8}',
    ]);
    let previous = 0;
    for (const r of rows) {
      expect(r['entropic/error']).toBeCloseTo(r['entropic/H'] - r['schedule/regularizers.0.target'], 6);
      expect(r['entropic/integral'] - previous).toBeCloseTo(4 * r['entropic/error'], 5);
      previous = r['entropic/integral'];
    }
  });
});
