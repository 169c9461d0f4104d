// Optimal token baseline (OTB, arXiv 2602.07078; verl compute_optimal_token_baseline_advantage and,
// for multi-turn rows, compute_multi_turn_optimal_token_baseline_advantage): a baseline per group
// and position, B_t = Σ_i G_t·W_t / (Σ_i W_t + ε), weighting each row by its cumulative path-variance
// proxy W_t = Σ_{j ≤ t} m_j (1 − 2π_j + Σ_v π_{j,v}²) from π_old. A = (G − B)·m.
import type { AdvantageEstimator, AdvantageInputs, AdvantageSettings } from './estimator.ts';
import { groupMembers, rowLengths } from './groups.ts';
import { rewardToGo } from './returns.ts';

/** Σ_v π_v² per slot from π_old's log-distribution [rows*width*A]. */
export function sumPiSquared(logPolicy: ArrayLike<number>, slots: number, numActions: number): Float64Array {
  const out = new Float64Array(slots);
  for (let s = 0; s < slots; s++) {
    let total = 0;
    for (let v = 0; v < numActions; v++) total += Math.exp(2 * logPolicy[s * numActions + v]);
    out[s] = total;
  }
  return out;
}

/** Cumulative W_t over the columns of each row, counting valid slots only. */
function cumulativeWeights(inputs: AdvantageInputs, sumSq: Float64Array): Float64Array {
  const { rows, width, mask, oldLogProbs } = inputs;
  const out = new Float64Array(rows * width);
  for (let i = 0; i < rows; i++) {
    let w = 0;
    for (let t = 0; t < width; t++) {
      const k = i * width + t;
      if (mask[k]) w += 1 - 2 * Math.exp(oldLogProbs[k]) + sumSq[k];
      out[k] = w;
    }
  }
  return out;
}

/**
 * The positions of row i's values in the baseline's "time" axis: columns (single-turn), or the
 * index of each valid token (the TIR variant compacts a row to its valid tokens first).
 */
type Layout = 'columns' | 'valid-tokens';

function optimalTokenBaseline(inputs: AdvantageInputs, settings: AdvantageSettings, layout: Layout): Float32Array {
  const { rows, width, mask } = inputs;
  if (!inputs.oldLogPolicy) throw new Error('the optimal token baseline needs the batch oldLogPolicy (Σπ²)');
  const returns = rewardToGo(inputs.reward, mask, rows, width);
  const weights = cumulativeWeights(inputs, sumPiSquared(inputs.oldLogPolicy, rows * width, inputs.numActions));
  const lengths = rowLengths(mask, rows, width);
  // per row: the flat slots in time order (all columns, or the valid ones)
  const slotsOf = (i: number): number[] => {
    const all = Array.from({ length: width }, (_, t) => i * width + t);
    return layout === 'columns' ? all : all.filter((k) => mask[k]);
  };
  const out = new Float32Array(rows * width);
  for (const group of groupMembers(inputs.groupId)) {
    // the TIR variant skips rows without a valid token (they have nothing to baseline)
    const members = layout === 'columns' ? group : group.filter((i) => lengths[i] > 0);
    const slots = members.map(slotsOf);
    const horizon = Math.max(0, ...slots.map((s) => s.length));
    const baseline = members.map(() => new Float64Array(horizon));
    if (members.length > 1) {
      for (let t = 0; t < horizon; t++) {
        let num = 0;
        let den = 0;
        slots.forEach((s) => {
          const k = s[t];
          if (k === undefined || !mask[k]) return;
          num += returns[k] * weights[k];
          den += weights[k];
        });
        const b = num / (den + settings.otb.epsilon);
        for (const row of baseline) row[t] = b;
      }
      if (settings.otb.handleZeroTail)
        zeroTail(
          members.map((i) => lengths[i]),
          baseline,
        );
    }
    members.forEach((_, j) =>
      slots[j].forEach((k, t) => {
        if (mask[k]) out[k] = returns[k] - baseline[j][t];
      }),
    );
  }
  return out;
}

/**
 * verl's handle_zero_tail: when a group's longest row is unique, its baseline is 0 from the
 * second-longest length on, so its tail's advantage is its return (not 0 from a baseline of itself).
 */
function zeroTail(lengths: number[], baseline: Float64Array[]): void {
  const sorted = [...lengths].sort((a, b) => a - b);
  const longest = sorted[sorted.length - 1];
  const second = sorted[sorted.length - 2];
  const holders = lengths.flatMap((l, j) => (l === longest ? [j] : []));
  if (holders.length === 1 && longest > second) baseline[holders[0]].fill(0, second);
}

export const optimalTokenBaselineEstimator = {
  name: 'optimal_token_baseline',
  summary: 'per-position group baseline weighted by the cumulative path variance 1 − 2π + Σπ² (columns as time)',
  keys: ['otb'],
  needs: ['oldLogPolicy'],
  compute: (inputs: AdvantageInputs, settings: AdvantageSettings) => optimalTokenBaseline(inputs, settings, 'columns'),
} as const satisfies AdvantageEstimator<'optimal_token_baseline'>;

export const tirOptimalTokenBaselineEstimator = {
  name: 'tir_optimal_token_baseline',
  summary: 'optimal_token_baseline with each row compacted to its valid tokens first (multi-turn rows with gaps)',
  keys: ['otb'],
  needs: ['oldLogPolicy'],
  compute: (inputs: AdvantageInputs, settings: AdvantageSettings) =>
    optimalTokenBaseline(inputs, settings, 'valid-tokens'),
} as const satisfies AdvantageEstimator<'tir_optimal_token_baseline'>;
