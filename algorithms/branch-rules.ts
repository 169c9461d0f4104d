// The decision rules of entropy-triggered branching rollouts, as pure functions: ARPO ("Agentic
// Reinforced Policy Optimization", arXiv 2507.19849; code: dongguanting/ARPO
// `vllm_rollout_with_tools.py::generate_sequences`) and the rollout part of entropy-balanced PO
// (arXiv 2510.14545; code: RUC-NLPIR/ARPO `AEPO/…/vllm_rollout_with_tools.py`, the branching loop and
// `_calculate_initial_rollouts_dynamical`), plus hard advantage attribution over shared prefixes.
// The rollout that forks episodes with them: src/rollout/branching-rollout.ts, docs/arpo.md.

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

/**
 * Segment entropy of the first k generated tokens after a turn boundary, from their full entropies.
 * mean (default): their mean divided by ln|V|, in [0, 1]. sum: the code's sum over positions (so a
 * shorter segment scores lower), also divided by ln|V|.
 */
export function segmentEntropy(
  entropies: ArrayLike<number>,
  numActions: number,
  k = 20,
  mode: 'mean' | 'sum' = 'mean',
): number {
  const n = Math.min(k, entropies.length);
  if (n === 0) return 0;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += entropies[i];
  return (mode === 'mean' ? sum / n : sum) / Math.log(numActions);
}

/** ARPO: branch when clip(u − w·Δ, 0, 1) ≤ τ, u ∼ U(0, 1), Δ = H_now − H_init; P = clip(τ + w·Δ, 0, 1). */
export function arpoBranches(u: number, delta: number, tau: number, weight: number): boolean {
  return clamp01(u - weight * delta) <= tau;
}

export function arpoBranchProbability(delta: number, tau: number, weight: number): number {
  return clamp01(tau + weight * delta);
}

/**
 * Entropy-balanced PO: branch when clip((u + w·Δ)·max(0, 1 − c·l), 0, 1) ≥ τ, where l counts the
 * prompt's consecutive iterations that created a path and c = 0.05 penalises long branching chains.
 */
export function balancedBranches(
  u: number,
  delta: number,
  consecutive: number,
  tau: number,
  weight: number,
  penalty = 0.05,
): boolean {
  return clamp01((u + weight * delta) * Math.max(0, 1 - penalty * consecutive)) >= tau;
}

/** Its probability over u: 1 − clip(τ/(1 − c·l) − w·Δ, 0, 1) (0 once the penalty factor reaches 0, for τ > 0). */
export function balancedBranchProbability(
  delta: number,
  consecutive: number,
  tau: number,
  weight: number,
  penalty = 0.05,
): number {
  const factor = Math.max(0, 1 - penalty * consecutive);
  if (factor === 0) return tau <= 0 ? 1 : 0;
  return 1 - clamp01(tau / factor - weight * delta);
}

/**
 * Entropy pre-monitoring: of a budget of n paths per prompt, m = ⌊n·σ(β·(H_root − H̄_tool))⌋ + 1 are
 * sampled from the prompt (clipped to [1, n]) and the rest come from branching. The +1 is the code's:
 * equal entropies give n/2 + 1, not n/2.
 */
export function globalRolloutBudget(n: number, rootEntropy: number, toolEntropy: number, beta = 0.5): number {
  const sigmoid = 1 / (1 + Math.exp(-beta * (rootEntropy - toolEntropy)));
  return Math.min(n, Math.max(1, Math.floor(n * sigmoid) + 1));
}

/**
 * Hard attribution for paths that share prefixes (rows of one group, same prompt, a deterministic
 * environment). Each token's advantage becomes the mean over the rows whose action sequence up to and
 * including that token is identical, and its weight 1/(that count), so a shared segment is trained
 * once with the mean advantage. Tokens after the branch point keep their own row's advantage.
 * `actions` and `mask` are [rows*width]; the prefix is over the row's valid tokens in order.
 */
export function hardAttribution(
  actions: ArrayLike<number>,
  mask: ArrayLike<number>,
  rowAdvantages: ArrayLike<number>,
  groupIds: ArrayLike<number>,
  width: number,
): { advantages: Float32Array; weights: Float32Array } {
  const rows = rowAdvantages.length;
  const advantages = new Float32Array(rows * width);
  const weights = new Float32Array(rows * width);
  const keys: string[][] = [];
  const shared = new Map<string, { sum: number; count: number }>();
  for (let r = 0; r < rows; r++) {
    let prefix = `${groupIds[r]}:`;
    const rowKeys: string[] = [];
    for (let t = 0; t < width; t++) {
      if (!mask[r * width + t]) {
        rowKeys.push('');
        continue;
      }
      prefix += `${actions[r * width + t]},`;
      rowKeys.push(prefix);
      const entry = shared.get(prefix) ?? { sum: 0, count: 0 };
      entry.sum += rowAdvantages[r];
      entry.count += 1;
      shared.set(prefix, entry);
    }
    keys.push(rowKeys);
  }
  for (let r = 0; r < rows; r++) {
    for (let t = 0; t < width; t++) {
      const key = keys[r][t];
      if (!key) continue;
      const { sum, count } = shared.get(key)!;
      advantages[r * width + t] = sum / count;
      weights[r * width + t] = 1 / count;
    }
  }
  return { advantages, weights };
}
