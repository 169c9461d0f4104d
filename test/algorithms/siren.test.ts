// SIREN (algorithms/siren.ts, docs/siren.md): the peak selection and the squared deviation with its
// gradient by hand (T2), the anchor from π_old at the first step and its checkpoint, the loss and
// its gradient with respect to the log-distribution through `entrolab loss` (state and --prepare),
// the edge cases (ties, one valid token, padding rows), and gridworld runs: λ = 0 is GRPO bit for
// bit, the anchor is fixed from the first step, the first update of a one-mini-batch run has zero
// deviation (T3), and a resumed run repeats an uninterrupted one.
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { peakSelection, selectedEntropyValue, selectedRowWeights, sirenTerm } from '../../algorithms/siren.ts';
import { selectBackend } from '../../src/backend/backend.ts';
import type { UserError } from '../../src/base/errors.ts';
import { loadConfig } from '../../src/config/load.ts';
import { loadLossConfig } from '../../src/config/loss-config.ts';
import { parseLossBatch } from '../../src/loss/loss-batch.ts';
import { computeLoss } from '../../src/loss/loss-check.ts';
import { loadCheckpoint } from '../../src/run/checkpoint.ts';
import { train } from '../../src/train/trainer.ts';
import { readJsonl, stopAfter, tempDir } from '../helpers.ts';

beforeAll(async () => {
  await selectBackend('wasm');
});

const kept = (keep: Uint8Array) => Array.from(keep.keys()).filter((i) => keep[i]);

describe('T2: peak selection and (H_sel − H_anchor)² (hand)', () => {
  // rows of H^p [0.2, 0.9, 0.4, 0.6, 0.1] (q = 0.66 → the 0.9) and [0.5, 0.5, pad, pad, pad] (ties: none)
  const h = Float32Array.from([0.2, 0.9, 0.4, 0.6, 0.1, 0.5, 0.5, 0, 0, 0]);
  const mask = [1, 1, 1, 1, 1, 1, 1, 0, 0, 0];

  it('selects the 0.9 only; H_sel = (0.9 + 0)/2 = 0.45 (a row without selection still counts)', () => {
    const sel = peakSelection(h, mask, 2, 5, 0.8);
    expect(kept(sel.keep)).toEqual([1]);
    expect(sel.thresholds[0]).toBeCloseTo(0.66, 6);
    expect(selectedEntropyValue(h, sel.keep, mask, 2, 5)).toBeCloseTo(0.45, 6);
  });

  it('λ = 0.1, anchor 0.4: term 0.00025, ∂/∂H^p = 0.005 on the selected slot, 0 elsewhere', () => {
    const sel = peakSelection(h, mask, 2, 5, 0.8);
    const { weights, validRows } = selectedRowWeights(sel.keep, mask, 2, 5);
    expect(validRows).toBe(2);
    const f = (x: tf.Tensor) => sirenTerm(x as tf.Tensor1D, weights, validRows, 0.4, 0.1);
    const value = tf.tidy(() => f(tf.tensor1d(h)).dataSync()[0]);
    expect(value).toBeCloseTo(0.00025, 8);
    const g = tf.tidy(() => Array.from(tf.grad(f)(tf.tensor1d(h)).dataSync()));
    g.forEach((x, i) => expect(x, `slot ${i}`).toBeCloseTo(i === 1 ? 0.005 : 0, 7));
  });

  it('edge cases: a one-token row and an all-padding row select nothing and B counts rows with a token', () => {
    const hp = Float32Array.from([0.7, 0, 0, 0, 0.3, 0.8]);
    const m = [1, 0, 0, 0, 1, 1];
    const sel = peakSelection(hp, m, 3, 2, 0.8);
    expect(kept(sel.keep)).toEqual([5]);
    const { validRows } = selectedRowWeights(sel.keep, m, 3, 2);
    expect(validRows).toBe(2);
    expect(selectedEntropyValue(hp, sel.keep, m, 3, 2)).toBeCloseTo(0.4, 6);
    // no valid token at all: H_sel = 0 (not 0/0)
    expect(selectedEntropyValue(hp, new Uint8Array(6), [0, 0, 0, 0, 0, 0], 3, 2)).toBe(0);
  });
});

