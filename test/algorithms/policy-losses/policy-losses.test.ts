// algorithms/policy-losses/ against docs/policy-losses.md: every loss's toy numbers (value, per-token
// loss, gradient w.r.t. the log-probs, clip fractions) from verl's reference functions, its edge
// cases, and the on-policy negative control — all through `entrolab loss`'s own computation
// (computeLoss with `--set grpo.policy_loss=…`), which runs the trainer's composeLoss.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadLossConfig } from '../../../src/config/loss-config.ts';
import { parseLossBatch } from '../../../src/loss/loss-batch.ts';
import { computeLoss, type LossOutput } from '../../../src/loss/loss-check.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const TOL = 2e-6; // float32 tolerance for O(1) values

function expectClose(actual: number, expected: number, tol = TOL): void {
  expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(
    tol * Math.max(1, Math.abs(expected)),
  );
}
function expectRows(actual: number[][], expected: number[][], tol = TOL): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((row, r) => {
    expect(row.length).toBe(expected[r].length);
    row.forEach((v, t) => expectClose(v, expected[r][t], tol));
  });
}

interface Toy {
  lp: number[][];
  old: number[][];
  adv: number[][];
  mask?: number[][];
  success?: number[];
}

/** The loss of one toy mini-batch under `policy_loss` with the given `--set` overrides. */
function loss(policyLoss: string, toy: Toy, sets: string[] = []): LossOutput {
  const doc = {
    log_probs: toy.lp,
    old_log_probs: toy.old,
    advantages: toy.adv,
    mask: toy.mask ?? toy.lp.map((row) => row.map(() => 1)),
    ...(toy.success && { success: toy.success, rewards: toy.success }),
  };
  return computeLoss(
    parseLossBatch(doc, 'toy.json'),
    loadLossConfig(undefined, [`grpo.policy_loss=${policyLoss}`, ...sets]),
  );
}

describe('vanilla (the default)', () => {
  it('is PPO-clip: an unclipped token −A·ρ, a clipped one −A·(1 + ε_h) with no gradient', () => {
    const out = loss('vanilla', { lp: [[-0.5, -0.5]], old: [[-1, -0.5]], adv: [[1, 1]] });
    // ρ = [e^0.5, 1]: token 0 clipped at 1.2
    expectRows(out.token_loss, [[-1.2, -1]]);
    expectRows(out.grad_log_probs, [[0, -0.5]]);
    expectClose(out.metrics['actor/pg_clipfrac'], 0.5);
    expect(loss('vanilla', { lp: [[-0.5]], old: [[-1]], adv: [[1]] })).toEqual(
      computeLoss(
        parseLossBatch({ log_probs: [[-0.5]], old_log_probs: [[-1]], advantages: [[1]], mask: [[1]] }, 'b'),
        loadLossConfig(undefined, []),
      ),
    );
  });
});

