// A rollout whose episodes fork at turn boundaries (ARPO, "Agentic Reinforced Policy Optimization",
// arXiv 2507.19849; code: dongguanting/ARPO `vllm_rollout_with_tools.py::generate_sequences`).
// Episodes run in lock-step as in runEpisodes. When a path finishes turn t ≥ 1 (the first turn
// after environment feedback and every later one), the Brancher sees the entropy of that turn's
// first tokens and says how many forks to make; each fork copies the path's record up to the start
// of turn t and re-samples turn t onwards. The env is forked by replaying the action prefix on a
// fresh instance (checked against the parent's observation), the sampler by giving the fork a new
// session row, which encodes the whole prefix on its first call (a recompute, not a cache copy).
// Every prompt ends with exactly `count` paths: a prompt whose paths all finished under budget
// restarts one from the prompt. docs/arpo.md says how shared prefix tokens are weighted.
import type { Brancher, ProbeSummary } from '../../algorithms/regularizer.ts';
import type { Env, EnvFactory } from '../../envs/env.ts';
import { UserError } from '../base/errors.ts';
import { mean, softmaxEntropy } from '../base/numerics.ts';
import type { Policy } from '../policies/policy.ts';
import { type Episode, type GroupRequest, type RolloutRngs, sampleStep, startEpisode } from './rollout.ts';

export interface BranchedEpisode extends Episode {
  /** Index (into the returned list) of the path this one forked from; −1 for a path from the prompt. */
  parent: number;
  /** The turn the fork re-sampled (0 for a path from the prompt) and its first action's index. */
  branchTurn: number;
  forkedAt: number;
  /** Full entropy of the sampling distribution at each action (sampling temperature). */
  sampleEntropies: number[];
}

export interface BranchStats {
  /** Forks made, decision points seen, restarts from the prompt. */
  branches: number;
  branch_points: number;
  restarts: number;
  /** Mean paths started from the prompt before branching (m), and forks' share of all paths. */
  initial_paths_mean: number;
  branch_share: number;
  /** Mean Δ = H_turn − H_init over the points that forked, and over every decision point. */
  entropy_rise_at_branch: number;
  entropy_rise_mean: number;
  max_depth: number;
  /** Per prompt with forks: share of them made from its most-forked path, averaged. */
  concentration_top1: number;
  probe_tokens: number;
}

interface Path {
  ep: BranchedEpisode;
  env: Env;
  group: number;
  /** Index of the first action of each turn. */
  turnStarts: number[];
  initialEntropy: number | undefined;
  depth: number;
}

/** Run the requested groups as branching rollouts; returns each group's paths in creation order. */
export function runBranchingEpisodes(
  envFactory: EnvFactory,
  policy: Policy,
  groups: readonly GroupRequest[],
  brancher: Brancher,
  rngs: RolloutRngs,
): { episodes: BranchedEpisode[]; stats: BranchStats } {
  let probes: ProbeSummary[] | undefined;
  let probeTokens = 0;
  if (brancher.probe) {
    const probeRun = rollPaths(
      envFactory,
      policy,
      groups,
      groups.map(() => 1),
      brancher,
      rngs,
      false,
    );
    probes = groups.map((_, g) => {
      const ep = probeRun.paths.find((p) => p.group === g)!.ep;
      const entropies = turnSegments(ep).map((tokens) => brancher.segmentEntropy(tokens, policy.numActions));
      probeTokens += ep.actions.length;
      const root = entropies[0] ?? 0;
      return { rootEntropy: root, meanEntropy: entropies.length ? mean(entropies) : root };
    });
  }
  const initial = groups.map((g, i) =>
    Math.min(g.count, Math.max(1, Math.floor(brancher.initialPaths(g.count, probes?.[i])))),
  );
  const run = rollPaths(envFactory, policy, groups, initial, brancher, rngs, true);
  const order = groups.flatMap((_, g) => run.paths.map((p, i) => [p, i] as const).filter(([p]) => p.group === g));
  const newIndex = new Map(order.map(([, old], i) => [old, i]));
  const episodes = order.map(([p]) => ({ ...p.ep, parent: p.ep.parent < 0 ? -1 : newIndex.get(p.ep.parent)! }));
  const forks = run.paths.filter((p) => p.ep.parent >= 0);
  const concentration: number[] = [];
  groups.forEach((_, g) => {
    const perParent = new Map<number, number>();
    for (const p of forks) if (p.group === g) perParent.set(p.ep.parent, (perParent.get(p.ep.parent) ?? 0) + 1);
    const total = [...perParent.values()].reduce((a, b) => a + b, 0);
    if (total > 0) concentration.push(Math.max(...perParent.values()) / total);
  });
  const stats: BranchStats = {
    branches: forks.length,
    branch_points: run.rises.length,
    restarts: run.restarts,
    initial_paths_mean: mean(initial),
    branch_share: forks.length / Math.max(1, run.paths.length),
    entropy_rise_at_branch: mean(run.rises.filter((r) => r.forked).map((r) => r.delta)),
    entropy_rise_mean: mean(run.rises.map((r) => r.delta)),
    max_depth: Math.max(0, ...run.paths.map((p) => p.depth)),
    concentration_top1: mean(concentration),
    probe_tokens: probeTokens,
  };
  return { episodes, stats };
}

/** The sampling entropies of each turn's tokens, in turn order. */
function turnSegments(ep: BranchedEpisode): number[][] {
  const out: number[][] = [];
  ep.turnIndex.forEach((t, j) => (out[t] ??= []).push(ep.sampleEntropies[j]));
  return out.filter((s) => s !== undefined);
}

