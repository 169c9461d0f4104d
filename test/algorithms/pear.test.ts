// PEAR against hand-worked numbers: the phase split (delimiter found first or last, missing, at the
// start or the end; the final-turn split), the penalty and the reward (T1, T2, α, s, floor), a whole
// batch with its metrics, the edge cases (empty phases, all-equal entropies, empty rows, NaN in
// padding or on a valid token), the documented `entrolab loss --prepare` example of docs/pear.md,
// and short chain-sum runs (configs/pear.yaml) that train on the shaped rewards.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  pearReward,
  pearSchema,
  pearStep,
  phaseMean,
  phasePenalty,
  splitAtDelimiter,
  splitAtFinalTurn,
} from '../../algorithms/pear.ts';
import { selectBackend } from '../../src/backend/backend.ts';
import { loadConfig } from '../../src/config/load.ts';
import { createRegularizers } from '../../src/core/regularizer-set.ts';
import { parseLossBatch } from '../../src/loss/loss-batch.ts';
import { runSft } from '../../src/train/sft.ts';
import { train } from '../../src/train/trainer.ts';
import { readJsonl, tempDir } from '../helpers.ts';

beforeAll(async () => {
  await selectBackend('wasm');
});

const D = 3; // the delimiter's id in these examples ('|' of NAMES)
const NAMES = ['0', '1', '2', '|', '<eos>'];
const config = (entry: object = {}) => pearSchema.parse({ delimiter: '|', ...entry });

function lossBatch(f: Record<string, unknown>) {
  const H = f.old_entropy as number[][];
  const zeros = H.map((r) => r.map(() => 0));
  const mask = H.map((r) => r.map(() => 1));
  return parseLossBatch({ log_probs: zeros, old_log_probs: zeros, advantages: zeros, mask, ...f }, 'x').batch;
}

describe('the phase split', () => {
  it('at the delimiter: thinking before it, the answer after it, the delimiter in neither', () => {
    expect(splitAtDelimiter([1, 2, D, 2, 4], D, 'last')).toEqual({ think: [0, 1], answer: [3, 4], delimiterAt: 2 });
  });

  it('several delimiters: the last one (chain-sum judges after it) or the first', () => {
    expect(splitAtDelimiter([1, D, 2, D, 4], D, 'last')).toEqual({ think: [0, 1, 2], answer: [4], delimiterAt: 3 });
    expect(splitAtDelimiter([1, D, 2, D, 4], D, 'first')).toEqual({ think: [0], answer: [2, 3, 4], delimiterAt: 1 });
  });

  it('no delimiter: all thinking except the last token, no answer (T2)', () => {
    expect(splitAtDelimiter([1, 1, 2, 4], D, 'last')).toEqual({ think: [0, 1, 2], answer: [], delimiterAt: -1 });
    expect(splitAtDelimiter([4], D, 'last')).toEqual({ think: [], answer: [], delimiterAt: -1 });
    expect(splitAtDelimiter([], D, 'last')).toEqual({ think: [], answer: [], delimiterAt: -1 });
  });

  it('a delimiter first leaves no thinking; one last leaves no answer', () => {
    expect(splitAtDelimiter([D, 1, 4], D, 'last')).toEqual({ think: [], answer: [1, 2], delimiterAt: 0 });
    expect(splitAtDelimiter([1, 2, D], D, 'last')).toEqual({ think: [0, 1], answer: [], delimiterAt: 2 });
  });

  it('final turn: earlier turns think, the last turn answers, no token left out', () => {
    expect(splitAtFinalTurn([0, 0, 1, 1, 2])).toEqual({ think: [0, 1, 2, 3], answer: [4], delimiterAt: -1 });
    expect(splitAtFinalTurn([0, 0, 0])).toEqual({ think: [], answer: [0, 1, 2], delimiterAt: -1 });
  });

  it('an empty phase has mean 0 (no 0/0)', () => {
    expect(phaseMean([0.6, 0.4], [])).toBe(0);
    expect(phaseMean([0.6, 0.4, 0.5], [0, 1])).toBeCloseTo(0.5, 15);
  });
});

