// Oracle tests for every advantage estimator (docs/advantages.md): the toy inputs and numbers of
// the reference functions in verl core_algos (compute_*_outcome_advantage, OTB, ReMax) and the
// QAE README's one-line change, plus the edge cases each one documents.
import { describe, expect, it } from 'vitest';
import type { AdvantageInputs, AdvantageSettings } from '../../../algorithms/advantages/estimator.ts';
import { interpolatedQuantile } from '../../../algorithms/advantages/grpo.ts';
import {
  ADV_ESTIMATOR_NAMES,
  type AdvEstimatorName,
  advantageMetrics,
  computeAdvantages,
} from '../../../algorithms/advantages/registry.ts';
import { broadcastToTokens, groupAdvantages } from '../../../algorithms/grpo.ts';
import { parseConfig } from '../../../src/config/load.ts';

const SETTINGS: AdvantageSettings = {
  normAdvByStd: true,
  epsilon: 1e-6,
  gamma: 1,
  quantileK: -1,
  otb: { handleZeroTail: true, epsilon: 1e-8 },
};

interface Toy {
  rewards: number[];
  groups?: number[];
  masks: number[][];
  /** Per slot π_old(a) and Σ_v π_v² (OTB): a two-action distribution is built to match them. */
  pi?: number[][];
  sumSq?: number[][];
  greedy?: number[];
}

/** A two-action π with p(a) = π and p(a)² + p(b)² = Σπ² needs Σπ² = π² + (1 − π)²; OTB's toy uses three actions. */
function logPolicyFor(pi: number, sumSq: number): number[] {
  // the other mass 1 − π spread over two actions q, r with q² + r² = Σπ² − π²
  const rest = 1 - pi;
  const sq = sumSq - pi * pi;
  // q + r = rest, q² + r² = sq  →  q, r = (rest ± sqrt(2 sq − rest²))/2
  const d = Math.sqrt(Math.max(0, 2 * sq - rest * rest));
  const q = (rest + d) / 2;
  const r = (rest - d) / 2;
  return [pi, q, r].map((p) => (p > 0 ? Math.log(p) : -1e9));
}

function inputs(toy: Toy): AdvantageInputs {
  const rows = toy.masks.length;
  const width = toy.masks[0].length;
  const mask = Float32Array.from(toy.masks.flat());
  const oldLogProbs = new Float32Array(rows * width);
  let oldLogPolicy: Float32Array | undefined;
  if (toy.pi && toy.sumSq) {
    oldLogPolicy = new Float32Array(rows * width * 3);
    toy.pi.flat().forEach((p, k) => {
      oldLogProbs[k] = Math.log(p);
      oldLogPolicy!.set(logPolicyFor(p, toy.sumSq!.flat()[k]), k * 3);
    });
  }
  return {
    rows,
    width,
    mask,
    reward: Float64Array.from(toy.rewards),
    groupId: Int32Array.from(toy.groups ?? toy.rewards.map(() => 0)),
    oldLogProbs,
    oldLogPolicy,
    numActions: oldLogPolicy ? 3 : 0,
    greedyReward: toy.greedy,
  };
}

function run(name: AdvEstimatorName, toy: Toy, over: Partial<AdvantageSettings> = {}): number[][] {
  const x = inputs(toy);
  const out = computeAdvantages(name, x, { ...SETTINGS, ...over });
  return Array.from({ length: x.rows }, (_, i) => Array.from(out.subarray(i * x.width, (i + 1) * x.width)));
}

const close = (got: number[][], want: number[][], digits = 5) =>
  got.forEach((row, i) => row.forEach((v, t) => expect(v).toBeCloseTo(want[i][t], digits)));

describe('grpo (the default) is the group advantages of docs/grpo.md', () => {
  it('gives exactly groupAdvantages broadcast over the mask', () => {
    const toy: Toy = {
      rewards: [1, 0, 0.5, 2],
      groups: [0, 0, 0, 1],
      masks: [
        [1, 1],
        [1, 0],
        [1, 1],
        [0, 1],
      ],
    };
    const x = inputs(toy);
    const want = broadcastToTokens(groupAdvantages(x.reward, x.groupId, { normByStd: true, epsilon: 1e-6 }), x.mask, 2);
    expect(Array.from(computeAdvantages('grpo', x, SETTINGS))).toEqual(Array.from(want));
  });
});

