// The environments `repro --list` prints come from the claims' sweep configs.
import { describe, expect, it } from 'vitest';
import { claimEnvironments } from '../../src/repro/claim-envs.ts';
import { CLAIMS } from '../../src/repro/registry.ts';

describe('claimEnvironments', () => {
  it("reads each sweep's resolved env and adds the claim's in-process ones", () => {
    const byId = (id: string) => CLAIMS.find((c) => c.id === id)!;
    // collapse and covariance also read the word-hunt GRPO sweep (the token-level versions)
    expect(claimEnvironments(byId('collapse'))).toEqual(['gridworld (four_rooms)', 'word-hunt']);
    expect(claimEnvironments(byId('narrowing'))).toEqual(['word-hunt']);
    expect(claimEnvironments(byId('pass-at-64'))).toEqual(['word-hunt']);
    // every training claim runs on the gridworld and on word-hunt
    for (const id of ['cov-methods', 'aepo', 'epo', 'steer', 'clip-higher'])
      expect(claimEnvironments(byId(id))).toEqual(['gridworld (four_rooms)', 'word-hunt']);
    expect(claimEnvironments(byId('covariance'))).toEqual([
      'gridworld (four_rooms)',
      'word-hunt',
      'tabular softmax bandit (6 actions, exact policy-gradient steps)',
    ]);
    for (const claim of CLAIMS) expect(claimEnvironments(claim).length).toBeGreaterThan(0);
  });
});
