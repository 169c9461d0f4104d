// What the planning hooks return (algorithms/regularizer.ts, step 1 of its order): a rollout plan
// (temperature, extra episodes at another temperature) and a Brancher, through which a regularizer
// makes the main rollout fork paths at turn boundaries (src/rollout/branching-rollout.ts).

/** Extra episodes sampled next to the main rollout, flagged `isExtra` in the batch. */
export interface ExtraRollout {
  /** Indices into this step's prompts. */
  promptIndices: number[];
  groupSize: number;
  temperature: number;
}

export interface RolloutPlan {
  /** Sampling temperature for the main rollout (default: the config's rollout.temperature). */
  temperature?: number;
  extra?: ExtraRollout;
}

/** A turn boundary where a path may fork: the path has just finished sampling turn `turn` (≥ 1). */
export interface BranchPoint {
  groupId: number;
  turn: number;
  /** Segment entropy of that turn's first tokens, and of the path's first turn (a fork inherits it). */
  entropy: number;
  initialEntropy: number;
  /** Consecutive turns before `turn` (turn − 1, turn − 2, …) at which this prompt made a fork. */
  consecutive: number;
  /** Paths of this prompt so far and its budget (the group size). */
  paths: number;
  budget: number;
}

/** Entropies of one probe episode per prompt, sampled before the rollout and not trained on. */
export interface ProbeSummary {
  /** Segment entropy of the first turn (from the prompt). */
  rootEntropy: number;
  /** Mean segment entropy over every turn of the probe episode. */
  meanEntropy: number;
}

/** How this step's main rollout branches (the rollout caps every decision to the prompt's budget). */
export interface Brancher {
  /** Segment entropy from the full entropies (sampling temperature) of a turn's tokens, in order. */
  segmentEntropy(tokenEntropies: readonly number[], numActions: number): number;
  /** Run one probe episode per prompt first and pass its summary to `initialPaths`. */
  probe: boolean;
  /** Paths started from the prompt, 1 ≤ n ≤ budget; the rest come from forks (and restarts). */
  initialPaths(budget: number, probe: ProbeSummary | undefined): number;
  /** Forks to make at this point; each re-samples turn `turn` from the path's prefix before it. */
  forks(point: BranchPoint): number;
}
