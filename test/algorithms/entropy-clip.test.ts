// Entropy-discriminator clipping (Clip_B, Clip_V) against hand-worked numbers: the discriminator and
// its first-order entropy law (finite differences), the two selection rules on toy batches, the
// dropped tokens against the trainer's own predicted entropy change, and short gridworld runs.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  centredDiscriminator,
  clipBSelection,
  clipVSelection,
  EntropyClip,
  entropyClipSchema,
  entropyDiscriminator,
  selectEntropyClip,
} from '../../algorithms/entropy-clip.ts';
import { Rng } from '../../src/base/rng.ts';
import { loadConfig } from '../../src/config/load.ts';
import { entropyChange } from '../../src/core/entropy-diagnostics.ts';
import { parseLossBatch } from '../../src/loss/loss-batch.ts';
import { loadCheckpoint } from '../../src/run/checkpoint.ts';
import { train } from '../../src/train/trainer.ts';
import { readJsonl, tempDir } from '../helpers.ts';

const ln = Math.log;

function logSoftmax(z: number[]): number[] {
  const m = Math.max(...z);
  const lz = m + ln(z.reduce((s, x) => s + Math.exp(x - m), 0));
  return z.map((x) => x - lz);
}
const entropyOf = (z: number[]) => -logSoftmax(z).reduce((s, lp) => s + Math.exp(lp) * lp, 0);
const relClose = (got: number, want: number, rel: number) =>
  expect(Math.abs(got - want)).toBeLessThanOrEqual(rel * Math.abs(want));

describe('the entropy discriminator S = p·(H + log p)', () => {
  // p = [0.5, 0.3, 0.2]: H = 1.0296530, S = [0.168253, −0.052296, −0.115957], E_p[S] = 0.045246
  const p = [0.5, 0.3, 0.2];
  const logPolicy = p.map(ln);
  const H = -p.reduce((s, x) => s + x * ln(x), 0);

  it('hand values of S, E_p[S] and D = E_p[S] − S', () => {
    expect(H).toBeCloseTo(1.029653, 6);
    const S = logPolicy.map((lp) => entropyDiscriminator(lp, H));
    [0.168253, -0.052296, -0.115957].forEach((want, k) => expect(S[k]).toBeCloseTo(want, 6));
    const D = [0, 1, 2].map((k) => centredDiscriminator(logPolicy, 0, 3, k));
    [-0.123007, 0.097542, 0.161203].forEach((want, k) => expect(D[k]).toBeCloseTo(want, 6));
    expect(D[0] + S[0]).toBeCloseTo(0.045246, 6);
    // on-policy identity: E_{k∼p}[D_k] = 0
    expect(p.reduce((s, pk, k) => s + pk * D[k], 0)).toBeCloseTo(0, 12);
  });

  it('a single-logit step z_k += ε moves H by −ε·S_k; a PG step z += ε(e_k − p) by ε·D_k (finite differences)', () => {
    const eps = 1e-4;
    const z = logPolicy;
    const single = [0, 1, 2].map((k) => (entropyOf(z.map((x, v) => x + (v === k ? eps : 0))) - H) / eps);
    [-0.168265, 0.052286, 0.115952].forEach((want, k) => relClose(single[k], want, 1e-4));
    const pg = [0, 1, 2].map((k) => (entropyOf(z.map((x, v) => x + eps * ((v === k ? 1 : 0) - p[v]))) - H) / eps);
    [-0.123014, 0.097529, 0.161196].forEach((want, k) => relClose(pg[k], want, 1e-4));
    [0, 1, 2].forEach((k) => relClose(pg[k], -(entropyDiscriminator(logPolicy[k], H) - 0.0452461), 1e-3));
  });
});

