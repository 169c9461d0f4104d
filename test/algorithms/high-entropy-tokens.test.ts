// high_entropy_tokens (algorithms/high-entropy-tokens.ts, docs/high-entropy-tokens.md): both presets'
// loss and gradient by hand through `entrolab loss`'s computeLoss, ties, the kept-token denominator
// in seq-mean mode, the edge cases (one valid token, a row without kept tokens, a fully masked
// mini-batch), the TRL bonus, and short gridworld runs: ρ = 1 is GRPO bit for bit, ρ = 0.2 trains
// on a fifth of the tokens, and TRL's denominator gives a ~5× smaller step.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { highEntropyTokensSchema, resolvedSelection } from '../../algorithms/high-entropy-tokens.ts';
import { selectBackend } from '../../src/backend/backend.ts';
import { loadConfig } from '../../src/config/load.ts';
import { loadLossConfig } from '../../src/config/loss-config.ts';
import { parseLossBatch } from '../../src/loss/loss-batch.ts';
import { computeLoss } from '../../src/loss/loss-check.ts';
import { loadCheckpoint } from '../../src/run/checkpoint.ts';
import { train } from '../../src/train/trainer.ts';
import { readJsonl, tempDir } from '../helpers.ts';

beforeAll(async () => {
  await selectBackend('wasm');
});

const lp = Math.log(0.5);
/** One mini-batch for `entrolab loss`: on-policy (ρ = 1), A = +1 on every valid token. */
function doc(entropy: number[][], mask = entropy.map((r) => r.map(() => 1))) {
  const same = entropy.map((r) => r.map(() => lp));
  return { log_probs: same, old_log_probs: same, advantages: mask.map((r) => r.map((m) => m)), mask, entropy };
}
const loss = (d: object, sets: string[]) => computeLoss(parseLossBatch(d, 'b.json'), loadLossConfig(undefined, sets));
const reg = (keys: string) => `regularizers=[{name: high_entropy_tokens, ${keys}}]`;

describe('presets', () => {
  it('resolve to their rule and denominator; overrides win', () => {
    const p = (x: object) => resolvedSelection(highEntropyTokensSchema.parse(x));
    expect(p({})).toEqual({ rule: { rule: 'top_k', ratio: 0.2 }, denominator: 'kept' });
    expect(p({ preset: 'trl', ratio: 0.3 })).toEqual({
      rule: { rule: 'quantile', level: 0.7, strict: false },
      denominator: 'all',
    });
    expect(p({ preset: 'trl', denominator: 'kept' }).denominator).toBe('kept');
    expect(highEntropyTokensSchema.safeParse({ ratio: 1.5 }).success).toBe(false);
  });
});

