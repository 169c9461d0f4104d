// The nucleus entropy of SIREN's code (algorithms/nucleus-entropy.ts): membership with the crossing
// token excluded (or included), H^p by hand, and the taped value equal to the detached one.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { nucleusEntropy, nucleusEntropyValues, nucleusMembership } from '../../algorithms/nucleus-entropy.ts';
import { selectBackend } from '../../src/backend/backend.ts';

beforeAll(async () => {
  await selectBackend('cpu');
});

const logs = (ps: number[]) => ps.map(Math.log);
const opts = { topP: 0.8, topK: 10000, rule: 'exclusive' as const };

describe('nucleus membership and entropy (T1, hand)', () => {
  it('p = [0.4, 0.3, 0.2, 0.1], p_top 0.8: c = [0.4, 0.7, 0.9, 1] → 2 tokens, H^p = 0.682908; inclusive 3, 1.060857', () => {
    const lp = logs([0.4, 0.3, 0.2, 0.1]);
    const ex = nucleusMembership(lp, 4, opts);
    expect(Array.from(ex.membership)).toEqual([1, 1, 0, 0]);
    expect(nucleusEntropyValues(lp, ex.membership, 4)[0]).toBeCloseTo(0.682908, 6);
    const inc = nucleusMembership(lp, 4, { ...opts, rule: 'inclusive' });
    expect(inc.sizes[0]).toBe(3);
    expect(nucleusEntropyValues(lp, inc.membership, 4)[0]).toBeCloseTo(1.060857, 6);
    // the whole distribution (p_top = 1 keeps everything the cumsum has not reached)
    const all = nucleusMembership(lp, 4, { ...opts, topP: 1, rule: 'inclusive' });
    expect(nucleusEntropyValues(lp, all.membership, 4)[0]).toBeCloseTo(1.279854, 6);
  });

  it('one token or none in the nucleus gives H^p = 0: p = [0.7, 0.2, 0.1], and p_1 ≥ p_top', () => {
    const a = logs([0.7, 0.2, 0.1]);
    const m = nucleusMembership(a, 3, opts);
    expect(m.sizes[0]).toBe(1);
    expect(nucleusEntropyValues(a, m.membership, 3)[0]).toBe(0);
    const b = logs([0.85, 0.1, 0.05]);
    expect(nucleusMembership(b, 3, opts).sizes[0]).toBe(0);
    expect(nucleusEntropyValues(b, nucleusMembership(b, 3, opts).membership, 3)[0]).toBe(0);
  });

  it('[0.5, 0.25, 0.15, 0.1] keeps 2 (H^p = 0.636514) where the usual top-p keeps 3; k caps the nucleus', () => {
    const lp = logs([0.1, 0.5, 0.15, 0.25]); // any order: sorted by probability
    const m = nucleusMembership(lp, 4, opts);
    expect(Array.from(m.membership)).toEqual([0, 1, 0, 1]);
    expect(nucleusEntropyValues(lp, m.membership, 4)[0]).toBeCloseTo(0.636514, 6);
    expect(nucleusMembership(lp, 4, { ...opts, rule: 'inclusive' }).sizes[0]).toBe(3);
    expect(nucleusMembership(lp, 4, { ...opts, topK: 1 }).sizes[0]).toBe(1);
  });

  it('the taped H^p equals the detached one, slot by slot', () => {
    const lp = [...logs([0.4, 0.3, 0.2, 0.1]), ...logs([0.25, 0.25, 0.25, 0.25]), ...logs([0.9, 0.05, 0.03, 0.02])];
    const { membership } = nucleusMembership(lp, 4, { ...opts, topP: 0.95 });
    const taped = tf.tidy(() => Array.from(nucleusEntropy(tf.tensor2d(lp, [3, 4]), membership).dataSync()));
    const detached = Array.from(nucleusEntropyValues(lp, membership, 4));
    taped.forEach((h, i) => expect(h).toBeCloseTo(detached[i], 5));
    // uniform at p_top 0.95: c = [0.25, 0.5, 0.75, 1] → 3 tokens (the crossing one left out), ln 3
    expect(detached[1]).toBeCloseTo(Math.log(3), 6);
  });
});
