// The test-split evaluation: with n = k samples it is the naive "solved by one of k"; with n > k the
// curve is the unbiased estimate from the same per-prompt counts; the k's and n it reports.
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/backend.ts';
import { Rng } from '../../src/base/rng.ts';
import { loadConfig } from '../../src/config/load.ts';
import { evaluate } from '../../src/core/evaluate.ts';
import { makeEnvFactory, makePolicy } from '../../src/train/setup.ts';

beforeAll(async () => {
  await selectBackend('wasm');
});

describe('evaluate', () => {
  const config = loadConfig('configs/quickstart.yaml', ['env.preset=open5', 'policy.hidden=[8]']);
  const envFactory = makeEnvFactory(config);
  // an untrained, near-uniform policy: some prompts solved, some not, so every k means something
  const policy = makePolicy(config, envFactory(), new Rng('eval-test'));
  const base = { prompts: 40, temperature: 1, seed: 'eval-test' };

  it('n = k (the default): pass@k is the share of prompts solved by one of the k samples', () => {
    const r = evaluate(envFactory, policy, { ...base, k: 4 });
    expect(r.samples).toBe(4);
    expect(Object.keys(r.passAtKCurve)).toEqual(['1', '2', '4']);
    expect(r.passAtKCurve['4']).toBe(r.passAtK);
    expect(r.passAtKCurve['1']).toBeCloseTo(r.successSampled, 12);
    expect(r.passAtK * 40).toBeCloseTo(Math.round(r.passAtK * 40), 9); // a count of prompts over 40
    expect(evaluate(envFactory, policy, { ...base, k: 4, samples: 4 })).toEqual(r);
  });

  it('n > k: the curve rises with k, pass@1 is the sampled success, pass@n the naive share', () => {
    const r = evaluate(envFactory, policy, { ...base, k: 4, samples: 32, passKs: [1, 4, 16, 32] });
    expect(r).toMatchObject({ samples: 32, k: 4 });
    expect(Object.keys(r.passAtKCurve)).toEqual(['1', '4', '16', '32']);
    const c = r.passAtKCurve;
    expect(c['1']).toBeCloseTo(r.successSampled, 12);
    expect(c['1']).toBeLessThan(c['4']);
    expect(c['4']).toBeLessThanOrEqual(c['16']);
    expect(c['16']).toBeLessThanOrEqual(c['32']);
    expect(r.passAtK).toBe(c['4']);
    expect(c['32']).toBeGreaterThan(0);
    expect(c['32'] * 40).toBeCloseTo(Math.round(c['32'] * 40), 9);
  });

  it('refuses a k above the number of samples', () => {
    expect(() => evaluate(envFactory, policy, { ...base, k: 8, samples: 4 })).toThrow(/k ≤ samples/);
    expect(() => evaluate(envFactory, policy, { ...base, k: 1, samples: 4, passKs: [8] })).toThrow(/k ≤ samples/);
  });
});