describe('the penalty and the reward', () => {
  it('T1: H = [0.6, 0.4, (|) 0.0, 0.1, 0.3], α = 1 → P = 0.3, r = 0.7; wrong → r_fmt; α = 3 → P = 0, r = 1', () => {
    const H = [0.6, 0.4, 0.0, 0.1, 0.3];
    const { think, answer } = splitAtDelimiter([1, 2, D, 2, 4], D, 'last');
    const [ht, ha] = [phaseMean(H, think), phaseMean(H, answer)];
    expect(ht).toBeCloseTo(0.5, 15);
    expect(ha).toBeCloseTo(0.2, 15);
    expect(phasePenalty(ht, ha, 1)).toBeCloseTo(0.3, 15);
    expect(pearReward(true, phasePenalty(ht, ha, 1), config())).toBeCloseTo(0.7, 15);
    expect(pearReward(false, phasePenalty(ht, ha, 1), config({ format_score: 0.1 }))).toBe(0.1);
    expect(phasePenalty(ht, ha, 3)).toBe(0);
    expect(pearReward(true, 0, config())).toBe(1);
  });

  it('T2: no delimiter, H = [0.9, 0.7, 0.5, 0.2] → H̄_think = 0.7, P = 0.7, r = 0.3', () => {
    const batch = lossBatch({ old_entropy: [[0.9, 0.7, 0.5, 0.2]], actions: [[1, 1, 2, 4]], success: [1] });
    const out = pearStep(batch, config(), D);
    expect(out.rows[0]).toMatchObject({ thinkTokens: 3, answerTokens: 0, hasDelimiter: false });
    expect(out.rows[0].thinkMean).toBeCloseTo(0.7, 6);
    expect(out.rewards[0]).toBeCloseTo(0.3, 6);
  });

  it('α < 1 penalises even all-equal entropies; α = 1 not at all, whatever the length', () => {
    // H̄_think = H̄_answer = h: P = max(0, (1 − α)·h)
    for (const length of [3, 9]) {
      const actions = [...Array(length - 2).fill(1), D, 4];
      const batch = lossBatch({ old_entropy: [actions.map(() => 0.4)], actions: [actions], success: [1] });
      expect(pearStep(batch, config(), D).rewards[0]).toBe(1);
      expect(pearStep(batch, config({ alpha: 0.5 }), D).rewards[0]).toBeCloseTo(0.8, 6);
      expect(pearStep(batch, config({ alpha: 0 }), D).rewards[0]).toBeCloseTo(0.6, 6);
    }
  });

  it('α = −1 adds the answer entropy to the penalty; an empty thinking phase then still pays', () => {
    expect(phasePenalty(0, 0.3, 1)).toBe(0);
    expect(phasePenalty(0, 0.3, -1)).toBeCloseTo(0.3, 15);
  });

  it('s < 1 lowers every correct reward; the min(1, ·) never binds since P ≥ 0', () => {
    expect(pearReward(true, 0.3, config({ score: 0.8 }))).toBeCloseTo(0.5, 15);
    expect(pearReward(true, 0, config({ score: 0.8 }))).toBe(0.8);
  });

  it('P > s puts a correct answer below a wrong one, unless floor', () => {
    expect(pearReward(true, 1.4, config())).toBeCloseTo(-0.4, 15);
    expect(pearReward(true, 1.4, config({ floor: true, format_score: 0.1 }))).toBe(0.1);
    expect(pearReward(true, 0.3, config({ floor: true, format_score: 0.1 }))).toBeCloseTo(0.7, 15);
  });
});

