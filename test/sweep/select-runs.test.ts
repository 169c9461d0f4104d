// --only by id or index (anything else is one line naming the range), and an emitted job's runs
// hash: the same sweep passes, a sweep that gained a seed is refused.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { UserError } from '../../src/base/errors.ts';
import { sweepRunsHash } from '../../src/sweep/manifest.ts';
import { assertRunsHash, selectOnly } from '../../src/sweep/select-runs.ts';
import { expandSweep } from '../../src/sweep/spec.ts';

const sweepOf = (seeds: number) =>
  expandSweep(
    YAML.parse(`base: ../quickstart.yaml\nseeds: ${seeds}\naxes:\n  - {key: optim.lr, values: [0.001, 0.003]}\n`),
    path.resolve('configs/sweeps/not-there.yaml'),
  );

describe('selectOnly', () => {
  it('takes a run id or an index and refuses the rest with the allowed range', () => {
    const sweep = sweepOf(2); // 4 runs
    expect(selectOnly(sweep, sweep.runs[3].id)).toEqual([3]);
    expect(selectOnly(sweep, '2')).toEqual([2]);
    for (const bad of ['4', '-1', '1.5', 'nope']) {
      expect(() => selectOnly(sweep, bad)).toThrow(UserError);
      expect(() => selectOnly(sweep, bad)).toThrow(`--only ${bad}: expected a run index 0..3 or a run id`);
    }
  });
});

describe('assertRunsHash', () => {
  it('passes the hash the sweep expands to and refuses one of another run list', () => {
    const [before, after] = [sweepOf(1), sweepOf(2)];
    expect(() => assertRunsHash(before, sweepRunsHash(before))).not.toThrow();
    expect(sweepRunsHash(after)).not.toBe(sweepRunsHash(before));
    expect(() => assertRunsHash(after, sweepRunsHash(before))).toThrow(/the sweep changed since this job was emitted/);
  });
});