describe('gspo', () => {
  const t1 = { lp: [[-1.0, -0.5]], old: [[-1.2, -0.5]], adv: [[1, 1]] };
  it('T1: s̄ = 0.1 → s = 1.105171 on both tokens, gradient −s/2 each, nothing clipped', () => {
    const out = loss('gspo', t1);
    expectClose(out.loss, -1.105171);
    expectRows(out.token_loss, [[-1.105171, -1.105171]]);
    expectRows(out.grad_log_probs, [[-0.552585, -0.552585]]);
    expect(out.metrics['actor/pg_clipfrac']).toBe(0);
    expect(out.metrics['actor/pg_clipfrac_lower']).toBe(0);
    expectClose(out.metrics['actor/ppo_kl'], -0.1);
  });
  it('T2: with ε_h = 0.05 the sequence ratio is clipped: −1.05, no gradient, clipfrac 1', () => {
    const out = loss('gspo', t1, ['grpo.clip_ratio_high=0.05']);
    expectClose(out.loss, -1.05);
    expectRows(out.grad_log_probs, [[0, 0]]);
    expect(out.metrics['actor/pg_clipfrac']).toBe(1);
  });
  it('T3: no dual clip — A = −1 with s = e^3 costs 20.085537 with gradient 20.085537 (vanilla: 3 and 0)', () => {
    const toy = { lp: [[-0.1]], old: [[-3.1]], adv: [[-1]] };
    const out = loss('gspo', toy);
    expectClose(out.loss, 20.085537, 1e-5);
    expectRows(out.grad_log_probs, [[20.085537]], 1e-5);
    const vanilla = loss('vanilla', toy);
    expectClose(vanilla.loss, 3);
    expectRows(vanilla.grad_log_probs, [[0]]);
  });
  it('caps the sequence log-ratio at 10 (no gradient there) and gives a fully masked row s̄ = 0', () => {
    const capped = loss('gspo', { lp: [[-0.1]], old: [[-12.1]], adv: [[-1]] });
    expectClose(capped.loss, Math.exp(10), 1e-5);
    expectRows(capped.grad_log_probs, [[0]]);
    // row 1 has no valid token: seq-mean-token-mean over row 0 only (S = 1)
    const out = loss('gspo', {
      lp: [
        [-1.0, -0.5],
        [-3, -3],
      ],
      old: [
        [-1.2, -0.5],
        [0, 0],
      ],
      adv: [
        [1, 1],
        [1, 1],
      ],
      mask: [
        [1, 1],
        [0, 0],
      ],
    });
    expectClose(out.loss, -1.105171);
    expectRows(out.grad_log_probs, [
      [-0.552585, -0.552585],
      [0, 0],
    ]);
    expectClose(out.metrics['actor/ppo_kl'], -0.1);
  });
  it('keeps each token its own advantage and divides by the rows (seq-mean-token-mean, fixed)', () => {
    // on-policy, two rows of lengths 2 and 1: ∂/∂lp = −A/(n_i·S)
    const out = loss('gspo', {
      lp: [
        [-1, -1],
        [-1, -1],
      ],
      old: [
        [-1, -1],
        [-1, -1],
      ],
      adv: [
        [1, -0.5],
        [2, 0],
      ],
      mask: [
        [1, 1],
        [1, 0],
      ],
    });
    expectRows(out.grad_log_probs, [
      [-0.25, 0.125],
      [-1, 0],
    ]);
    expectClose(out.loss, (-(1 - 0.5) / 2 - 2) / 2);
  });
});

describe('sapo', () => {
  it('T1: A = +1 at ρ = 1 → loss −2/τ_pos = −2, gradient −1', () => {
    const out = loss('sapo', { lp: [[-1]], old: [[-1]], adv: [[1]] });
    expectClose(out.loss, -2);
    expectRows(out.grad_log_probs, [[-1]]);
    expect(out.metrics['actor/pg_clipfrac']).toBe(0);
  });
  it('T2: A = −1, δ = 0.5, τ_neg = 1.05 → loss 2.529512, gradient +1.471352', () => {
    const out = loss('sapo', { lp: [[-0.5]], old: [[-1]], adv: [[-1]] });
    expectClose(out.loss, 2.529512);
    expectRows(out.grad_log_probs, [[1.471352]]);
    expectClose(out.metrics['actor/ppo_kl'], -0.5);
  });
  it('reads grpo.sapo.tau_pos / tau_neg; A = 0 takes τ_neg (and costs 0)', () => {
    // τ_pos = 2 at ρ = 1: −A·σ(0)·4/2 = −1
    expectClose(loss('sapo', { lp: [[-1]], old: [[-1]], adv: [[1]] }, ['grpo.sapo.tau_pos=2']).loss, -1);
    const zero = loss('sapo', { lp: [[-0.5]], old: [[-1]], adv: [[0]] });
    expect(zero.loss).toBe(0);
  });
});

