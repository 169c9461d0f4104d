// Branching rollouts (src/rollout/branching-rollout.ts) and the `arpo` regularizer: a fork shares its
// parent's record before the branch turn exactly, the continuation's sampler log-probs equal a full
// forward pass, every prompt ends with exactly its budget of paths, one seed reproduces the same
// branches, the rules' branch frequencies match their formulas, hard attribution by hand, and a short
// training run from an SFT warm start logs the branching metrics.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { arpoBrancher, arpoSchema, attributeHard, forkCandidates } from '../../algorithms/arpo.ts';
import { balancedBranchProbability, globalRolloutBudget } from '../../algorithms/branch-rules.ts';
import type { Brancher, StepInfo } from '../../algorithms/regularizer.ts';
import { GuessNumberEnv, guessNumberSchema } from '../../envs/guess-number.ts';
import { selectBackend } from '../../src/backend/backend.ts';
import type { Batch } from '../../src/base/batch.ts';
import { Rng } from '../../src/base/rng.ts';
import { loadConfig } from '../../src/config/load.ts';
import { type TransformerPolicy, transformerPolicyDefinition } from '../../src/policies/transformer.ts';
import { transformerSchema } from '../../src/policies/transformer-weights.ts';
import { runBranchingEpisodes } from '../../src/rollout/branching-rollout.ts';
import { buildBatch, type GroupRequest } from '../../src/rollout/rollout.ts';
import { runSft } from '../../src/train/sft.ts';
import { train } from '../../src/train/trainer.ts';
import { readJsonl, tempDir } from '../helpers.ts';

beforeAll(async () => {
  await selectBackend('wasm');
});

const envFactory = () => new GuessNumberEnv(guessNumberSchema.parse({ max_number: 15, max_turns: 4 }));

function makePolicy(): TransformerPolicy {
  // a large init std so the logits are far from uniform and a wrong prefix would show
  const config = transformerSchema.parse({ layers: 2, d_model: 16, heads: 2, context: 48, init_std: 0.5 });
  return transformerPolicyDefinition.create(config, envFactory(), new Rng('arpo-test')) as TransformerPolicy;
}

function groups(count: number, prompts = 3): GroupRequest[] {
  const env = envFactory();
  const rng = new Rng('arpo-prompts');
  return Array.from({ length: prompts }, (_, g) => ({
    prompt: env.samplePrompt(rng, 'train'),
    count,
    groupId: g,
    temperature: 1,
    isExtra: false,
  }));
}

const info = (seed: string): StepInfo => ({
  step: 0,
  totalSteps: 1,
  rng: new Rng(seed),
  promptsPerStep: 3,
  groupSize: 4,
});
const rngs = () => ({ env: new Rng('env'), sampling: new Rng('sampling') });

/** Forks at every point, starting `initial` paths per prompt. */
const always = (initial: number): Brancher => ({
  segmentEntropy: (t) => t[0],
  probe: false,
  initialPaths: () => initial,
  forks: () => 1,
});

