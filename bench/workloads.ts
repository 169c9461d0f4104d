// The two workloads of the side-by-side with a plain PyTorch GRPO step, as run configs: the shapes
// match the PyTorch script's (16 prompts × 8 episodes, one epoch, one mini-batch, no clipping).
// A shape can be changed with the same environment variables the comparison script reads
// (P prompts, G episodes per prompt, SIZE grid side, HORIZON grid step limit, HIDDEN MLP width,
// D transformer d_model, L transformer layers) plus DIGITS (arithmetic operand digits: the
// completion length) and WORKERS (rollout.workers: threads that sample the rollouts).

/** One point of the shape grid; the defaults are the comparison's two shapes. */
export interface Shape {
  P: number;
  G: number;
  SIZE: number;
  HORIZON: number;
  HIDDEN: number;
  D: number;
  L: number;
  DIGITS: number;
  WORKERS: number;
}

export const DEFAULT_SHAPE: Shape = {
  P: 16,
  G: 8,
  SIZE: 8,
  HORIZON: 32,
  HIDDEN: 64,
  D: 64,
  L: 2,
  DIGITS: 2,
  WORKERS: 1,
};

/** The default shape with every key that `env` sets (an integer) in its place. */
export function shapeFrom(env: Record<string, string | undefined>): Shape {
  const shape = { ...DEFAULT_SHAPE };
  for (const key of Object.keys(shape) as (keyof Shape)[]) {
    const text = env[key];
    if (text === undefined || text === '') continue;
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1) throw new Error(`${key}=${text}: a positive integer is needed`);
    shape[key] = value;
  }
  return shape;
}

/** Context for a `digits`-digit sum: prompt (2·digits + 1 characters) plus answer (digits + 2 tokens). */
const contextFor = (digits: number) => Math.max(16, 3 * digits + 6);

export const WORKLOADS = {
  /** SIZE×SIZE open room, random start and goal, horizon HORIZON, MLP HIDDEN-HIDDEN ReLU. */
  grid: (steps: number, s: Shape = DEFAULT_SHAPE) => ({
    name: 'bench-grid',
    seed: 0,
    steps,
    env: { name: 'gridworld', size: s.SIZE, max_steps: s.HORIZON },
    policy: { kind: 'mlp', hidden: [s.HIDDEN, s.HIDDEN], activation: 'relu' },
    rollout: { prompts_per_step: s.P, group_size: s.G, workers: s.WORKERS },
    grpo: { epochs: 1, mini_batches: 1 },
    optim: { lr: 0.001, grad_clip: 0 },
    eval: { episodes: 8, k: 1 },
    checkpoint: { every: 1000 },
  }),
  /** DIGITS-digit addition (at 2: prompt ≈ 6 tokens, answer ≈ 4), transformer dD LL H4. */
  text: (steps: number, s: Shape = DEFAULT_SHAPE) => ({
    name: 'bench-text',
    seed: 0,
    steps,
    env: { name: 'arithmetic', digits: s.DIGITS, ops: ['+'] },
    policy: { kind: 'transformer', layers: s.L, d_model: s.D, heads: 4, context: contextFor(s.DIGITS) },
    rollout: { prompts_per_step: s.P, group_size: s.G, workers: s.WORKERS },
    grpo: { epochs: 1, mini_batches: 1 },
    optim: { lr: 0.001, grad_clip: 0 },
    eval: { episodes: 8, k: 1 },
    checkpoint: { every: 1000 },
  }),
};