describe('through entrolab loss (log_policy, state, --prepare)', () => {
  // two rows of 3 slots, A = 4, advantages 0 (the PG term is 0): p_top 0.95
  const dists = [
    [
      [0.4, 0.3, 0.2, 0.1],
      [0.7, 0.1, 0.1, 0.1],
      [0.25, 0.25, 0.25, 0.25],
    ],
    [
      [0.5, 0.3, 0.1, 0.1],
      [0.6, 0.2, 0.1, 0.1],
      [0.9, 0.04, 0.03, 0.03],
    ],
  ];
  const doc = (d: number[][][]) => {
    const lp = d.map((r) => r.map((p) => p.map(Math.log)));
    return {
      log_probs: lp.map((r) => r.map((p) => p[0])),
      old_log_probs: lp.map((r) => r.map((p) => p[0])),
      advantages: [
        [0, 0, 0],
        [0, 0, 0],
      ],
      mask: [
        [1, 1, 1],
        [1, 1, 1],
      ],
      actions: [
        [0, 0, 0],
        [0, 0, 0],
      ],
      log_policy: lp,
      old_log_policy: lp,
    };
  };
  const sets = ['regularizers=[{name: siren, coef: 0.5, entropy_topp: 0.95}]'];
  const run = (d: object, opts = {}) => computeLoss(parseLossBatch(d, 'b.json'), loadLossConfig(undefined, sets), opts);

  it('the loss is λ(H_sel − anchor)² with the anchor from the state; the state is echoed', () => {
    const out = run({ ...doc(dists), state: { siren: { anchor: 0.5 } } });
    const hSel = out.metrics['siren/H_sel'];
    expect(out.loss).toBeCloseTo(0.5 * (hSel - 0.5) ** 2, 6);
    expect(out.metrics['siren/H_anchor']).toBe(0.5);
    expect(out.state).toEqual({ siren: { anchor: 0.5 } });
    // p_top 0.95 keeps 3 tokens in every slot but the last (0.9 + 0.04 < 0.95 ≤ 0.97: 2); the peaks are
    // the uniform slot of row 0 (H^p = ln 3) and [0.5, 0.3, 0.1] in row 1
    expect(out.selections.siren.tokens).toEqual([
      [0, 2],
      [1, 0],
    ]);
  });

  it('grad_log_policy matches finite differences of the loss', () => {
    const base = run({ ...doc(dists), state: { siren: { anchor: 0.2 } } });
    const eps = 1e-3;
    for (const [r, t, v] of [
      [0, 2, 1],
      [1, 0, 0],
      [1, 0, 2],
      [0, 1, 0],
    ]) {
      const bumped = dists.map((row) => row.map((p) => p.slice()));
      // z += ε at one entry, renormalised: p ∝ p·e^ε there
      const p = bumped[r][t];
      p[v] *= Math.exp(eps);
      const s = p.reduce((a, b) => a + b, 0);
      bumped[r][t] = p.map((x) => x / s);
      const up = run({ ...doc(bumped), state: { siren: { anchor: 0.2 } } });
      const numeric = (up.loss - base.loss) / eps;
      expect(base.grad_log_policy![r][t][v], `[${r}][${t}][${v}]`).toBeCloseTo(numeric, 3);
    }
  });

  it('--prepare at step 0 sets the anchor from old_log_policy: current = old gives deviation 0 and gradient 0', () => {
    const out = run(doc(dists), { prepare: true });
    expect(out.metrics['siren/deviation']).toBeCloseTo(0, 6);
    expect(out.loss).toBeCloseTo(0, 10);
    for (const row of out.grad_log_policy!)
      for (const slot of row) for (const g of slot) expect(Math.abs(g)).toBeLessThan(1e-6);
    expect((out.state!.siren as { anchor: number }).anchor).toBeCloseTo(out.metrics['siren/H_sel'], 6);
  });

  it('without an anchor the command says how to give one; a batch without log_policy is refused', () => {
    const message = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as UserError).message;
      }
      return '';
    };
    expect(message(() => run(doc(dists)))).toMatch(/^siren.anchor: no anchor yet: give it in the batch file/);
    const { log_policy: _lp, ...without } = doc(dists);
    expect(message(() => run({ ...without, state: { siren: { anchor: 1 } } }))).toMatch(
      /field 'log_policy' is required/,
    );
  });
});