describe('branching rollout', () => {
  it('a fork copies its parent before the branch turn exactly; its continuation matches a full forward pass', () => {
    const policy = makePolicy();
    const { episodes, stats } = runBranchingEpisodes(envFactory, policy, groups(4), always(1), rngs());
    const forks = episodes.filter((e) => e.parent >= 0);
    expect(stats.branches).toBe(forks.length);
    expect(forks.length).toBeGreaterThan(0);
    for (const f of forks) {
      const p = episodes[f.parent];
      expect(f.groupId).toBe(p.groupId);
      expect(f.branchTurn).toBeGreaterThanOrEqual(1);
      expect(f.turnIndex[f.forkedAt]).toBe(f.branchTurn);
      expect(f.actions.slice(0, f.forkedAt)).toEqual(p.actions.slice(0, f.forkedAt));
      expect(f.sampleLogProbs.slice(0, f.forkedAt)).toEqual(p.sampleLogProbs.slice(0, f.forkedAt));
      f.observations
        .slice(0, f.forkedAt)
        .forEach((o, j) => expect(Array.from(o)).toEqual(Array.from(p.observations[j])));
      // the turn before the branch ends with environment feedback: the fork's observation holds it
      expect(f.observations[f.forkedAt].length).toBeGreaterThan(p.observations[f.forkedAt - 1].length + 1);
    }
    // the sampler's log-probs (the fork's first call encodes its whole prefix) against the
    // training forward pass at the same temperature: equal to float32 error
    const batch = buildBatch(policy, episodes, 1, false);
    let worst = 0;
    for (let i = 0; i < batch.mask.length; i++) {
      if (batch.mask[i]) worst = Math.max(worst, Math.abs(batch.sampleLogProbs![i] - batch.oldLogProbs[i]));
    }
    expect(worst).toBeLessThan(2e-4);
    policy.dispose();
  });

  it('every prompt ends with exactly its budget; forks never exceed budget − initial paths', () => {
    const policy = makePolicy();
    for (const brancher of [always(2), { ...always(2), forks: () => 5 }, { ...always(1), forks: () => 0 }]) {
      const { episodes, stats } = runBranchingEpisodes(envFactory, policy, groups(4), brancher, rngs());
      for (let g = 0; g < 3; g++) {
        const rows = episodes.filter((e) => e.groupId === g);
        expect(rows).toHaveLength(4);
        const roots = rows.filter((e) => e.parent < 0).length;
        expect(roots).toBeGreaterThanOrEqual(brancher.initialPaths(4, undefined));
        expect(rows.length - roots).toBeLessThanOrEqual(4 - brancher.initialPaths(4, undefined));
      }
      expect(stats.branches + stats.restarts + 3 * brancher.initialPaths(4, undefined)).toBe(12);
      if (brancher.forks({} as never) === 0) expect(stats.branches).toBe(0);
    }
    policy.dispose();
  });

  it('a seed reproduces the same branches; another regularizer seed changes them', () => {
    const policy = makePolicy();
    const cfg = arpoSchema.parse({ beam_size: 3 });
    const run = (seed: string) =>
      runBranchingEpisodes(envFactory, policy, groups(6), arpoBrancher(cfg, info(seed)), rngs());
    const key = (r: ReturnType<typeof run>) => JSON.stringify(r.episodes.map((e) => [e.parent, e.forkedAt, e.actions]));
    const a = run('r1');
    expect(a.stats.branches).toBeGreaterThan(0);
    expect(key(run('r1'))).toBe(key(a));
    expect(run('r1').stats).toEqual(a.stats);
    const others = ['r2', 'r3', 'r4'].map((s) => key(run(s)));
    expect(others.some((k) => k !== key(a))).toBe(true);
    policy.dispose();
  });

  it('dynamic budget: one probe episode per prompt sets the initial paths by the pre-monitoring formula', () => {
    const policy = makePolicy();
    const cfg = arpoSchema.parse({ rule: 'balanced', dynamic_budget: true });
    const seen: number[] = [];
    const base = arpoBrancher(cfg, info('p'));
    const brancher: Brancher = {
      ...base,
      initialPaths: (n, probe) => {
        expect(probe).toBeDefined();
        const m = base.initialPaths(n, probe);
        expect(m).toBe(globalRolloutBudget(n, probe!.rootEntropy, probe!.meanEntropy, 0.5));
        seen.push(m);
        return m;
      },
    };
    const { episodes, stats } = runBranchingEpisodes(envFactory, policy, groups(8), brancher, rngs());
    expect(seen).toHaveLength(3);
    expect(stats.probe_tokens).toBeGreaterThan(0);
    expect(stats.initial_paths_mean).toBeCloseTo(seen.reduce((a, b) => a + b) / 3, 12);
    expect(episodes).toHaveLength(24);
    policy.dispose();
  });
});