describe('rloo and rloo_vectorized', () => {
  it('[1, 0, 0] → [1, −0.5, −0.5]', () => {
    close(run('rloo', { rewards: [1, 0, 0], masks: [[1], [1], [1]] }), [[1], [-0.5], [-0.5]]);
  });
  it('a singleton keeps its raw reward (rloo) or gets 0 (rloo_vectorized)', () => {
    const toy: Toy = { rewards: [0.5], masks: [[1, 1]] };
    close(run('rloo', toy), [[0.5, 0.5]]);
    close(run('rloo_vectorized', toy), [[0, 0]]);
  });
  it('an all-equal group gets 0 everywhere', () => {
    close(run('rloo', { rewards: [1, 1, 1], masks: [[1], [1], [1]] }), [[0], [0], [0]]);
  });
});

describe('reinforce_plus_plus', () => {
  const toy: Toy = {
    rewards: [1, 0],
    groups: [0, 1],
    masks: [
      [1, 1],
      [1, 0],
    ],
  };
  it('γ = 1: every token of a row the same value, whitened over the batch tokens', () => {
    close(run('reinforce_plus_plus', toy), [
      [0.57735, 0.57735],
      [-1.154701, 0],
    ]);
  });
  it('γ = 0.5: returns [0.5, 1], [0] → [[0, 1], [−1]]', () => {
    close(
      run('reinforce_plus_plus', toy, { gamma: 0.5 }),
      [
        [0, 1],
        [-1, 0],
      ],
      4,
    );
  });
  it('a masked gap passes the return through without discounting (returns [0.5, 0, 1])', () => {
    // whitened: the valid returns 0.5 and 1 have mean 0.75, unbiased std 0.353553
    const got = run('reinforce_plus_plus', { rewards: [1], masks: [[1, 0, 1]] }, { gamma: 0.5 });
    close(got, [[-0.707107, 0, 0.707107]]);
  });
  it('one valid token in the batch is one clear error (as verl raises)', () => {
    expect(() =>
      run('reinforce_plus_plus', {
        rewards: [1, 0],
        groups: [0, 1],
        masks: [
          [1, 0],
          [0, 0],
        ],
      }),
    ).toThrow(
      /reinforce_plus_plus whitens advantages over the batch's valid tokens and needs at least 2; the batch has 1/,
    );
  });
});

describe('reinforce_plus_plus_baseline', () => {
  it('groups {[1, 0]}, {[1]} → [[0.19868, 0.19868], [−1.390759], [0.993399]]', () => {
    const toy: Toy = {
      rewards: [1, 0, 1],
      groups: [0, 0, 1],
      masks: [
        [1, 1],
        [1, 0],
        [1, 0],
      ],
    };
    close(run('reinforce_plus_plus_baseline', toy), [
      [0.19868, 0.19868],
      [-1.390759, 0],
      [0.993399, 0],
    ]);
  });
});

describe('opo', () => {
  it('lengths [1, 3], rewards [1, 0] → baseline 0.25 → [0.75, −0.25]', () => {
    close(
      run('opo', {
        rewards: [1, 0],
        masks: [
          [1, 0, 0],
          [1, 1, 1],
        ],
      }),
      [
        [0.75, 0, 0],
        [-0.25, -0.25, -0.25],
      ],
    );
  });
  it('a singleton has baseline 0', () => {
    close(run('opo', { rewards: [0.5], masks: [[1, 1]] }), [[0.5, 0.5]]);
  });
});

describe('gpg', () => {
  it('[1, 0, 0, 0] → α = 4 → [3, −1, −1, −1]', () => {
    close(run('gpg', { rewards: [1, 0, 0, 0], masks: [[1], [1], [1], [1]] }), [[3], [-1], [-1], [-1]]);
  });
  it('adding a group [1, 1] makes B = 6, α = 2 → [1.5, −0.5, −0.5, −0.5, 0, 0]', () => {
    const toy: Toy = { rewards: [1, 0, 0, 0, 1, 1], groups: [0, 0, 0, 0, 1, 1], masks: [[1], [1], [1], [1], [1], [1]] };
    close(run('gpg', toy), [[1.5], [-0.5], [-0.5], [-0.5], [0], [0]]);
  });
  it('an all-zero batch gives 0 (α = B / max(0, 1))', () => {
    close(run('gpg', { rewards: [0, 0], masks: [[1], [1]] }), [[0], [0]]);
  });
});

