// ReMax's baseline rollout (docs/advantages.md "ReMax"): one greedy (argmax) episode per prompt,
// not trained on; its reward is the baseline of every row sampled from that prompt.
import type { EnvFactory } from '../../envs/env.ts';
import type { Policy } from '../policies/policy.ts';
import { type GroupRequest, type RolloutRngs, runEpisodes } from './rollout.ts';

/** groupId → the reward of one greedy episode from that group's prompt. */
export function greedyGroupRewards(
  envFactory: EnvFactory,
  policy: Policy,
  groups: readonly GroupRequest[],
  rngs: RolloutRngs,
): Map<number, number> {
  const single = groups.map((g) => ({ ...g, count: 1 }));
  const episodes = runEpisodes(envFactory, policy, single, rngs, true);
  return new Map(episodes.map((ep) => [ep.groupId, ep.reward]));
}