describe('Clip_B: batch-normalised S, negative advantages only', () => {
  // six valid tokens (two padded slots in between): μ_S = 0.038333, σ_S = 0.221391,
  // (S − μ_S)/σ_S = [1.182, 0.279, −1.980, 0.053, −0.263, 0.730]
  const S = [0.3, 0.1, 99, -0.4, 0.05, -0.02, 0.2, -99];
  const A = [1, 1, 0, -1, -1, -1, 0, -1];
  const mask = [1, 1, 0, 1, 1, 1, 1, 0];

  it('μ = 1 drops token 3 only; μ = 2.5 keeps all', () => {
    const one = clipBSelection(S, A, mask, 1);
    expect(one.mean).toBeCloseTo(0.038333, 6);
    expect(one.std).toBeCloseTo(0.221391, 6);
    expect(one.valid).toBe(6);
    expect(one.dropped).toEqual([3]);
    expect(Array.from(one.keep)).toEqual([1, 1, 1, 0, 1, 1, 1, 1]);
    expect(clipBSelection(S, A, mask, 2.5).dropped).toEqual([]);
    // the threshold is −μσ on the centred value: token 3 sits at −1.980σ
    expect(clipBSelection(S, A, mask, 1.97).dropped).toEqual([3]);
    expect(clipBSelection(S, A, mask, 1.99).dropped).toEqual([]);
  });

  it('never drops a positive or zero advantage, even at the far tail', () => {
    expect(
      clipBSelection(
        S,
        A.map((a) => (a < 0 ? 1 : a)),
        mask,
        0.01,
      ).dropped,
    ).toEqual([]);
    expect(
      clipBSelection(
        S,
        A.map((a) => Math.max(a, 0)),
        mask,
        0.01,
      ).dropped,
    ).toEqual([]);
  });

  it('μ = 0 (the reference accepts it): drops every negative-advantage token below the mean, keeps one at it', () => {
    // centred S of the negative tokens 3, 4, 5: −1.980σ, +0.053σ, −0.263σ → tokens 3 and 5
    expect(clipBSelection(S, A, mask, 0).dropped).toEqual([3, 5]);
    // S = [1, 2, 3]: mean exactly 2; the reference keeps z ≥ −μσ = 0, so token 1 stays
    expect(clipBSelection([1, 2, 3], [-1, -1, -1], [1, 1, 1], 0).dropped).toEqual([0]);
    expect(entropyClipSchema.parse({ mu: 0 }).mu).toBe(0);
    expect(entropyClipSchema.safeParse({ mu: -0.5 }).success).toBe(false);
  });

  it('keeps everything when S is constant over the valid tokens', () => {
    expect(clipBSelection([0.2, 0.2, 5, 0.2], [-1, -1, -1, -1], [1, 1, 0, 1], 0.1).dropped).toEqual([]);
  });
});

describe('Clip_V: vocabulary-centred D with a cap', () => {
  // every slot p = [0.5, 0.3, 0.2]; (action, A) = (0,+1), (2,−1), (1,−1), (0,−1)
  // D = [−0.123007, 0.161203, 0.097542, −0.123007], σ_D = 0.128181
  const logPolicy = [0, 1, 2, 3].flatMap(() => [0.5, 0.3, 0.2].map(ln));
  const actions = [0, 2, 1, 0];
  const D = actions.map((a, i) => centredDiscriminator(logPolicy, 3 * i, 3, a));
  const A = [1, -1, -1, -1];
  const mask = [1, 1, 1, 1];

  it('μ = 0.5 drops tokens 1 and 2, μ = 1 token 1, μ = 2 none (max_frac 1)', () => {
    const half = clipVSelection(D, A, mask, 0.5, 1, true);
    expect(half.std).toBeCloseTo(0.128181, 6);
    expect(half.dropped).toEqual([1, 2]);
    expect(half.capped).toBe(false);
    expect(clipVSelection(D, A, mask, 1, 1, true).dropped).toEqual([1]);
    expect(clipVSelection(D, A, mask, 2, 1, true).dropped).toEqual([]);
  });

  it('μ = 0 drops the non-positive-advantage tokens with D > 0 (token 3, D < 0, stays)', () => {
    expect(clipVSelection(D, A, mask, 0, 1, true).dropped).toEqual([1, 2]);
    expect(
      clipVSelection(
        D.map((d) => d - 0.1),
        A,
        mask,
        0,
        1,
        true,
      ).dropped,
    ).toEqual([1]);
  });

  it('max_frac = 0.3: K = max(⌊1.2⌋, 1) = 1, only the largest D is dropped', () => {
    const sel = clipVSelection(D, A, mask, 0.5, 0.3, true);
    expect(sel.capped).toBe(true);
    expect(sel.candidates).toEqual([1, 2]);
    expect(sel.dropped).toEqual([1]);
    // 2 candidates of 4 = 0.5 ≤ max_frac 0.5: no cap
    expect(clipVSelection(D, A, mask, 0.5, 0.5, true).dropped).toEqual([1, 2]);
  });

  it('A = 0 tokens over the threshold are dropped on top of the top-K (and not with drop_zero_advantage false)', () => {
    // six tokens: (action, A) = (0,+1), (2,−1), (1,−1), (0,−1), (2,0), (1,0)
    const lp6 = [0, 1, 2, 3, 4, 5].flatMap(() => [0.5, 0.3, 0.2].map(ln));
    const act6 = [0, 2, 1, 0, 2, 1];
    const D6 = act6.map((a, i) => centredDiscriminator(lp6, 3 * i, 3, a));
    const A6 = [1, -1, -1, -1, 0, 0];
    const m6 = [1, 1, 1, 1, 1, 1];
    // D6 over threshold at μ = 0.5: tokens 1, 2, 4, 5 → 4/6 > 0.2, K = max(⌊1.2⌋, 1) = 1
    const sel = clipVSelection(D6, A6, m6, 0.5, 0.2, true);
    expect(sel.capped).toBe(true);
    expect(sel.dropped).toEqual([1, 4, 5]);
    const noZero = clipVSelection(D6, A6, m6, 0.5, 0.2, false);
    expect(noZero.dropped).toEqual([1]);
    // the mask falls from 6 valid tokens to 3: the token-mean denominator changes
    expect(Array.from(sel.keep).reduce((s, k, i) => s + k * m6[i], 0)).toBe(3);
  });
});