describe('arpo brancher', () => {
  const point = { groupId: 0, turn: 1, initialEntropy: 0.3, paths: 1, budget: 8 };
  const frequency = (cfg: ReturnType<typeof arpoSchema.parse>, delta: number, consecutive: number, draws = 20000) => {
    const b = arpoBrancher(cfg, info('mc'));
    let n = 0;
    for (let i = 0; i < draws; i++) n += b.forks({ ...point, entropy: 0.3 + delta, consecutive });
    return n / draws;
  };

  it('ARPO rule: forks with frequency clip(τ + w·Δ, 0, 1)', () => {
    const cfg = arpoSchema.parse({ branch_probability: 0.5, entropy_weight: 0.2 });
    expect(frequency(cfg, 0, 0)).toBeCloseTo(0.5, 1);
    expect(Math.abs(frequency(cfg, 0.5, 0) - 0.6)).toBeLessThan(0.01);
    expect(Math.abs(frequency(cfg, -1, 0) - 0.3)).toBeLessThan(0.01);
    expect(frequency(cfg, 2.5, 0, 2000)).toBe(1);
  });

  it('draws min(beam_size − 1, remaining slots) candidates, as the reference does (hand-worked)', () => {
    expect([0, 1, 2, 3, 8].map((r) => forkCandidates(4, r))).toEqual([0, 1, 2, 3, 3]);
    expect(forkCandidates(2, 0)).toBe(0);
    // a scripted stream: τ = 0.5, Δ = 0, so a draw u forks when u ≤ 0.5
    const uniforms = [0.1, 0.9, 0.2, 0.3, 0.4];
    let drawn = 0;
    const scripted = { next: () => uniforms[drawn++] } as unknown as Rng;
    const b = arpoBrancher(arpoSchema.parse({ beam_size: 3 }), { ...info('x'), rng: scripted });
    const at = (paths: number, budget: number) => b.forks({ ...point, entropy: 0.3, consecutive: 0, paths, budget });
    // prompt A has 1 slot left: one draw (0.1 → fork); the old rule drew 0.1 and 0.9 and capped
    expect(at(3, 4)).toBe(1);
    expect(drawn).toBe(1);
    // prompt B has 2 slots: two draws, 0.9 (no) and 0.2 (fork); the old rule would have seen 0.2, 0.3 → 2
    expect(at(2, 4)).toBe(1);
    expect(drawn).toBe(3);
    // a full prompt draws nothing
    expect(at(4, 4)).toBe(0);
    expect(drawn).toBe(3);
  });

  it('balanced rule: the consecutive-branching penalty lowers the frequency as the formula says', () => {
    const cfg = arpoSchema.parse({ rule: 'balanced', branch_probability: 0.5, entropy_weight: 0.2 });
    for (const l of [0, 2, 5])
      expect(Math.abs(frequency(cfg, 0.5, l) - balancedBranchProbability(0.5, l, 0.5, 0.2))).toBeLessThan(0.01);
  });
});

describe('hard attribution', () => {
  it('a token shared by k rows of a group trains once, with their mean advantage (hand-worked)', () => {
    // rows 0–2 are one group; rows 0 and 1 share two tokens, all three share the first
    const width = 3;
    const actions = Int32Array.from([1, 2, 3, 1, 2, 4, 1, 5, 6, 1, 2, 3]);
    const mask = new Float32Array(12).fill(1);
    const adv = [1, -1, 0.5, 2];
    const batch = {
      rows: 4,
      width,
      actions,
      mask,
      advantages: Float32Array.from(adv.flatMap((a) => [a, a, a])),
      groupId: Int32Array.from([0, 0, 0, 1]),
      isExtra: new Uint8Array(4),
    } as unknown as Batch;
    const out = attributeHard(batch).value.advantages;
    const first = (1 - 1 + 0.5) / 3 / 3; // mean over 3 rows, weight 1/3
    const expected = [first, 0, 1, first, 0, -1, first, 0.5, 0.5, 2, 2, 2];
    expected.forEach((e, i) => expect(out[i]).toBeCloseTo(e, 6));
    // summed over its copies, the shared first token carries the mean advantage once
    expect(out[0] + out[3] + out[6]).toBeCloseTo(0.5 / 3, 6);
    expect(attributeHard(batch).metrics!.shared_token_frac).toBeCloseTo(5 / 12, 12);
  });
});

describe('arpo training', () => {
  it('trains from an SFT warm start and logs the branching metrics', async () => {
    const sftDir = tempDir();
    const sftOver = ['sft.steps=20', 'sft.demos=64', 'sft.batch_size=16', 'eval.episodes=2'];
    await runSft(loadConfig('configs/sft-guess-number.yaml', sftOver), { runDir: sftDir, log: () => {} });
    const dir = tempDir();
    const over = [
      'steps=3',
      `init_from=${sftDir}`,
      'rollout.prompts_per_step=4',
      'rollout.group_size=6',
      'eval.episodes=4',
      'eval.every=0',
    ];
    await train(loadConfig('configs/arpo.yaml', over), { runDir: dir, log: () => {} });
    const lines = readJsonl(path.join(dir, 'metrics.jsonl'));
    expect(lines).toHaveLength(3);
    for (const m of lines) {
      expect(m['arpo/initial_paths_mean']).toBe(3);
      expect(m['arpo/branches'] + m['arpo/restarts']).toBe(4 * 3);
      expect(m['arpo/branches']).toBeLessThanOrEqual(m['arpo/branch_points']);
      expect(Number.isFinite(m['actor/pg_loss'])).toBe(true);
    }
    expect(lines.reduce((n, m) => n + m['arpo/branches'], 0)).toBeGreaterThan(0);
  });
});