// The worked batch (also docs/pear.md's): '|' = 3, <eos> = 4; width 5, padded slots hold NaN-free zeros.
//   row 0 correct  "12|2<eos>"  H [0.6, 0.4, 0.0, 0.1, 0.3]: think 0.5, answer 0.2 → P 0.3, r 0.7
//   row 1 correct  "112<eos>"   H [0.9, 0.7, 0.5, 0.2]:      no '|' → think 0.7, answer 0 → P 0.7, r 0.3
//   row 2 correct  "|1<eos>"    H [0.5, 0.2, 0.4]:           think empty (0), answer 0.3 → P 0, r 1
//   row 3 wrong    "1|2<eos>"   H [0.8, 0.1, 0.3, 0.1]:      think 0.8, answer 0.2 → P 0.6, r 0
const HAND = {
  old_entropy: [
    [0.6, 0.4, 0.0, 0.1, 0.3],
    [0.9, 0.7, 0.5, 0.2, 0],
    [0.5, 0.2, 0.4, 0, 0],
    [0.8, 0.1, 0.3, 0.1, 0],
  ],
  actions: [
    [1, 2, 3, 2, 4],
    [1, 1, 2, 4, 0],
    [3, 1, 4, 0, 0],
    [1, 3, 2, 4, 0],
  ],
  mask: [
    [1, 1, 1, 1, 1],
    [1, 1, 1, 1, 0],
    [1, 1, 1, 0, 0],
    [1, 1, 1, 1, 0],
  ],
  group_ids: [0, 0, 1, 1],
  rewards: [1, 1, 1, 0],
  success: [1, 1, 1, 0],
  action_names: NAMES,
};

describe('one batch', () => {
  it('rewards and metrics as worked by hand', () => {
    const out = pearStep(lossBatch(HAND), config(), D);
    expect(Array.from(out.rewards)).toEqual([0.7, 0.3, 1, 0].map((x) => expect.closeTo(x, 6)));
    expect(out.rows.map((r) => r.penalty)).toEqual([0.3, 0.7, 0, 0.6].map((x) => expect.closeTo(x, 6)));
    const m = out.metrics;
    expect(m.think_entropy_mean).toBeCloseTo((0.5 + 0.7 + 0 + 0.8) / 4, 6);
    expect(m.answer_entropy_mean).toBeCloseTo((0.2 + 0 + 0.3 + 0.2) / 4, 6);
    expect(m.think_tokens_mean).toBe((2 + 3 + 0 + 1) / 4);
    expect(m.answer_tokens_mean).toBe((2 + 0 + 2 + 2) / 4);
    expect(m.penalty_mean).toBeCloseTo(1.6 / 4, 6);
    expect(m.penalty_correct_mean).toBeCloseTo(1 / 3, 6);
    expect(m.frac_penalised).toBeCloseTo(2 / 3, 12);
    expect(m.frac_below_format).toBe(0);
    expect(m.frac_no_delimiter).toBe(0.25);
  });

  it('padding is never read (NaN there changes nothing); NaN on a valid token is an error naming it', () => {
    const batch = lossBatch(HAND);
    const padded = { ...batch, oldEntropy: batch.oldEntropy.map((h, i) => (batch.mask[i] ? h : Number.NaN)) };
    expect(Array.from(pearStep(padded, config(), D).rewards)).toEqual(Array.from(pearStep(batch, config(), D).rewards));
    const broken = { ...batch, oldEntropy: Float32Array.from(batch.oldEntropy) };
    broken.oldEntropy[2 * 5 + 1] = Number.NaN;
    expect(() => pearStep(broken, config(), D)).toThrow("pear: π_old's entropy at row 2, token 1 is NaN");
  });

  it('a row without valid tokens: no phases, no penalty', () => {
    const batch = lossBatch({ old_entropy: [[0.5, 0.5]], actions: [[1, 1]], mask: [[0, 0]], success: [1] });
    const out = pearStep(batch, config(), D);
    expect(out.rows[0]).toMatchObject({ thinkMean: 0, answerMean: 0, penalty: 0, thinkTokens: 0, answerTokens: 0 });
    expect(out.rewards[0]).toBe(1);
  });

  it('final_turn reads turn_index, not the actions', () => {
    // turns [0, 0, 1, 1, 2], H = [0.8, 0.6, 0.4, 0.2, 0.1]: think 0.5, answer 0.1 → P 0.4, r 0.6
    const batch = lossBatch({
      old_entropy: [[0.8, 0.6, 0.4, 0.2, 0.1]],
      actions: [[3, 3, 3, 3, 3]],
      turn_index: [[0, 0, 1, 1, 2]],
      success: [1],
    });
    const out = pearStep(batch, pearSchema.parse({ split: 'final_turn' }), undefined);
    expect(out.rewards[0]).toBeCloseTo(0.6, 6);
    expect(out.metrics.frac_no_delimiter).toBeUndefined();
  });
});

