// One-shot entropy minimisation (arXiv 2505.20282): the loss is the token mean of the policy's
// entropy, L = Σ H·m / max(Σ m, 1) — the toy z = [0, ln 2] at τ = 0.5 → p = [0.2, 0.8], H = 0.500402,
// two such tokens and one masked → L = 0.500402, dL/dH = 0.5 per valid token — whatever
// loss_agg_mode says; replace_pg zeroes the advantages so only that term trains.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { entropyMinDefinition, entropyMinSchema } from '../../algorithms/entropy-min.ts';
import { selectBackend } from '../../src/backend/backend.ts';
import { softmaxEntropy } from '../../src/base/numerics.ts';
import { loadConfig } from '../../src/config/load.ts';
import { loadLossConfig } from '../../src/config/loss-config.ts';
import { parseLossBatch } from '../../src/loss/loss-batch.ts';
import { computeLoss } from '../../src/loss/loss-check.ts';
import { train } from '../../src/train/trainer.ts';
import { readJsonl, tempDir } from '../helpers.ts';

beforeAll(async () => {
  await selectBackend('wasm');
});

const H = softmaxEntropy([0, Math.log(2)], 0, 2, 0.5);

describe('the entropy loss', () => {
  it('z = [0, ln 2] at τ = 0.5 has H = 0.500402', () => {
    expect(H).toBeCloseTo(0.500402, 6);
  });
  it.each(['token-mean', 'seq-mean-token-sum'])(
    'two valid tokens and one masked → L = 0.500402, dL/dH = 0.5 each (loss_agg_mode %s)',
    (mode) => {
      const batch = parseLossBatch(
        {
          log_probs: [[-0.2, -0.2, -0.2]],
          old_log_probs: [[-0.2, -0.2, -0.2]],
          advantages: [[0, 0, 0]],
          mask: [[1, 1, 0]],
          entropy: [[H, H, 7]],
        },
        'b.json',
      );
      const out = computeLoss(
        batch,
        loadLossConfig(undefined, ['regularizers=[{name: entropy_min}]', `grpo.loss_agg_mode=${mode}`]),
      );
      expect(out.loss).toBeCloseTo(0.500402, 6);
      expect(out.grad_entropy).toEqual([[expect.closeTo(0.5, 6), expect.closeTo(0.5, 6), 0]]);
      expect(out.metrics['entropy_min/entropy_mean']).toBeCloseTo(0.500402, 6);
    },
  );
  it('replace_pg zeroes the advantages; false keeps them', () => {
    const batch = { advantages: Float32Array.from([1, -2]) } as never;
    const on = entropyMinDefinition.create(entropyMinSchema.parse({}));
    expect(Array.from(on.prepareBatch!(batch, {} as never).value.advantages)).toEqual([0, 0]);
    expect(entropyMinDefinition.create(entropyMinSchema.parse({ replace_pg: false })).prepareBatch).toBeUndefined();
  });
});

describe('verifier-free training', () => {
  it('configs/entropy-min.yaml: the PG term is 0 and the entropy collapses', async () => {
    const dir = tempDir();
    await train(loadConfig('configs/entropy-min.yaml', ['steps=15', 'eval.episodes=4']), {
      runDir: dir,
      log: () => {},
    });
    const rows = readJsonl(path.join(dir, 'metrics.jsonl'));
    for (const r of rows) expect(r['actor/pg_loss']).toBe(0);
    expect(rows.at(-1)!['entropy/rollout']).toBeLessThan(0.5 * rows[0]['entropy/rollout']);
  }, 120_000);
});
