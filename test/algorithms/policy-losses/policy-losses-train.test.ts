// Every policy loss trains: a short run per grpo.policy_loss of configs/quickstart.yaml on its open
// 5×5 gridworld (four rooms needs ~100 steps to move; the advantage estimators' test uses the same
// map), asserting that the sampled success rate rises from the near-uniform start.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { POLICY_LOSS_NAMES } from '../../../algorithms/policy-losses/registry.ts';
import { selectBackend } from '../../../src/backend/backend.ts';
import { loadConfig } from '../../../src/config/load.ts';
import { train } from '../../../src/train/trainer.ts';
import { readJsonl, tempDir } from '../../helpers.ts';

beforeAll(async () => {
  await selectBackend('wasm');
});

const quickstart = (sets: string[]) =>
  loadConfig(path.join(import.meta.dirname, '../../../configs/quickstart.yaml'), [
    'steps=20',
    'env.preset=open5',
    'env.test_prompts=',
    'rollout.prompts_per_step=8',
    'eval.episodes=4',
    ...sets,
  ]);

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

describe('each policy loss learns the quickstart gridworld', () => {
  // DRO has no default β; GPPO also with CE-GPPO's β₁ and the released scripts' positive NLL term
  const extra: Record<string, string[]> = { dro: ['grpo.dro.beta=0.05'] };
  const cases: [string, string[]][] = [
    ...POLICY_LOSS_NAMES.map((n): [string, string[]] => [n, [`grpo.policy_loss=${n}`, ...(extra[n] ?? [])]]),
    [
      'gppo, β₁ 0.5, positive NLL 0.1',
      ['grpo.policy_loss=gppo', 'grpo.gppo.beta1=0.5', 'grpo.gppo.positive_nll_coef=0.1'],
    ],
  ];
  it.each(cases)(
    '%s',
    async (_name, sets) => {
      const dir = tempDir();
      await train(quickstart(sets), { runDir: dir, log: () => {} });
      const rows = readJsonl(path.join(dir, 'metrics.jsonl'));
      const success = rows.map((r) => r.success_rate);
      const first = mean(success.slice(0, 3));
      const last = mean(success.slice(-5));
      expect(last).toBeGreaterThan(first + 0.15);
      expect(Number.isFinite(rows.at(-1)!['actor/ppo_kl'])).toBe(true);
      if (sets.includes('grpo.policy_loss=bapo')) expect(rows.at(-1)!['bapo/clip_low']).toBeGreaterThanOrEqual(0.6);
      if (sets.some((s) => s.includes('positive_nll'))) expect(rows.at(-1)!['gppo/positive_nll']).toBeGreaterThan(0);
    },
    120_000,
  );
});
