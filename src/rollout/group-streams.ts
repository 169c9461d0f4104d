// The random streams of one group of one step when rollouts run in worker threads
// (`rollout.workers` > 1): an env stream and a sampling stream named by the run seed, the step and
// the group id, like the run's own streams (src/base/rng.ts). They depend on nothing else — not on
// which worker runs the group, nor on how many workers there are, nor on timing — so a run's
// rollouts are the same for every worker count above 1, and a resumed run derives them afresh
// (nothing to checkpoint). `rollout.workers: 1` keeps the run's shared `env` and `sampling` streams.
import { Rng } from '../base/rng.ts';
import type { RolloutRngs } from './rollout.ts';

/** The env and sampling streams of group `groupId` at training step `step` (0-based). */
export function groupStreams(seed: number, step: number, groupId: number): RolloutRngs {
  const name = `entrolab:${seed}:rollout:${step}:${groupId}`;
  return { env: new Rng(`${name}:env`), sampling: new Rng(`${name}:sampling`) };
}