describe('the dropped tokens are those whose update lowers entropy most (trainer prediction)', () => {
  // A random batch of N slots over V actions; each token's own PG step z += η·A·(e_k − p) is fed to
  // the trainer's entropyChange, whose `predicted` is that token's first-order ΔH.
  const rng = new Rng('entropy-clip-dH');
  const N = 300;
  const V = 6;
  const eta = 1e-3;
  const logPolicy = new Float32Array(N * V);
  const actions: number[] = [];
  const A: number[] = [];
  const predicted: number[] = [];
  const H: number[] = [];
  for (let i = 0; i < N; i++) {
    const scale = 0.5 + 3 * rng.next();
    const z = Array.from({ length: V }, () => scale * rng.normal());
    const lp = logSoftmax(z);
    logPolicy.set(lp, i * V);
    const p = lp.map(Math.exp);
    const k = rng.categorical(p);
    const a = rng.next() < 0.5 ? -1 : 1;
    actions.push(k);
    A.push(a);
    H.push(entropyOf(z));
    const after = Float32Array.from(logSoftmax(z.map((x, v) => x + eta * a * ((v === k ? 1 : 0) - p[v]))));
    predicted.push(entropyChange(Float32Array.from(lp), after, Float32Array.of(1), V).predicted / eta);
  }
  const mask = new Array(N).fill(1);
  const negatives = [...Array(N).keys()].filter((i) => A[i] < 0);

  it('Clip_V drops exactly the K negative-advantage tokens with the most negative predicted ΔH', () => {
    const D = actions.map((k, i) => centredDiscriminator(logPolicy, i * V, V, k));
    for (let i = 0; i < N; i++) expect(predicted[i]).toBeCloseTo(A[i] * D[i], 3);
    const sel = clipVSelection(D, A, mask, 1, 0.02, true);
    expect(sel.capped).toBe(true);
    const K = Math.floor(0.02 * N);
    const mostNegative = negatives
      .slice()
      .sort((a, b) => predicted[a] - predicted[b])
      .slice(0, K)
      .sort((a, b) => a - b);
    expect(sel.dropped).toEqual(mostNegative);
  });

  it('Clip_B drops negative-advantage tokens from the low tail of predicted ΔH', () => {
    const S = actions.map((k, i) => entropyDiscriminator(logPolicy[i * V + k], H[i]));
    const sel = clipBSelection(S, A, mask, 1.5);
    expect(sel.dropped.length).toBeGreaterThan(0);
    expect(sel.dropped.length).toBeLessThan(0.1 * N);
    const sortedNeg = negatives.map((i) => predicted[i]).sort((a, b) => a - b);
    const quartile = sortedNeg[Math.floor(sortedNeg.length / 4)];
    for (const i of sel.dropped) {
      expect(A[i]).toBeLessThan(0);
      expect(predicted[i]).toBeLessThan(quartile);
    }
  });
});

