// Episodes as a handful of flat typed arrays, the form a rollout worker sends them back in
// (transferred, not copied): every per-token list concatenated in episode order, with the lengths
// that cut it up again. The prompt, group id, temperature and extra flag are not sent: the caller
// holds the group requests the episodes were run for and puts them back.
import type { Episode, GroupRequest } from './rollout.ts';

export interface PackedEpisodes {
  /** Actions per episode. */
  lengths: Int32Array;
  actions: Int32Array;
  turnIndex: Int32Array;
  /** In doubles, as the sampler computed them. */
  sampleLogProbs: Float64Array;
  /** numActions values per token when the rollout kept them, else empty. */
  sampleLogPolicy: Float32Array;
  keptLogPolicy: boolean;
  /** Length of each token's observation. */
  observationLengths: Int32Array;
  /** Every observation, concatenated: token ids (Int32Array) or features (Float32Array). */
  observations: Int32Array | Float32Array;
  reward: Float64Array;
  success: Uint8Array;
  turns: Int32Array;
}

/** `episodes` packed; throws when their observations are not all one typed-array kind. */
export function packEpisodes(episodes: readonly Episode[], numActions: number): PackedEpisodes {
  const lengths = Int32Array.from(episodes, (e) => e.actions.length);
  const total = lengths.reduce((a, b) => a + b, 0);
  const kept = episodes.length > 0 && episodes.every((e) => e.sampleLogPolicy !== undefined);
  const actions = new Int32Array(total);
  const turnIndex = new Int32Array(total);
  const sampleLogProbs = new Float64Array(total);
  const sampleLogPolicy = new Float32Array(kept ? total * numActions : 0);
  const observationLengths = new Int32Array(total);
  const first = episodes.find((e) => e.observations.length > 0)?.observations[0];
  const ObsArray = first instanceof Int32Array ? Int32Array : Float32Array;
  let t = 0;
  let obsTotal = 0;
  for (const e of episodes) {
    for (let j = 0; j < e.actions.length; j++, t++) {
      const obs = e.observations[j];
      if (!(obs instanceof ObsArray)) throw new Error('an env returned observations of more than one array type');
      actions[t] = e.actions[j];
      turnIndex[t] = e.turnIndex[j];
      sampleLogProbs[t] = e.sampleLogProbs[j];
      if (kept) sampleLogPolicy.set(e.sampleLogPolicy![j], t * numActions);
      observationLengths[t] = obs.length;
      obsTotal += obs.length;
    }
  }
  const observations = new ObsArray(obsTotal);
  let at = 0;
  for (const e of episodes) {
    for (const obs of e.observations.slice(0, e.actions.length)) {
      observations.set(obs, at);
      at += obs.length;
    }
  }
  return {
    lengths,
    actions,
    turnIndex,
    sampleLogProbs,
    sampleLogPolicy,
    keptLogPolicy: kept,
    observationLengths,
    observations,
    reward: Float64Array.from(episodes, (e) => e.reward),
    success: Uint8Array.from(episodes, (e) => (e.success ? 1 : 0)),
    turns: Int32Array.from(episodes, (e) => e.turns),
  };
}

/** The buffers `packed` owns, for a postMessage transfer list. */
export function packedBuffers(packed: PackedEpisodes): ArrayBuffer[] {
  const arrays = [
    packed.lengths,
    packed.actions,
    packed.turnIndex,
    packed.sampleLogProbs,
    packed.sampleLogPolicy,
    packed.observationLengths,
    packed.observations,
    packed.reward,
    packed.success,
    packed.turns,
  ];
  return arrays.map((a) => a.buffer as ArrayBuffer);
}

/**
 * The episodes of `packed`, which ran `groups` in order (`count` episodes each); each observation
 * and log-distribution is a view into the packed arrays.
 */
export function unpackEpisodes(packed: PackedEpisodes, groups: readonly GroupRequest[], numActions: number): Episode[] {
  const expected = groups.reduce((n, g) => n + g.count, 0);
  if (packed.lengths.length !== expected)
    throw new Error(`a rollout worker returned ${packed.lengths.length} episodes for ${expected} requested`);
  const out: Episode[] = [];
  let e = 0;
  let t = 0;
  let at = 0;
  for (const g of groups) {
    for (let k = 0; k < g.count; k++, e++) {
      const n = packed.lengths[e];
      const observations: (Float32Array | Int32Array)[] = [];
      const sampleLogPolicy: Float32Array[] | undefined = packed.keptLogPolicy ? [] : undefined;
      for (let j = 0; j < n; j++) {
        const len = packed.observationLengths[t + j];
        observations.push(packed.observations.subarray(at, at + len));
        at += len;
        sampleLogPolicy?.push(packed.sampleLogPolicy.subarray((t + j) * numActions, (t + j + 1) * numActions));
      }
      out.push({
        observations,
        actions: Array.from(packed.actions.subarray(t, t + n)),
        turnIndex: Array.from(packed.turnIndex.subarray(t, t + n)),
        sampleLogProbs: Array.from(packed.sampleLogProbs.subarray(t, t + n)),
        sampleLogPolicy,
        groupId: g.groupId,
        prompt: g.prompt,
        reward: packed.reward[e],
        success: packed.success[e] === 1,
        turns: packed.turns[e],
        temperature: g.temperature,
        isExtra: g.isExtra,
      });
      t += n;
    }
  }
  return out;
}