describe('T1: one row, H = [0.1, 0.9, 0.4, 0.8, 0.2, 0.7, 0.3], ρ = 0.3, token-mean (hand)', () => {
  const H = [[0.1, 0.9, 0.4, 0.8, 0.2, 0.7, 0.3]];

  it('official_8020: K = ⌊2.1 + 0.9999⌋ = 3, loss = −1 (the kept mean), gradient −1/3 on the three', () => {
    const out = loss(doc(H), [reg('preset: official_8020, ratio: 0.3')]);
    expect(out.loss).toBeCloseTo(-1, 6);
    const g = [0, -1 / 3, 0, -1 / 3, 0, -1 / 3, 0];
    out.grad_log_probs[0].forEach((x, t) => expect(x, `t=${t}`).toBeCloseTo(g[t], 6));
    expect(out.selections.high_entropy_tokens.tokens).toEqual([
      [0, 1],
      [0, 3],
      [0, 5],
    ]);
    out.selections.high_entropy_tokens.weights![0].forEach((w, t) => expect(w).toBeCloseTo(g[t] ? 7 / 3 : 0, 6));
    expect(out.metrics['high_entropy_tokens/n_kept']).toBe(3);
    expect(out.metrics['high_entropy_tokens/threshold']).toBeCloseTo(0.7, 6);
    expect(out.metrics['high_entropy_tokens/kept_entropy_mean']).toBeCloseTo(0.8, 6);
    expect(out.metrics['high_entropy_tokens/dropped_entropy_mean']).toBeCloseTo(0.25, 6);
    expect(out.metrics['high_entropy_tokens/frac_kept_pos_adv']).toBe(1);
  });

  it('trl: τ = 0.72 keeps 0.9 and 0.8; loss = −2/7, gradient −1/7 on the two (the denominator is all 7)', () => {
    const out = loss(doc(H), [reg('preset: trl, ratio: 0.3')]);
    expect(out.loss).toBeCloseTo(-2 / 7, 6);
    const g = [0, -1 / 7, 0, -1 / 7, 0, 0, 0];
    out.grad_log_probs[0].forEach((x, t) => expect(x, `t=${t}`).toBeCloseTo(g[t], 6));
    expect(out.metrics['high_entropy_tokens/threshold']).toBeCloseTo(0.72, 6);
    expect(out.metrics['high_entropy_tokens/frac_kept']).toBeCloseTo(2 / 7, 6);
  });

  it('the trl bonus: −c·Σ_kept H / 7 (dapo) or / 2 (kept), gradient −c/D on the kept entropies only', () => {
    const dapo = loss(doc(H), [reg('preset: trl, ratio: 0.3, bonus_coef: 0.1')]);
    expect(dapo.loss).toBeCloseTo(-2 / 7 - (0.1 * 1.7) / 7, 6);
    expect(dapo.metrics['high_entropy_tokens/bonus']).toBeCloseTo((-0.1 * 1.7) / 7, 6);
    const ge = [0, -0.1 / 7, 0, -0.1 / 7, 0, 0, 0];
    dapo.grad_entropy[0].forEach((x, t) => expect(x, `t=${t}`).toBeCloseTo(ge[t], 6));
    const kept = loss(doc(H), [reg('preset: trl, ratio: 0.3, bonus_coef: 0.1, bonus_denominator: kept')]);
    expect(kept.loss).toBeCloseTo(-2 / 7 - (0.1 * 1.7) / 2, 6);
  });
});

describe('T2–T3 and edge cases', () => {
  it('T2 ties: H all 0.5, ρ = 0.25: official keeps index 0 only, trl all four', () => {
    const flat = [[0.5, 0.5, 0.5, 0.5]];
    const off = loss(doc(flat), [reg('ratio: 0.25')]);
    expect(off.selections.high_entropy_tokens.tokens).toEqual([[0, 0]]);
    expect(off.metrics['high_entropy_tokens/ties_at_threshold']).toBe(4);
    const trl = loss(doc(flat), [reg('preset: trl, ratio: 0.25')]);
    expect(trl.selections.high_entropy_tokens.tokens).toHaveLength(4);
    // every token kept: the plain GRPO loss, −1
    expect(trl.loss).toBeCloseTo(-1, 6);
  });

  it('T3 seq-mean-token-mean: rows [0.9, 0.1 | 0.2, 0.3], K = 1, weights [2, 0 | 0, 0], loss ℓ00/2', () => {
    const out = loss(
      doc([
        [0.9, 0.1],
        [0.2, 0.3],
      ]),
      [reg('ratio: 0.25'), 'grpo.loss_agg_mode=seq-mean-token-mean'],
    );
    expect(out.selections.high_entropy_tokens.weights).toEqual([
      [2, 0],
      [0, 0],
    ]);
    // ℓ00 = −A·ρ = −1; row 1 has no kept token and counts as 0 (the code's 0/0 is NaN)
    expect(out.loss).toBeCloseTo(-0.5, 6);
    expect(out.metrics['high_entropy_tokens/rows_without_kept']).toBe(1);
  });

  it('a single valid token is kept by both presets with weight 1 (the plain loss)', () => {
    const one = doc([[0.3, 0]], [[1, 0]]);
    for (const preset of ['official_8020', 'trl']) {
      const out = loss(one, [reg(`preset: ${preset}, ratio: 0.2`)]);
      expect(out.loss).toBeCloseTo(-1, 6);
      expect(out.selections.high_entropy_tokens.weights).toEqual([[1, 0]]);
    }
  });

  it('a fully masked mini-batch: loss 0 and finite metrics (no NaN), with and without the bonus', () => {
    const empty = doc([[0.3, 0.2]], [[0, 0]]);
    for (const keys of ['ratio: 0.2', 'preset: trl, ratio: 0.2, bonus_coef: 0.1']) {
      const out = loss(empty, [reg(keys)]);
      expect(out.loss).toBe(0);
      for (const v of Object.values(out.metrics)) expect(Number.isFinite(v)).toBe(true);
      expect(out.grad_log_probs).toEqual([[0, 0]]);
    }
  });

  it('ρ = 0: official still keeps one token (K = max(1, ·)); trl keeps the maximum and its ties', () => {
    const H = [[0.2, 0.9, 0.9, 0.1]];
    expect(loss(doc(H), [reg('ratio: 0')]).selections.high_entropy_tokens.tokens).toEqual([[0, 1]]);
    expect(loss(doc(H), [reg('preset: trl, ratio: 0')]).selections.high_entropy_tokens.tokens).toEqual([
      [0, 1],
      [0, 2],
    ]);
  });
});