/** The lock-step loop; with `branching` false it is a plain rollout that records sampling entropies. */
function rollPaths(
  envFactory: EnvFactory,
  policy: Policy,
  groups: readonly GroupRequest[],
  initial: readonly number[],
  brancher: Brancher,
  rngs: RolloutRngs,
  branching: boolean,
) {
  const paths: Path[] = [];
  const rises: { delta: number; forked: boolean }[] = [];
  const pathsOf = groups.map(() => 0);
  const forkedAtTurn = groups.map(() => new Set<number>());
  let restarts = 0;
  const fromPrompt = (g: number): number => {
    const env = envFactory();
    env.reset(groups[g].prompt, rngs.env);
    paths.push({ ep: emptyEpisode(groups[g]), env, group: g, turnStarts: [0], initialEntropy: undefined, depth: 0 });
    pathsOf[g] += 1;
    return paths.length - 1;
  };
  let active: number[] = [];
  groups.forEach((_, g) => {
    for (let k = 0; k < initial[g]; k++) active.push(fromPrompt(g));
  });
  const capacity = branching ? groups.reduce((n, g) => n + g.count, 0) : active.length;
  const session = policy.startSampling(capacity);
  const A = policy.numActions;
  try {
    while (active.length > 0) {
      const observations = active.map((i) => paths[i].env.observe());
      const logits = session.nextLogits(active, observations);
      const next: number[] = [];
      active.forEach((i, j) => {
        const path = paths[i];
        const { ep, env } = path;
        const turn = env.turn;
        ep.sampleEntropies.push(softmaxEntropy(logits, j * A, A, ep.temperature));
        const { result, finished } = sampleStep(ep, env, observations[j], logits, j * A, A, {
          greedy: false,
          rng: rngs.sampling,
        });
        if (!finished) next.push(i);
        if (!result.turnEnded) return;
        const h = brancher.segmentEntropy(ep.sampleEntropies.slice(path.turnStarts[turn]), A);
        path.initialEntropy ??= h;
        if (!finished) path.turnStarts.push(ep.actions.length);
        const g = path.group;
        if (!branching || turn < 1 || turn <= ep.branchTurn) return;
        let consecutive = 0;
        while (forkedAtTurn[g].has(turn - 1 - consecutive)) consecutive += 1;
        const budget = groups[g].count;
        const wanted = brancher.forks({
          groupId: groups[g].groupId,
          turn,
          entropy: h,
          initialEntropy: path.initialEntropy,
          consecutive,
          paths: pathsOf[g],
          budget,
        });
        const made = Math.max(0, Math.min(Math.floor(wanted), budget - pathsOf[g]));
        rises.push({ delta: h - path.initialEntropy, forked: made > 0 });
        if (made > 0) forkedAtTurn[g].add(turn);
        for (let k = 0; k < made; k++) {
          paths.push(fork(envFactory, path, i, turn, rngs));
          pathsOf[g] += 1;
          next.push(paths.length - 1);
        }
      });
      if (branching) {
        const live = new Set(next.map((i) => paths[i].group));
        groups.forEach((g, k) => {
          if (!live.has(k) && pathsOf[k] < g.count) {
            next.push(fromPrompt(k));
            restarts += 1;
          }
        });
      }
      active = next;
    }
  } finally {
    session.dispose();
  }
  return { paths, rises, restarts };
}

function emptyEpisode(g: GroupRequest): BranchedEpisode {
  return { ...startEpisode(g), sampleEntropies: [], parent: -1, branchTurn: 0, forkedAt: 0 };
}

/** A new path that shares `parent`'s record before turn `turn` and re-samples from there. */
function fork(envFactory: EnvFactory, parent: Path, parentIndex: number, turn: number, rngs: RolloutRngs): Path {
  const cut = parent.turnStarts[turn];
  const src = parent.ep;
  const env = envFactory();
  env.reset(src.prompt, rngs.env);
  let reward = 0;
  for (let j = 0; j < cut; j++) {
    const r = env.step(src.actions[j]);
    reward += r.reward;
    if (r.done) throw new Error('a fork replayed past the end of its parent episode');
  }
  const expected = src.observations[cut];
  const replayed = env.observe();
  if (replayed.length !== expected.length || replayed.some((x, k) => x !== expected[k])) {
    throw new UserError(
      `branching rollouts fork an episode by replaying its actions, but env '${env.name}' did not reproduce ` +
        'the same state (is it stochastic?); use a deterministic environment',
      'regularizers',
    );
  }
  const ep: BranchedEpisode = {
    ...emptyEpisode({
      prompt: src.prompt,
      count: 0,
      groupId: src.groupId,
      temperature: src.temperature,
      isExtra: src.isExtra,
    }),
    observations: src.observations.slice(0, cut),
    actions: src.actions.slice(0, cut),
    turnIndex: src.turnIndex.slice(0, cut),
    sampleLogProbs: src.sampleLogProbs.slice(0, cut),
    sampleEntropies: src.sampleEntropies.slice(0, cut),
    reward,
    parent: parentIndex,
    branchTurn: turn,
    forkedAt: cut,
  };
  return {
    ep,
    env,
    group: parent.group,
    turnStarts: parent.turnStarts.slice(0, turn + 1),
    initialEntropy: parent.initialEntropy,
    depth: parent.depth + 1,
  };
}