describe('cispo', () => {
  it('A = +1, δ = 0.5: weight clip(e^0.5) = 1.2 → loss 0.6, gradient −1.2, clipfrac 1', () => {
    const out = loss('cispo', { lp: [[-0.5]], old: [[-1]], adv: [[1]] });
    expectClose(out.loss, 0.6);
    expectRows(out.token_loss, [[0.6]]);
    expectRows(out.grad_log_probs, [[-1.2]]);
    expect(out.metrics['actor/pg_clipfrac']).toBe(1);
    expect(out.metrics['actor/pg_clipfrac_lower']).toBe(0);
  });
  it('A = −1, lp = −1, δ = −0.5: weight 0.8 → loss −0.8, gradient +0.8; inside the box the weight is ρ', () => {
    const out = loss('cispo', { lp: [[-1]], old: [[-0.5]], adv: [[-1]] });
    expectClose(out.loss, -0.8);
    expectRows(out.grad_log_probs, [[0.8]]);
    const inside = loss('cispo', { lp: [[-1]], old: [[-1.1]], adv: [[1]] });
    expectRows(inside.grad_log_probs, [[-Math.exp(0.1)]]);
    expect(inside.metrics['actor/pg_clipfrac']).toBe(0);
  });
  it('uses the run aggregation: two tokens token-mean (0.6 − 0.8)/2, each gradient halved', () => {
    const out = loss('cispo', { lp: [[-0.5, -1]], old: [[-1, -0.5]], adv: [[1, -1]] });
    expectClose(out.loss, -0.1);
    expectRows(out.grad_log_probs, [[-0.6, 0.4]]);
    const sum = loss('cispo', { lp: [[-0.5, -1]], old: [[-1, -0.5]], adv: [[1, -1]] }, [
      'grpo.loss_agg_mode=seq-mean-token-sum',
    ]);
    expectClose(sum.loss, -0.2);
    // two rows of width 2: verl's new seq-mean-token-sum-norm (…-rows) is entrolab's divided by S = 2
    const two = {
      lp: [
        [-0.5, -1],
        [-0.5, -1],
      ],
      old: [
        [-1, -0.5],
        [-1, -0.5],
      ],
      adv: [
        [1, -1],
        [1, 1],
      ],
    };
    const norm = loss('cispo', two, ['grpo.loss_agg_mode=seq-mean-token-sum-norm']);
    const rows = loss('cispo', two, ['grpo.loss_agg_mode=seq-mean-token-sum-norm-rows']);
    expectClose(norm.loss, (0.6 - 0.8 + 0.6 + 0.8) / 2);
    expectClose(rows.loss, norm.loss / 2);
    expectRows(
      rows.grad_log_probs,
      norm.grad_log_probs.map((r) => r.map((g) => g / 2)),
    );
  });
});

describe('geo_mean (GMPO), ε = 0.4', () => {
  const eps = ['grpo.clip_ratio_low=0.4', 'grpo.clip_ratio_high=0.4'];
  it('δ = [0.6, −0.1], A = [1, 1] → δ′ = [0.4, −0.1], r = e^0.15: loss −1.161834, gradient [0, −0.580917]', () => {
    const out = loss('geo_mean', { lp: [[-0.4, -1.1]], old: [[-1, -1]], adv: [[1, 1]] }, eps);
    expectClose(out.loss, -1.161834);
    expectRows(out.token_loss, [[-1.161834, -1.161834]]);
    expectRows(out.grad_log_probs, [[0, -0.580917]]);
    expectClose(out.metrics['actor/pg_clipfrac'], 0.5);
    expect(out.metrics['actor/pg_clipfrac_lower']).toBe(0);
  });
  it('a fully masked second row counts in the mean over rows: loss −0.580917, gradient [0, −0.290459]', () => {
    const out = loss(
      'geo_mean',
      {
        lp: [
          [-0.4, -1.1],
          [-1, -1],
        ],
        old: [
          [-1, -1],
          [-1, -1],
        ],
        adv: [
          [1, 1],
          [0, 0],
        ],
        mask: [
          [1, 1],
          [0, 0],
        ],
      },
      eps,
    );
    expectClose(out.loss, -0.580917);
    expectRows(out.grad_log_probs, [
      [0, -0.290459],
      [0, 0],
    ]);
  });
  it('A = [−1, −1], δ = [0.6, −0.6] → δ′ = [0.6, −0.4]: loss e^0.1, gradient [0.552585, 0], clipfrac_lower 1', () => {
    const out = loss('geo_mean', { lp: [[-0.4, -1.6]], old: [[-1, -1]], adv: [[-1, -1]] }, eps);
    expectClose(out.loss, 1.105171);
    expectRows(out.grad_log_probs, [[0.552585, 0]]);
    // both tokens counted though only the second was clipped (verl's metric)
    expect(out.metrics['actor/pg_clipfrac_lower']).toBe(1);
    expect(out.metrics['actor/pg_clipfrac']).toBe(0);
  });
});