describe('grpo_passk', () => {
  const toy: Toy = { rewards: [1, 0, 0.5], masks: [[1], [1], [1]] };
  it('[1, 0, 0.5] → [0.999998, 0, 0] (std 0.5), without std [0.5, 0, 0]', () => {
    close(run('grpo_passk', toy), [[0.999998], [0], [0]], 6);
    close(run('grpo_passk', toy, { normAdvByStd: false }), [[0.5], [0], [0]]);
  });
  it('ties at the top give 0', () => {
    close(run('grpo_passk', { rewards: [1, 1, 0], masks: [[1], [1], [1]] }), [[0], [0], [0]]);
  });
  it('a singleton group is one clear error', () => {
    expect(() => run('grpo_passk', { rewards: [1, 0], groups: [0, 1], masks: [[1], [1]] })).toThrow(
      /grpo_passk needs at least 2 samples per group; group 0 has 1/,
    );
  });
});

describe('optimal_token_baseline and the TIR variant', () => {
  const pi = [
    [0.5, 0.5],
    [0.25, 1],
  ];
  const sumSq = [
    [0.5, 0.5],
    [0.375, 1],
  ];
  it('w = [0.5, 0.5] / [0.875, 0] → [[0.636364, 0.466667], [−0.363636, −0.533333]]', () => {
    const toy: Toy = {
      rewards: [1, 0],
      masks: [
        [1, 1],
        [1, 1],
      ],
      pi,
      sumSq,
    };
    close(run('optimal_token_baseline', toy), [
      [0.636364, 0.466667],
      [-0.363636, -0.533333],
    ]);
  });
  it('the zero-tail rule: rewards [0, 1], row 0 of length 1 → row 1 = [0.363636, 1] (off: [0.363636, 0])', () => {
    const toy: Toy = {
      rewards: [0, 1],
      masks: [
        [1, 0],
        [1, 1],
      ],
      pi,
      sumSq,
    };
    close(run('optimal_token_baseline', toy).slice(1), [[0.363636, 1]]);
    close(run('optimal_token_baseline', toy, { otb: { handleZeroTail: false, epsilon: 1e-8 } }).slice(1), [
      [0.363636, 0],
    ]);
  });
  it('TIR with masks [1,0,1] / [1,1,0] compacts rows; the single-turn one reads columns', () => {
    const gap: Toy = {
      rewards: [1, 0],
      masks: [
        [1, 0, 1],
        [1, 1, 0],
      ],
      pi: [
        [0.5, 0.5, 0.5],
        [0.25, 1, 0.5],
      ],
      sumSq: [
        [0.5, 0.5, 0.5],
        [0.375, 1, 0.5],
      ],
    };
    close(run('tir_optimal_token_baseline', gap), [
      [0.636364, 0, 0.466667],
      [-0.363636, -0.533333, 0],
    ]);
    close(run('optimal_token_baseline', gap), [
      [0.636364, 0, 0],
      [-0.363636, 0, 0],
    ]);
  });
  it('a singleton has no baseline (A = its return)', () => {
    close(run('optimal_token_baseline', { rewards: [0.5], masks: [[1, 1]], pi: [[0.5, 0.5]], sumSq: [[0.5, 0.5]] }), [
      [0.5, 0.5],
    ]);
  });
});

describe('remax', () => {
  it('rewards [1, 0] on the last of 2 tokens, greedy baseline 0.5 → [[0.5, 0.5], [−0.5, −0.5]]', () => {
    close(
      run('remax', {
        rewards: [1, 0],
        masks: [
          [1, 1],
          [1, 1],
        ],
        greedy: [0.5, 0.5],
      }),
      [
        [0.5, 0.5],
        [-0.5, -0.5],
      ],
    );
  });
});