describe('siren on the gridworld (configs/siren.yaml)', () => {
  const train4 = async (dir: string, sets: string[], opts = {}) => {
    await train(loadConfig('configs/siren.yaml', sets), { runDir: dir, log: () => {}, ...opts });
    return readJsonl(path.join(dir, 'metrics.jsonl'));
  };
  const core = (rows: Record<string, number>[]) =>
    rows.map((r) => Object.entries(r).filter(([k]) => !k.startsWith('perf/') && !k.startsWith('siren/')));
  const strip = (rows: Record<string, number>[]) =>
    rows.map((m) => Object.fromEntries(Object.entries(m).filter(([k]) => !k.startsWith('perf/'))));

  it('λ = 0 reproduces GRPO bit for bit', async () => {
    const gDir = tempDir('entrolab-siren-');
    const sDir = tempDir('entrolab-siren-');
    const grpo = await train4(gDir, ['steps=3', 'regularizers=[]']);
    const off = await train4(sDir, ['steps=3', 'regularizers.0.coef=0']);
    expect(core(off)).toEqual(core(grpo));
    expect(JSON.stringify(loadCheckpoint(sDir).policy.weights)).toBe(
      JSON.stringify(loadCheckpoint(gDir).policy.weights),
    );
  });

  it('T3: one mini-batch, one epoch: the first update has zero deviation; the anchor stays fixed', async () => {
    const rows = await train4(tempDir('entrolab-siren-'), ['steps=3', 'grpo.epochs=1', 'grpo.mini_batches=1']);
    expect(Math.abs(rows[0]['siren/deviation'])).toBeLessThan(1e-5);
    expect(rows[0]['siren/anchor_set']).toBe(rows[0]['siren/H_anchor']);
    for (const r of rows) expect(r['siren/H_anchor']).toBe(rows[0]['siren/H_anchor']);
    expect(rows.slice(1).some((r) => Math.abs(r['siren/deviation']) > 1e-4)).toBe(true);
  });

  it('a scheduled coef re-creates the regularizer each step; the anchor is carried, set once', async () => {
    const rows = await train4(tempDir('entrolab-siren-'), [
      'steps=3',
      'regularizers.0.coef={schedule: linear, from: 1, to: 0}',
    ]);
    expect(rows.map((r) => r['schedule/regularizers.0.coef'])).toEqual([1, 0.5, 0]);
    expect(rows.filter((r) => r['siren/anchor_set'] !== undefined)).toHaveLength(1);
    for (const r of rows) expect(r['siren/H_anchor']).toBe(rows[0]['siren/H_anchor']);
    expect(rows[2]['siren/reg_term']).toBe(0);
  });

  it('the anchor is checkpointed: a resumed run repeats an uninterrupted one', async () => {
    const sets = ['steps=4', 'checkpoint.every=1'];
    const full = await train4(tempDir('entrolab-siren-'), sets);
    const cut = tempDir('entrolab-siren-');
    await train4(cut, sets, stopAfter(2));
    const resumed = await train4(cut, sets, { resume: true });
    expect(strip(resumed)).toEqual(strip(full));
    expect(loadCheckpoint(cut).regularizers?.siren?.state).toEqual({ anchor: full[0]['siren/H_anchor'] });
  });
});