describe('gpg', () => {
  it('−A·lp, token-mean: lp = [−0.5, −2], A = [1, −0.5] → loss −0.25, gradient [−0.5, 0.25], no clip', () => {
    const out = loss('gpg', { lp: [[-0.5, -2]], old: [[-0.5, -1.5]], adv: [[1, -0.5]] });
    expectClose(out.loss, -0.25);
    expectRows(out.token_loss, [[0.5, -1]]);
    expectRows(out.grad_log_probs, [[-0.5, 0.25]]);
    expect(out.metrics['actor/pg_clipfrac']).toBe(0);
    expectClose(out.metrics['actor/ppo_kl'], 0.25);
  });
});

describe('negative control: on-policy (ρ = 1) every ratio loss has vanilla’s gradient −A', () => {
  const toy = {
    lp: [
      [-1, -2],
      [-0.5, -1],
    ],
    old: [
      [-1, -2],
      [-0.5, -1],
    ],
    adv: [
      [1, 1],
      [-0.5, -0.5],
    ],
  };
  const agg = ['grpo.loss_agg_mode=seq-mean-token-mean'];
  const vanilla = loss('vanilla', toy, agg).grad_log_probs;
  it.each(['gspo', 'sapo', 'cispo', 'gpg'])('%s', (name) => {
    expectRows(loss(name, toy, name === 'gspo' || name === 'sapo' ? [] : agg).grad_log_probs, vanilla);
  });
});

describe('dppo_tv / dppo_kl (A = +1, p_old = 0.2, c = 20 unless said)', () => {
  const lnp = Math.log;
  const toy = (p: number, pOld: number, a: number) => ({ lp: [[lnp(p)]], old: [[lnp(pOld)]], adv: [[a]] });
  const tv = ['grpo.clip_ratio_low=0.15', 'grpo.clip_ratio_high=0.15', 'grpo.clip_ratio_c=20'];
  const kl = ['grpo.clip_ratio_low=0.05', 'grpo.clip_ratio_high=0.05', 'grpo.clip_ratio_c=20'];
  it('TV, δ = 0.15: p = 0.3 is valid, w = 1.5 → loss −1.5·ln 0.3 = 1.805959, gradient −1.5', () => {
    const out = loss('dppo_tv', toy(0.3, 0.2, 1), tv);
    expectClose(out.loss, 1.805959);
    expectRows(out.grad_log_probs, [[-1.5]]);
    expect(out.metrics['actor/pg_clipfrac']).toBe(0);
  });
  it('TV: p = 0.4 (moved 0.2 with A) is masked out: loss 0, gradient 0, clipfrac 1', () => {
    const out = loss('dppo_tv', toy(0.4, 0.2, 1), tv);
    expect(out.loss).toBe(0);
    expectRows(out.grad_log_probs, [[0]]);
    expect(out.metrics['actor/pg_clipfrac']).toBe(1);
  });
  it('TV, A = −1: p_old 0.5 → 0.3 is masked; p_old 0.1 → 0.4 with c = 3 is valid with w = 3', () => {
    expect(loss('dppo_tv', toy(0.3, 0.5, -1), tv).metrics['actor/pg_clipfrac']).toBe(1);
    const capped = loss('dppo_tv', toy(0.4, 0.1, -1), ['grpo.clip_ratio_low=0.15', 'grpo.clip_ratio_high=0.15']);
    expectClose(capped.loss, -2.748872);
    expectRows(capped.grad_log_probs, [[3]]);
    expect(capped.metrics['actor/pg_clipfrac_lower']).toBe(1);
  });
  it('KL, δ = 0.05: p = 0.3 (KL_b = 0.025732) is valid with TV’s numbers; p = 0.4 (KL_b = 0.091516) is masked', () => {
    const valid = loss('dppo_kl', toy(0.3, 0.2, 1), kl);
    expectClose(valid.loss, 1.805959);
    expectRows(valid.grad_log_probs, [[-1.5]]);
    const masked = loss('dppo_kl', toy(0.4, 0.2, 1), kl);
    expect(masked.loss).toBe(0);
    expect(masked.metrics['actor/pg_clipfrac']).toBe(1);
  });
  it('KL never masks a move against the advantage’s direction (A > 0, p falls far)', () => {
    const out = loss('dppo_kl', toy(0.05, 0.5, 1), kl);
    expect(out.metrics['actor/pg_clipfrac']).toBe(0);
    expectRows(out.grad_log_probs, [[-0.1]]);
  });
  it('warns at start-up when clip_ratio_c (the weight cap) is verl’s small actor default', async () => {
    const { dppoWarnings } = await import('../../../algorithms/policy-losses/dppo.ts');
    expect(dppoWarnings({ clipRatioLow: 0.2, clipRatioHigh: 0.2, clipRatioC: 3 })[0]).toMatch(/clip_ratio_c = 3 caps/);
    expect(dppoWarnings({ clipRatioLow: 0.2, clipRatioHigh: 0.2, clipRatioC: 10_000 })).toEqual([]);
  });
});

