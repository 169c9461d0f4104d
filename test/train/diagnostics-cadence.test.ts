// diagnostics.entropy_change_every: the after-update pass runs only on steps 1, 1+N, …; skipping it
// changes nothing else the run computes.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/backend.ts';
import { loadConfig } from '../../src/config/load.ts';
import { train } from '../../src/train/trainer.ts';
import { readJsonl, tempDir } from '../helpers.ts';

const small = ['steps=5', 'env.preset=open5', 'rollout.prompts_per_step=4', 'rollout.group_size=4'];
const DELTA_KEYS = ['entropy/after_update', 'entropy/measured_delta', 'entropy/predicted_delta', 'perf/after_update_s'];
type Row = Record<string, number>;

async function run(every: number): Promise<Row[]> {
  const config = loadConfig('configs/quickstart.yaml', [...small, `diagnostics.entropy_change_every=${every}`]);
  const dir = tempDir();
  await train(config, { runDir: dir, log: () => {} });
  return readJsonl(path.join(dir, 'metrics.jsonl'));
}

const keep = (r: Row, test: (key: string) => boolean) => Object.fromEntries(Object.entries(r).filter(([k]) => test(k)));
const withoutPerf = (r: Row) => keep(r, (k) => !k.startsWith('perf/'));
const withoutDelta = (r: Row) => keep(withoutPerf(r), (k) => !DELTA_KEYS.includes(k));

beforeAll(async () => {
  await selectBackend('wasm');
});

describe('diagnostics.entropy_change_every', () => {
  it('with N = 3 measures the entropy change on steps 1 and 4 of 5, the rest unchanged', async () => {
    const every = await run(1);
    const third = await run(3);
    expect(third.map((r) => DELTA_KEYS.every((k) => k in r))).toEqual([true, false, false, true, false]);
    expect(third.map((r) => DELTA_KEYS.some((k) => k in r))).toEqual([true, false, false, true, false]);
    expect(every.every((r) => DELTA_KEYS.every((k) => k in r))).toBe(true);
    expect(third.map(withoutPerf)[0]).toEqual(withoutPerf(every[0]));
    expect(third.map(withoutPerf)[3]).toEqual(withoutPerf(every[3]));
    expect(third.map(withoutDelta)).toEqual(every.map(withoutDelta));
  }, 120_000);

  it('rejects 0 with the key named', () => {
    const zero = () => loadConfig('configs/quickstart.yaml', ['diagnostics.entropy_change_every=0']);
    expect(zero).toThrow(/diagnostics\.entropy_change_every/);
  });
});
