// src/base/batch.ts concatBatches: rows of two batches of different widths joined, padded to the
// larger width, and the policy's log-probs on the joined inputs equal to each batch's own (the padding
// is invisible to the MLP's slots and to the transformer's causal attention).
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/backend.ts';
import { type Batch, concatBatches, selectRows } from '../../src/base/batch.ts';
import { Rng } from '../../src/base/rng.ts';
import { buildBatch, oldPass, runEpisodes } from '../../src/rollout/rollout.ts';
import { threeGroups } from '../helpers.ts';

beforeAll(async () => {
  await selectBackend('wasm');
});

/** A batch of 6 episodes and one of the single shortest episode, narrower, from the same policy. */
function twoWidths(file: string, sets: string[]) {
  const { envFactory, policy, groups } = threeGroups(file, sets, 2);
  const episodes = runEpisodes(envFactory, policy, groups, { env: new Rng('env'), sampling: new Rng('sampling') });
  const wide = buildBatch(policy, episodes, 1, true);
  const shortest = episodes.reduce((s, e, i) => (e.actions.length < episodes[s].actions.length ? i : s), 0);
  const narrow = buildBatch(policy, [episodes[shortest]], 1, true);
  return { policy, wide, narrow };
}

/** Max |Δ| between `joined`'s old log-probs at a part's valid slots and the part's own. */
function gap(joined: Batch, part: Batch, firstRow: number): number {
  let worst = 0;
  for (let r = 0; r < part.rows; r++)
    for (let t = 0; t < part.width; t++) {
      const i = r * part.width + t;
      if (!part.mask[i]) continue;
      worst = Math.max(worst, Math.abs(joined.oldLogProbs[(firstRow + r) * joined.width + t] - part.oldLogProbs[i]));
    }
  return worst;
}

describe('concatBatches', () => {
  for (const [kind, file, sets] of [
    ['mlp', 'configs/quickstart.yaml', ['env.preset=open5']],
    ['transformer', 'configs/text-arithmetic.yaml', ['init_from=', 'policy.d_model=16']],
  ] as const) {
    it(`${kind}: pads the narrower batch; the policy's log-probs on the joined inputs are each batch's own`, () => {
      const { policy, wide, narrow } = twoWidths(file, [...sets]);
      expect(narrow.width).toBeLessThan(wide.width);
      const joined = concatBatches(narrow, wide);
      expect([joined.rows, joined.width, joined.inputs.rows, joined.inputs.width]).toEqual([
        7,
        wide.width,
        7,
        wide.width,
      ]);
      // the narrow row's padded tail is masked, zero, and holds the uniform distribution
      const A = joined.numActions;
      for (let t = narrow.width; t < wide.width; t++) {
        expect([joined.mask[t], joined.oldLogProbs[t], joined.actions[t]]).toEqual([0, 0, 0]);
        expect(joined.oldLogPolicy![t * A]).toBeCloseTo(-Math.log(A), 6);
      }
      expect(Array.from(joined.groupId)).toEqual([narrow.groupId[0], ...wide.groupId]);
      const again = oldPass(policy, joined.inputs, joined.actions, 1, false);
      const recomputed = { ...joined, oldLogProbs: again.logProbs };
      expect(gap(recomputed, narrow, 0)).toBeLessThan(1e-5);
      expect(gap(recomputed, wide, 1)).toBeLessThan(1e-5);
      // selecting the rows back gives the wide batch's own values
      expect(Array.from(selectRows(joined, [1, 2]).mask)).toEqual(Array.from(wide.mask.subarray(0, 2 * wide.width)));
    });
  }

  it('keeps isReplay (0 for rows of a batch without it) and drops a per-token array only one side has', () => {
    const { wide, narrow } = twoWidths('configs/quickstart.yaml', ['env.preset=open5']);
    const flagged = { ...narrow, isReplay: Uint8Array.of(1), refLogProbs: new Float32Array(narrow.mask.length) };
    const joined = concatBatches(flagged, wide);
    expect(Array.from(joined.isReplay!)).toEqual([1, 0, 0, 0, 0, 0, 0]);
    expect(joined.refLogProbs).toBeUndefined();
    expect(concatBatches(wide, narrow).isReplay).toBeUndefined();
    expect(() => concatBatches(wide, { ...narrow, numActions: 9 })).toThrow(/over 4 and 9 actions/);
  });
});