describe('the entropy_clip regularizer', () => {
  // Clip_B's T2 batch as a loss-command JSON: S = p·(H + log p) is set through old_log_probs = log p
  // and old_entropy = H; two rows of width 4, the last slot of each padded.
  const lp = [Math.log(0.5), Math.log(0.3), Math.log(0.2)];
  const H = 1.029653;
  const doc = {
    log_probs: [
      [lp[0], lp[1], lp[2], 0],
      [lp[0], lp[1], lp[2], 0],
    ],
    old_log_probs: [
      [lp[0], lp[1], lp[2], 0],
      [lp[0], lp[1], lp[2], 0],
    ],
    old_entropy: [
      [H, H, H, 0],
      [H, H, H, 0],
    ],
    advantages: [
      [1, 1, 1, 0],
      [-1, -1, -1, 0],
    ],
    mask: [
      [1, 1, 1, 0],
      [1, 1, 1, 0],
    ],
  };

  it('prepareBatch zeroes the mask of the dropped token only (and the advantage in zero_advantage mode)', () => {
    // S = [0.168, −0.052, −0.116] twice: σ_S = 0.1177, mean 0; token (1, 2) at −0.985σ is dropped at μ = 0.9
    const { batch } = parseLossBatch(doc, 'test');
    const reg = new EntropyClip(entropyClipSchema.parse({ mu: 0.9 }));
    const { value: out, metrics } = reg.prepareBatch(batch);
    expect(Array.from(out.mask)).toEqual([1, 1, 1, 0, 1, 1, 0, 0]);
    expect(out.advantages).toBe(batch.advantages);
    expect(Array.from(batch.mask)).toEqual([1, 1, 1, 0, 1, 1, 1, 0]); // the input batch is unchanged
    expect(metrics).toMatchObject({
      frac_clipped: 1 / 6,
      frac_clipped_neg: 1 / 3,
      frac_clipped_pos: 0,
      n_candidates: 1,
    });
    expect(selectEntropyClip(batch, entropyClipSchema.parse({ mu: 0.9 })).dropped).toEqual([6]);
    const zero = new EntropyClip(entropyClipSchema.parse({ mu: 0.9, drop_mode: 'zero_advantage' })).prepareBatch(
      batch,
    ).value;
    expect(zero.mask).toBe(batch.mask);
    expect(Array.from(zero.advantages)).toEqual([1, 1, 1, 0, -1, -1, 0, 0]);
  });

  it('Clip_V reads old_log_policy and says so when the batch lacks it', () => {
    const { batch } = parseLossBatch(doc, 'test');
    const reg = new EntropyClip(entropyClipSchema.parse({ variant: 'vocab', mu: 0.5, max_frac: 1 }));
    expect(() => reg.prepareBatch(batch)).toThrow(/entropy_clip.variant.*oldLogPolicy/);
    const logPolicy = [0, 1].map(() => [lp, lp, lp, lp]);
    const withPolicy = parseLossBatch({ ...doc, old_log_policy: logPolicy }, 'test').batch;
    withPolicy.actions.set([0, 1, 2, 0, 0, 1, 2, 0]);
    // D = [−0.123, 0.0975, 0.161] per row, σ_D = 0.1218; A < 0 and D > 0.5σ: tokens (1, 1) and (1, 2)
    expect(Array.from(reg.prepareBatch(withPolicy).value.mask)).toEqual([1, 1, 1, 0, 1, 0, 0, 0]);
    // the default cap (2% of 6 tokens → K = 1) keeps only the larger D
    const capped = new EntropyClip(entropyClipSchema.parse({ variant: 'vocab', mu: 0.5 }));
    const cappedOut = capped.prepareBatch(withPolicy);
    expect(Array.from(cappedOut.value.mask)).toEqual([1, 1, 1, 0, 1, 1, 0, 0]);
    expect(cappedOut.metrics).toMatchObject({ capped: 1, n_candidates: 2, frac_clipped: 1 / 6 });
  });

  const run = async (sets: string[]) => {
    const dir = tempDir('entrolab-entropy-clip-');
    await train(loadConfig('configs/entropy-clip.yaml', sets), { runDir: dir, log: () => {} });
    return {
      rows: readJsonl(path.join(dir, 'metrics.jsonl')),
      weights: JSON.stringify(loadCheckpoint(dir).policy.weights),
    };
  };
  const core = (rows: Record<string, number>[]) =>
    rows.map((r) => Object.entries(r).filter(([k]) => !k.startsWith('perf/') && !k.startsWith('entropy_clip/')));

  it('μ = 100 drops nothing and reproduces GRPO bit for bit', async () => {
    const grpo = await run(['steps=3', 'regularizers=[]']);
    const off = await run(['steps=3', 'regularizers.0.mu=100']);
    expect(off.weights).toBe(grpo.weights);
    expect(core(off.rows)).toEqual(core(grpo.rows));
    expect(off.rows.every((r) => r['entropy_clip/frac_clipped'] === 0)).toBe(true);
  });

  it('Clip_B at μ = 1 keeps the gridworld entropy higher than GRPO (same seed, 15 steps)', async () => {
    const grpo = await run(['steps=15', 'regularizers=[]']);
    const clip = await run(['steps=15', 'regularizers.0.mu=1']);
    const late = (rows: Record<string, number>[]) => rows.slice(-5).reduce((s, r) => s + r['entropy/rollout'], 0) / 5;
    expect(late(clip.rows)).toBeGreaterThan(late(grpo.rows) + 0.1);
    for (const r of clip.rows) {
      expect(r['entropy_clip/frac_clipped']).toBeGreaterThan(0);
      expect(r['entropy_clip/frac_clipped']).toBeLessThan(0.25);
      expect(r['entropy_clip/frac_clipped_pos']).toBe(0);
    }
  }, 120_000);
});