describe('QAE (grpo with quantile_k)', () => {
  const four = (rewards: number[]) => run('grpo', { rewards, masks: rewards.map(() => [1]) }, { quantileK: 0.4 });
  it('interpolates torch-style at (n − 1)·K', () => {
    expect(interpolatedQuantile([1, 1, 0, 0], 0.4)).toBeCloseTo(0.2, 12);
    expect(interpolatedQuantile([3, 1, 2], 0.5)).toBe(2);
  });
  it('K = 0.4, n = 4: [1,0,0,0] → [2, 0, 0, 0]; [1,1,1,0] → [0, 0, 0, −2]; [1,1,0,0] → baseline 0.2', () => {
    close(four([1, 0, 0, 0]), [[2 * (1 - 2e-6)], [0], [0], [0]], 6);
    close(four([1, 1, 1, 0]), [[0], [0], [0], [-2 * (1 - 2e-6)]], 6);
    close(four([1, 1, 0, 0]), [[1.385638], [1.385638], [-0.34641], [-0.34641]]);
  });
  it('K outside (0, 1) is plain GRPO', () => {
    const toy: Toy = { rewards: [1, 0, 0, 0], masks: [[1], [1], [1], [1]] };
    expect(run('grpo', toy, { quantileK: 1 })).toEqual(run('grpo', toy));
  });
});

describe('every estimator', () => {
  const toy: Toy = {
    rewards: [1, 0, 1, 1, 0.5],
    groups: [0, 0, 1, 1, 2],
    masks: [
      [1, 1],
      [1, 0],
      [1, 1],
      [0, 1],
      [1, 1],
    ],
    pi: [
      [0.5, 0.5],
      [0.3, 0.5],
      [0.9, 0.6],
      [0.5, 0.2],
      [0.4, 0.4],
    ],
    sumSq: [
      [0.5, 0.5],
      [0.5, 0.5],
      [0.82, 0.5],
      [0.5, 0.5],
      [0.5, 0.5],
    ],
    greedy: [1, 1, 0, 0, 0],
  };
  it.each(ADV_ESTIMATOR_NAMES.filter((n) => n !== 'grpo_passk'))('%s is 0 on masked slots and finite', (name) => {
    const x = inputs(toy);
    const out = computeAdvantages(name, x, SETTINGS);
    out.forEach((a, k) => {
      expect(Number.isFinite(a)).toBe(true);
      if (!x.mask[k]) expect(a + 0).toBe(0); // −0 counts as 0
    });
  });
  it('adv metrics: mean, |mean|, share of zeros, max and min over valid tokens', () => {
    const m = advantageMetrics([1, -1, 0, 9], [1, 1, 1, 0]);
    expect(m).toEqual({ 'adv/mean': 0, 'adv/abs_mean': 2 / 3, 'adv/frac_zero': 1 / 3, 'adv/max': 1, 'adv/min': -1 });
  });
});

describe('config keys', () => {
  const base = { env: { name: 'gridworld', preset: 'open5' } };
  it('default to grpo, γ = 1, QAE off, the tail rule on', () => {
    const { grpo } = parseConfig(base);
    expect(grpo).toMatchObject({ adv_estimator: 'grpo', gamma: 1, quantile_k: -1 });
    expect(grpo.otb).toEqual({ handle_zero_tail: true, epsilon: 1e-8 });
  });
  it('an unknown estimator names the key and what is allowed in one line', () => {
    expect(() => parseConfig({ ...base, grpo: { adv_estimator: 'rlo' } })).toThrow(
      /config key 'grpo.adv_estimator': got "rlo"; allowed: one of grpo, rloo, rloo_vectorized, reinforce_plus_plus/,
    );
  });
  it('QAE with another estimator is refused in one line', () => {
    expect(() => parseConfig({ ...base, grpo: { adv_estimator: 'rloo', quantile_k: 0.4 } })).toThrow(
      /config key 'grpo.quantile_k': got 0.4 \(QAE replaces the group mean of adv_estimator: grpo only/,
    );
    expect(parseConfig({ ...base, grpo: { adv_estimator: 'rloo', quantile_k: -1 } }).grpo.adv_estimator).toBe('rloo');
  });
});