describe('dro', () => {
  it('A = 1, lp = −1, lp_old = −1.5, β = 0.5 → loss 1.0625, gradient −A + β·δ = −0.75', () => {
    const out = loss('dro', { lp: [[-1]], old: [[-1.5]], adv: [[1]] }, ['grpo.dro.beta=0.5']);
    expectClose(out.loss, 1.0625);
    expectRows(out.grad_log_probs, [[-0.75]]);
    expectClose(out.metrics['actor/ppo_kl'], -0.5);
  });
  it('without grpo.dro.beta it is refused in one line', () => {
    expect(() => loss('dro', { lp: [[-1]], old: [[-1]], adv: [[1]] })).toThrow(
      /'grpo.dro.beta'.*policy_loss dro needs grpo.dro.beta > 0/,
    );
  });
});

describe('gppo (CE-GPPO), ε = 0.2/0.28, c = 10, β₁ = 0.25, β₂ = 1', () => {
  const sets = ['grpo.clip_ratio_low=0.2', 'grpo.clip_ratio_high=0.28', 'grpo.clip_ratio_c=10', 'grpo.gppo.beta1=0.25'];
  const one = (ratio: number, a: number, more: string[] = []) =>
    loss('gppo', { lp: [[Math.log(ratio) - 1]], old: [[-1]], adv: [[a]] }, [...sets, ...more]);
  it('A = −1, ρ = 0.5 (low side): loss β₁(1 − ε_l) = 0.2, gradient +0.2 (vanilla: 0.8 and 0)', () => {
    const out = one(0.5, -1);
    expectClose(out.loss, 0.2);
    expectRows(out.grad_log_probs, [[0.2]]);
    expect(out.metrics['actor/pg_clipfrac']).toBe(1);
    const vanilla = loss('vanilla', { lp: [[Math.log(0.5) - 1]], old: [[-1]], adv: [[-1]] }, sets);
    expectClose(vanilla.loss, 0.8);
    expectRows(vanilla.grad_log_probs, [[0]]);
  });
  it('A = +1, ρ = 1.5 (high side): loss and gradient −β₂(1 + ε_h) = −1.28; ρ = 0.5 unchanged −0.5 / −0.5', () => {
    const high = one(1.5, 1);
    expectClose(high.loss, -1.28);
    expectRows(high.grad_log_probs, [[-1.28]]);
    const inside = one(0.5, 1);
    expectClose(inside.loss, -0.5);
    expectRows(inside.grad_log_probs, [[-0.5]]);
    expect(inside.metrics['actor/pg_clipfrac']).toBe(0);
  });
  it('A = −1, ρ = 12: the dual clip caps the loss at 10 with no gradient', () => {
    const out = one(12, -1);
    expectClose(out.loss, 10, 1e-5);
    expectRows(out.grad_log_probs, [[0]]);
    expect(out.metrics['actor/pg_clipfrac_lower']).toBe(1);
  });
  it('only_high keeps the hard lower clip: A = −1, ρ = 0.5 → 0.8 with no gradient', () => {
    const out = one(0.5, -1, ['grpo.gppo.only_high=true']);
    expectClose(out.loss, 0.8);
    expectRows(out.grad_log_probs, [[0]]);
  });
  it('positive_nll_coef adds coef·token-mean(−lp) over the correct rows only', () => {
    const toy = {
      lp: [
        [-1, -2],
        [-0.5, -0.5],
      ],
      old: [
        [-1, -2],
        [-0.5, -0.5],
      ],
      adv: [
        [1, 1],
        [-1, -1],
      ],
      success: [1, 0],
    };
    const base = loss('gppo', toy, sets);
    const out = loss('gppo', toy, [...sets, 'grpo.gppo.positive_nll_coef=0.1']);
    expectClose(out.metrics['gppo/positive_nll'], 1.5);
    expectClose(out.loss, base.loss + 0.15);
    expectRows(out.grad_log_probs, [
      [base.grad_log_probs[0][0] - 0.05, base.grad_log_probs[0][1] - 0.05],
      base.grad_log_probs[1],
    ]);
    const none = loss('gppo', { ...toy, success: [0, 0] }, [...sets, 'grpo.gppo.positive_nll_coef=0.1']);
    expect(none.metrics['gppo/positive_nll']).toBe(0);
    expectClose(none.loss, base.loss);
  });
  it('entrolab loss asks for success when the positive NLL term is on', () => {
    expect(() => loss('gppo', { lp: [[-1]], old: [[-1]], adv: [[1]] }, ['grpo.gppo.positive_nll_coef=0.1'])).toThrow(
      /field 'success' is required: grpo.gppo.positive_nll_coef/,
    );
  });
});