describe('high_entropy_tokens on the gridworld (configs/high-entropy-tokens.yaml)', () => {
  const run = async (sets: string[]) => {
    const dir = tempDir('entrolab-het-');
    await train(loadConfig('configs/high-entropy-tokens.yaml', ['steps=4', ...sets]), { runDir: dir, log: () => {} });
    return {
      rows: readJsonl(path.join(dir, 'metrics.jsonl')),
      weights: JSON.stringify(loadCheckpoint(dir).policy.weights),
    };
  };
  const core = (rows: Record<string, number>[]) =>
    rows.map((r) => Object.entries(r).filter(([k]) => !k.startsWith('perf/') && !k.startsWith('high_entropy_tokens/')));

  it('ρ = 1 reproduces GRPO bit for bit (both presets)', async () => {
    const grpo = await run(['regularizers=[]']);
    for (const preset of ['official_8020', 'trl']) {
      const all = await run([`regularizers.0.preset=${preset}`, 'regularizers.0.ratio=1']);
      expect(all.weights).toBe(grpo.weights);
      expect(core(all.rows)).toEqual(core(grpo.rows));
      expect(all.rows.every((r) => r['high_entropy_tokens/frac_kept'] === 1)).toBe(true);
    }
  });

  it('ρ = 0.2 trains on a fifth of the tokens; trl keeps ≥ a fifth (ties) and takes a much smaller step', async () => {
    const official = await run([]);
    const trl = await run(['regularizers.0.preset=trl']);
    for (const r of official.rows) {
      // K = ⌈0.2·N⌉ of a few hundred tokens per mini-batch
      expect(r['high_entropy_tokens/frac_kept']).toBeGreaterThanOrEqual(0.2);
      expect(r['high_entropy_tokens/frac_kept']).toBeLessThan(0.22);
      expect(r['high_entropy_tokens/kept_entropy_mean']).toBeGreaterThan(r['high_entropy_tokens/dropped_entropy_mean']);
    }
    for (const r of trl.rows) expect(r['high_entropy_tokens/frac_kept']).toBeGreaterThanOrEqual(0.2);
    // the first step sees the same rollout: the kept-token mean against Σ_kept / N
    const [o, t] = [official.rows[0], trl.rows[0]];
    expect(t['actor/grad_norm']).toBeLessThan(0.6 * o['actor/grad_norm']);
    expect(official.weights).not.toBe(trl.weights);
  });
});
