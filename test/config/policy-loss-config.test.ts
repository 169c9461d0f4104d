// grpo.policy_loss in the config (docs/policy-losses.md "Composition"): the default is vanilla; a loss
// that fixes its aggregation sets loss_agg_mode and refuses another in one line; a regularizer that
// replaces the policy loss needs vanilla; GMPO refuses per-token weights — for `train` and `loss` alike.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/base/errors.ts';
import { parseConfig } from '../../src/config/load.ts';
import { loadLossConfig } from '../../src/config/loss-config.ts';
import { parseLossBatch } from '../../src/loss/loss-batch.ts';
import { computeLoss } from '../../src/loss/loss-check.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const grid = { name: 'x', env: { name: 'gridworld' } };
const oneLineError = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    const message = (e as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('expected a UserError');
};

describe('grpo.policy_loss', () => {
  it('defaults to vanilla with the run’s token-mean', () => {
    const c = parseConfig(grid);
    expect(c.grpo.policy_loss).toBe('vanilla');
    expect(c.grpo.loss_agg_mode).toBe('token-mean');
  });

  it('gspo, sapo and geo_mean set loss_agg_mode to seq-mean-token-mean and refuse another', () => {
    for (const name of ['gspo', 'sapo', 'geo_mean']) {
      expect(parseConfig({ ...grid, grpo: { policy_loss: name } }).grpo.loss_agg_mode).toBe('seq-mean-token-mean');
      const same = { policy_loss: name, loss_agg_mode: 'seq-mean-token-mean' };
      expect(parseConfig({ ...grid, grpo: same }).grpo.loss_agg_mode).toBe('seq-mean-token-mean');
      const message = oneLineError(() =>
        parseConfig({ ...grid, grpo: { policy_loss: name, loss_agg_mode: 'token-mean' } }),
      );
      expect(message).toMatch(
        new RegExp(
          `'grpo.loss_agg_mode': policy_loss ${name} fixes its aggregation to seq-mean-token-mean, got 'token-mean'`,
        ),
      );
      expect(() => loadLossConfig(undefined, [`grpo.policy_loss=${name}`, 'grpo.loss_agg_mode=token-mean'])).toThrow(
        /fixes its aggregation/,
      );
    }
    // the others keep whatever the run says
    const c = parseConfig({ ...grid, grpo: { policy_loss: 'cispo', loss_agg_mode: 'seq-mean-token-sum' } });
    expect(c.grpo.loss_agg_mode).toBe('seq-mean-token-sum');
  });

  it('an unknown loss names the allowed ones', () => {
    expect(oneLineError(() => parseConfig({ ...grid, grpo: { policy_loss: 'gspo2' } }))).toMatch(
      /'grpo.policy_loss'.*vanilla, gspo, sapo, cispo, geo_mean, gpg/,
    );
  });

  it('a regularizer that replaces the policy loss needs policy_loss: vanilla (train and loss)', () => {
    const regularizers = [{ name: 'clip_cov' }];
    expect(parseConfig({ ...grid, regularizers }).regularizers[0].name).toBe('clip_cov');
    const message = oneLineError(() => parseConfig({ ...grid, grpo: { policy_loss: 'cispo' }, regularizers }));
    expect(message).toMatch(
      /'grpo.policy_loss': regularizer 'clip_cov' replaces the policy loss, so it needs policy_loss: vanilla, got 'cispo'/,
    );
    expect(() => loadLossConfig(undefined, ['grpo.policy_loss=gspo', 'regularizers=[{name: kl_cov}]'])).toThrow(
      /regularizer 'kl_cov' replaces the policy loss/,
    );
  });

  it('geo_mean refuses a per-token-weight regularizer; other losses take it', () => {
    const regularizers = [{ name: 'high_entropy_tokens' }];
    expect(oneLineError(() => parseConfig({ ...grid, grpo: { policy_loss: 'geo_mean' }, regularizers }))).toMatch(
      /geo_mean's loss is one value per row, so regularizer 'high_entropy_tokens' \(per-token weights\) cannot apply/,
    );
    expect(parseConfig({ ...grid, grpo: { policy_loss: 'cispo' }, regularizers }).grpo.policy_loss).toBe('cispo');
    // a lossTerm regularizer composes with GMPO
    expect(
      parseConfig({ ...grid, grpo: { policy_loss: 'geo_mean' }, regularizers: [{ name: 'entropy_bonus' }] })
        .regularizers,
    ).toHaveLength(1);
  });
});

describe('composition with regularizers that do not replace the loss (entrolab loss)', () => {
  const batch = (entropy: number[][]) =>
    parseLossBatch(
      { log_probs: [[-1.0, -0.5]], old_log_probs: [[-1.2, -0.5]], advantages: [[1, 1]], mask: [[1, 1]], entropy },
      'b.json',
    );

  it('gspo + entropy_bonus: loss = GSPO − coef·agg(H), the entropy term under the fixed seq-mean-token-mean', () => {
    const config = loadLossConfig(undefined, [
      'grpo.policy_loss=gspo',
      'regularizers=[{name: entropy_bonus, coef: 0.1}]',
    ]);
    const out = computeLoss(batch([[1, 2]]), config);
    expect(out.metrics['actor/pg_loss']).toBeCloseTo(-1.105171, 5);
    expect(out.loss).toBeCloseTo(-1.105171 - 0.1 * 1.5, 5);
    expect(out.grad_log_probs[0][0]).toBeCloseTo(-0.552585, 5);
    expect(out.grad_entropy).toEqual([[-0.05, -0.05]]);
  });

  it('cispo × high_entropy_tokens (trl, ρ = 0.5): the low-entropy token is zeroed, the loss still divides by 2', () => {
    const doc = {
      log_probs: [[-0.5, -1]],
      old_log_probs: [[-1, -0.5]],
      advantages: [[1, -1]],
      mask: [[1, 1]],
      entropy: [[1, 0]],
    };
    const sets = ['grpo.policy_loss=cispo', 'regularizers=[{name: high_entropy_tokens, preset: trl, ratio: 0.5}]'];
    const out = computeLoss(parseLossBatch(doc, 'b.json'), loadLossConfig(undefined, sets));
    // CISPO alone: token losses [0.6, −0.8], gradients [−1.2, 0.8]/2
    expect(out.token_loss[0][0]).toBeCloseTo(0.6, 6);
    expect(out.token_loss[0][1]).toBe(0);
    expect(out.loss).toBeCloseTo(0.3, 6);
    expect(out.grad_log_probs[0][0]).toBeCloseTo(-0.6, 6);
    expect(out.grad_log_probs[0][1]).toBe(0);
  });
});