describe('the pear regularizer', () => {
  const make = (entry: object) => createRegularizers([{ name: 'pear', ...entry }], { seed: 0, where: 'x' })[0];
  const info = { step: 0, totalSteps: 1, promptsPerStep: 2, groupSize: 2, rng: undefined as never };

  it('resolves the delimiter by name or id and refuses an unknown one in one line', () => {
    const byName = make({ delimiter: '|' }).hooks.shapeRewards!(lossBatch(HAND), { ...info, actionNames: NAMES });
    const byId = make({ delimiter: 3 }).hooks.shapeRewards!(lossBatch(HAND), info);
    expect(Array.from(byName.value)).toEqual(Array.from(byId.value));
    expect(byName.value[0]).toBeCloseTo(0.7, 6);
    expect(() =>
      make({ delimiter: '#' }).hooks.shapeRewards!(lossBatch(HAND), { ...info, actionNames: NAMES }),
    ).toThrow("regularizers.pear.delimiter: '#' is not an action of this environment (its actions: 0 1 2 | <eos>)");
  });

  it('split: token needs a delimiter; final_turn does not, nor does it read the actions', () => {
    expect(() => make({})).toThrow(/delimiter/);
    expect(make({ delimiter: '|' }).hooks.readsActions).toBe(true);
    expect(make({ split: 'final_turn' }).hooks.readsActions).toBe(false);
    expect(make({ split: 'final_turn' }).hooks.readsSuccess).toBe(true);
    expect(() => make({ delimiter: '|', score: 0 })).toThrow(/score/);
    expect(() => make({ delimiter: '|', format_score: 1 })).toThrow(/format_score/);
  });
});

const DOC = fs.readFileSync('docs/pear.md', 'utf8');
function docBlock(name: string): Record<string, unknown> {
  const m = new RegExp(`\`\`\`json ${name}\\n([\\s\\S]*?)\`\`\``).exec(DOC);
  if (!m) throw new Error(`docs/pear.md has no block 'json ${name}'`);
  return JSON.parse(m[1]);
}

describe('entrolab loss --prepare (docs/pear.md)', () => {
  it('the documented example through the CLI: shaped rewards token by token, advantages from them', () => {
    const batch = docBlock('pear-batch');
    const expected = docBlock('pear-output') as { prepared: { rewards: number[]; advantages: number[][] } };
    const dir = tempDir('entrolab-pear-');
    const file = path.join(dir, 'pear-batch.json');
    fs.writeFileSync(file, JSON.stringify(batch));
    const res = spawnSync(
      process.execPath,
      ['bin/entrolab.js', 'loss', file, '--prepare', '--set', "regularizers=[{name: pear, delimiter: '|'}]"],
      { encoding: 'utf8' },
    );
    expect(res.status, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout);
    expect(out.prepared.rewards).toEqual(expected.prepared.rewards);
    out.prepared.rewards.forEach((r: number, i: number) => expect(r).toBeCloseTo([0.7, 0.3, 1, 0][i], 6));
    expect(out.prepared.advantages).toEqual(expected.prepared.advantages);
    // std-normalised per group: [0.7, 0.3] → ±0.2/(0.282843 + 1e-6); [1, 0] → ±0.5/(0.707107 + 1e-6)
    expect(out.prepared.advantages[0][0]).toBeCloseTo(0.2 / (Math.sqrt(0.08) + 1e-6), 6);
    expect(out.prepared.advantages[3][0]).toBeCloseTo(-0.5 / (Math.SQRT1_2 + 1e-6), 6);
    expect(out.metrics['reward/raw']).toBe(0.75);
    expect(out.metrics['reward/shaped']).toBeCloseTo(0.5, 6);
    expect(out.metrics['pear/penalty_correct_mean']).toBeCloseTo(1 / 3, 6);
  }, 30_000);
});

