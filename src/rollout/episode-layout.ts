// Where each episode's actions sit in the padded [rows, width] layout the policy encodes, and the
// taken actions and their mask in that layout: the one layout both the GRPO batch (rollout.ts)
// and the SFT step (src/train/sft.ts) train on.
import type { EncodedEpisodes, EpisodeRecord, Policy } from '../policies/policy.ts';

export interface EpisodeLayout extends EncodedEpisodes {
  rows: number;
  width: number;
  /** The taken action in each action slot, 0 elsewhere ([rows*width], row-major). */
  actions: Int32Array;
  /** 1 in each action slot, 0 in prompt, feedback and padding positions ([rows*width]). */
  mask: Float32Array;
  /** Action slots in all (the mask's sum). */
  count: number;
}

/** Encode `episodes` and place their actions. */
export function layoutEpisodes(policy: Policy, episodes: readonly EpisodeRecord[]): EpisodeLayout {
  const { inputs, slots } = policy.encodeEpisodes(episodes);
  const { rows, width } = inputs;
  const actions = new Int32Array(rows * width);
  const mask = new Float32Array(rows * width);
  let count = 0;
  episodes.forEach((ep, r) =>
    ep.actions.forEach((a, j) => {
      const slot = r * width + slots[r][j];
      actions[slot] = a;
      mask[slot] = 1;
      count += 1;
    }),
  );
  return { inputs, slots, rows, width, actions, mask, count };
}

/** A per-action value of each episode (`pick(episode, j)`), placed in the layout's action slots. */
export function placePerAction<E extends EpisodeRecord, A extends Float32Array | Int32Array>(
  layout: EpisodeLayout,
  episodes: readonly E[],
  pick: (episode: E, j: number) => number,
  out: A,
): A {
  episodes.forEach((ep, r) => {
    for (let j = 0; j < ep.actions.length; j++) out[r * layout.width + layout.slots[r][j]] = pick(ep, j);
  });
  return out;
}
