// The two workloads of the side-by-side with a plain PyTorch GRPO step, as run configs: the shapes
// match the PyTorch script's (16 prompts × 8 episodes, one epoch, one mini-batch, no clipping).
export const WORKLOADS = {
  /** 8×8 open room, random start and goal, horizon 32, MLP 64-64 ReLU. */
  grid: (steps: number) => ({
    name: 'bench-grid',
    seed: 0,
    steps,
    env: { name: 'gridworld', size: 8, max_steps: 32 },
    policy: { kind: 'mlp', hidden: [64, 64], activation: 'relu' },
    rollout: { prompts_per_step: 16, group_size: 8 },
    grpo: { epochs: 1, mini_batches: 1 },
    optim: { lr: 0.001, grad_clip: 0 },
    eval: { episodes: 8, k: 1 },
    checkpoint: { every: 1000 },
  }),
  /** 2-digit addition (prompt ≈ 6 tokens, answer ≈ 4), transformer d64 L2 H4, context 16. */
  text: (steps: number) => ({
    name: 'bench-text',
    seed: 0,
    steps,
    env: { name: 'arithmetic', digits: 2, ops: ['+'] },
    policy: { kind: 'transformer', layers: 2, d_model: 64, heads: 4, context: 16 },
    rollout: { prompts_per_step: 16, group_size: 8 },
    grpo: { epochs: 1, mini_batches: 1 },
    optim: { lr: 0.001, grad_clip: 0 },
    eval: { episodes: 8, k: 1 },
    checkpoint: { every: 1000 },
  }),
};