// chain-sum with two terms ("3+7" → "3+7=10|10" or "10|10") so that 100 SFT steps give a policy
// that is sometimes right; PEAR and GRPO then train from it with the same seed.
describe('pear training on chain-sum (configs/pear.yaml)', () => {
  const small = [
    'rollout.prompts_per_step=8',
    'rollout.group_size=4',
    'eval.episodes=2',
    'eval.every=0',
    'env.terms=2',
  ];
  let sftDir = '';
  beforeAll(async () => {
    sftDir = tempDir();
    const sft = loadConfig('configs/sft-chain-sum.yaml', [
      'sft.steps=100',
      'sft.demos=400',
      'sft.batch_size=16',
      'eval.episodes=2',
      'env.terms=2',
    ]);
    await runSft(sft, { runDir: sftDir, log: () => {} });
  }, 180_000);
  const run = async (file: string, steps: number) => {
    const dir = tempDir();
    await train(loadConfig(file, [`steps=${steps}`, `init_from=${sftDir}`, ...small]), { runDir: dir, log: () => {} });
    return readJsonl(path.join(dir, 'metrics.jsonl'));
  };

  it('trains on the phase-entropy rewards: a correct answer earns 1 − P, a wrong one 0', async () => {
    const rows = await run('configs/pear.yaml', 3);
    expect(rows).toHaveLength(3);
    for (const r of rows) {
      // chain-sum's reward is 1 for a correct answer: raw = the fraction correct
      expect(r['reward/raw']).toBe(r['critic/score/mean']);
      expect(r['reward/shaped']).toBeCloseTo(r['reward/raw'] * (1 - r['pear/penalty_correct_mean']), 9);
      expect(r['reward/shaped']).toBeLessThanOrEqual(r['reward/raw']);
      expect(r['pear/think_entropy_mean']).toBeGreaterThan(0);
      // every token but one is in a phase: the '|', or without one the last token (<eos>)
      expect(r['pear/think_tokens_mean'] + r['pear/answer_tokens_mean']).toBeCloseTo(r['response_length/mean'] - 1, 9);
    }
  }, 120_000);

  it('against GRPO from the same start and seed: the same first rollout, then a less uncertain policy', async () => {
    const grpo = await run('configs/text-chain-sum.yaml', 10);
    const pear = await run('configs/pear.yaml', 10);
    expect(pear[0]['entropy/rollout']).toBe(grpo[0]['entropy/rollout']);
    expect(pear[0]['response_length/mean']).toBe(grpo[0]['response_length/mean']);
    // PEAR rewards correct answers whose scratchpad is confident: its thinking-phase entropy falls and
    // the rollout entropy of its last five steps is below GRPO's (measured: 0.90 against 1.03)
    const late = (rows: Record<string, number>[]) => rows.slice(5).reduce((s, r) => s + r['entropy/rollout'], 0) / 5;
    expect(late(pear)).toBeLessThan(late(grpo) - 0.05);
    expect(pear[9]['pear/think_entropy_mean']).toBeLessThan(pear[0]['pear/think_entropy_mean'] - 0.2);
  }, 180_000);
});