describe('bapo (yaml settings: a 0.6 → 0.8, b 1.2 → 2.0, steps 0.05, target 1)', () => {
  const toy = { lp: [[Math.log(1.5) - 1, Math.log(0.5) - 1]], old: [[-1, -1]], adv: [[0.4, -1]] };
  it('start R = 0.48/0.6 = 0.8 < 1: a climbs to 0.8 (R falls), b to 2.0 (R = 0.75): loss 0.1, gradient [−0.3, 0]', () => {
    const out = loss('bapo', toy);
    expectClose(out.metrics['bapo/clip_low'], 0.8);
    expectClose(out.metrics['bapo/clip_high'], 2);
    expectClose(out.metrics['bapo/pos_neg_ratio'], 0.75);
    expect(out.metrics['bapo/search_steps']).toBe(20);
    expectClose(out.loss, 0.1);
    expectRows(out.grad_log_probs, [[-0.3, 0]]);
  });
  it('with target 0.4 the start bounds already pass: no search, both tokens clipped', () => {
    const out = loss('bapo', toy, ['grpo.bapo.adv_ratio_target=0.4']);
    expect(out.metrics['bapo/search_steps']).toBe(0);
    expectClose(out.metrics['bapo/clip_low'], 0.6);
    expectClose(out.loss, (-0.48 + 0.6) / 2);
    expectRows(out.grad_log_probs, [[0, 0]]);
    expect(out.metrics['actor/pg_clipfrac']).toBe(1);
  });
  it('null starts fall back to 1 ∓ clip_ratio_low/high and null maxima to the start (no search)', async () => {
    const { searchBounds, bapoSchema } = await import('../../../algorithms/policy-losses/bapo.ts');
    const s = bapoSchema.parse({
      ratio_lower_start: null,
      ratio_lower_max: null,
      ratio_upper_start: null,
      ratio_upper_max: null,
    });
    const found = searchBounds([1.5, 0.5], [0.4, -1], [1, 1], s, { clipRatioLow: 0.2, clipRatioHigh: 0.28 });
    expect(found).toEqual({ low: 0.8, high: 1.28, ratio: (0.4 * 1.28) / (0.8 + 1e-8), steps: 0 });
    // no negative contribution: R = +∞, and the metric is left out
    expect(loss('bapo', { lp: [[-1]], old: [[-1]], adv: [[1]] }).metrics['bapo/pos_neg_ratio']).toBeUndefined();
  });
});

describe('negative control for dppo and bapo: on-policy they give vanilla’s gradient −A', () => {
  const toy = {
    lp: [
      [-1, -2],
      [-0.5, -1],
    ],
    old: [
      [-1, -2],
      [-0.5, -1],
    ],
    adv: [
      [1, 1],
      [-0.5, -0.5],
    ],
  };
  const vanilla = loss('vanilla', toy).grad_log_probs;
  it.each(['dppo_tv', 'dppo_kl', 'bapo', 'gppo'])('%s', (name) => {
    expectRows(loss(name, toy).grad_log_probs, vanilla);
  });
});
