// Settings that cannot mean what they say are refused in one line naming the key, before anything
// is written: inverted ranges, a d_model heads cannot split, a gridworld start or goal on a wall, a
// preset beside the map or size that replaces it, an AEPO entropy target above ln |A|; numeric flags
// out of range or empty.
import fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/backend.ts';
import { UserError } from '../../src/base/errors.ts';
import { parseNumberFlag } from '../../src/cli/number-flag.ts';
import { loadConfig, parseConfig } from '../../src/config/load.ts';
import { makeEnvFactory } from '../../src/train/setup.ts';
import { train } from '../../src/train/trainer.ts';
import { tempDir } from '../helpers.ts';

beforeAll(async () => {
  await selectBackend('wasm');
});

const grid = { name: 'x', env: { name: 'gridworld' } };
const text = { name: 'x', env: { name: 'arithmetic' } };

describe('inverted ranges and impossible shapes are refused when the config is read', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    [
      'steer lambda_min > lambda_max',
      { ...grid, regularizers: [{ name: 'steer', lambda_min: 0.9, lambda_max: 0.5 }] },
      /'regularizers\.0\.lambda_min': got 0\.9 \(lambda_min must be <= lambda_max/,
    ],
    [
      'epo kappa_low > kappa_high',
      { ...grid, regularizers: [{ name: 'epo', kappa_low: 3, kappa_high: 1 }] },
      /'regularizers\.0\.kappa_low': got 3 \(kappa_low must be <= kappa_high/,
    ],
    [
      'epo kappa_low above the default kappa_high',
      { ...grid, regularizers: [{ name: 'epo', kappa_low: 2.5 }] },
      /kappa_low must be <= kappa_high/,
    ],
    [
      'aepo temperature_high < temperature_low',
      { ...grid, regularizers: [{ name: 'aepo', temperature_high: 0.5, temperature_low: 0.9 }] },
      /'regularizers\.0\.temperature_high': got 0\.5 \(temperature_high must be >= temperature_low/,
    ],
    [
      'aepo temperature_low above the default high',
      { ...grid, regularizers: [{ name: 'aepo', temperature_low: 1.5 }] },
      /temperature_high must be >= temperature_low/,
    ],
    [
      'clip_cov lower_bound >= upper_bound',
      { ...grid, regularizers: [{ name: 'clip_cov', lower_bound: 5, upper_bound: 1 }] },
      /lower_bound must be < upper_bound/,
    ],
    [
      'entropy_bonus min_coef > max_coef',
      { ...grid, regularizers: [{ name: 'entropy_bonus', min_coef: 1, max_coef: 0.1 }] },
      /min_coef must be <= max_coef/,
    ],
    [
      'string-transform min_length > max_length',
      { name: 'x', env: { name: 'string-transform', min_length: 5, max_length: 2 } },
      /min_length must be <= max_length/,
    ],
    [
      'd_model not a multiple of heads',
      { ...text, policy: { kind: 'transformer', d_model: 30, heads: 4 } },
      /'policy\.d_model': got 30 \(d_model 30 is not a multiple of heads 4 \(each head gets d_model\/heads dimensions; e\.g\. 28 or 32\)\)/,
    ],
    [
      'constrained-words over 26 letters up to length 6 (3·10⁸ strings per prompt)',
      {
        name: 'x',
        env: { name: 'constrained-words', alphabet: 'abcdefghijklmnopqrstuvwxyz', min_length: 6, max_length: 6 },
      },
      /'env\.max_length': got 6 \(\|alphabet\|\^max_length strings are enumerated per prompt; at most 1000000/,
    ],
    [
      'd_model below heads',
      { ...text, policy: { kind: 'transformer', d_model: 3, heads: 4 } },
      /d_model 3 is not a multiple of heads 4/,
    ],
  ];
  it.each(cases)('%s', (_what, raw, error) => {
    expect(() => parseConfig(raw)).toThrow(UserError);
    expect(() => parseConfig(raw)).toThrow(error);
  });

  it.each([
    ['steer lambda_min = lambda_max', { ...grid, regularizers: [{ name: 'steer', lambda_min: 1, lambda_max: 1 }] }],
    ['epo kappa_low = kappa_high', { ...grid, regularizers: [{ name: 'epo', kappa_low: 1, kappa_high: 1 }] }],
    [
      'aepo equal temperatures (warned, not refused)',
      { ...grid, regularizers: [{ name: 'aepo', temperature_high: 1, temperature_low: 1 }] },
    ],
    [
      'constrained-words over 10 letters up to length 6',
      { name: 'x', env: { name: 'constrained-words', alphabet: 'abcdefghij', max_length: 6 } },
    ],
    ['d_model a multiple of heads', { ...text, policy: { kind: 'transformer', d_model: 32, heads: 4 } }],
  ])('still accepts %s', (_what, raw) => {
    expect(() => parseConfig(raw)).not.toThrow();
  });
});

describe('gridworld layouts say what they would do', () => {
  const env = (over: Record<string, unknown>) => () =>
    makeEnvFactory(parseConfig({ name: 'x', env: { name: 'gridworld', ...over } }))();
  const cases: [string, Record<string, unknown>, RegExp][] = [
    [
      'start on a wall of the preset',
      { preset: 'four_rooms', start: [0, 4] },
      /env\.start: \[0, 4\] is a wall; choose a floor cell/,
    ],
    ['goal on a wall of the preset', { preset: 'four_rooms', goal: [4, 0] }, /env\.goal: \[4, 0\] is a wall/],
    ['start on a wall it lists', { size: 4, walls: [[1, 1]], start: [1, 1] }, /env\.start: \[1, 1\] is a wall/],
    ['goal on a wall of its map', { map: ['S.#', '...'], goal: [0, 2] }, /env\.goal: \[0, 2\] is a wall/],
    [
      'a preset beside a map',
      { map: ['S.', '.G'], preset: 'open5' },
      /env\.preset: give either preset or map, not both/,
    ],
    ['a preset beside a size', { size: 4, preset: 'four_rooms' }, /env\.preset: give either preset or size, not both/],
    ['a map beside a size', { map: ['S.', '.G'], size: 3 }, /give either map or size, not both/],
  ];
  it.each(cases)('%s is refused', (_what, over, error) => {
    expect(env(over)).toThrow(error);
  });

  it('records no preset for a map, and open5 stays the default layout', () => {
    const mapped = parseConfig({ name: 'x', env: { name: 'gridworld', map: ['S.', '.G'] } });
    expect(mapped.env).not.toHaveProperty('preset');
    const plain = makeEnvFactory(parseConfig(grid))();
    const open5 = makeEnvFactory(parseConfig({ ...grid, env: { name: 'gridworld', preset: 'open5' } }))();
    expect(plain.render?.()).toEqual(open5.render?.());
    expect(env({ size: 4, start: [0, 0], goal: [3, 3] })).not.toThrow();
  });
});

describe('an entropy target above ln |A| is refused before the first step, nothing written', () => {
  const cases: [string, string[], RegExp, string?][] = [
    [
      'aepo target_entropy on 4 moves',
      ['regularizers=[{name: aepo, target_entropy: 1.5}]'],
      /regularizers\.0 \(aepo\): target_entropy 1\.5 is not below ln\(4 actions\) = 1\.3863/,
    ],
    [
      'aepo target_entropy = ln 4 rounded up',
      ['regularizers=[{name: aepo, target_entropy: 1.3863}]'],
      /not below ln\(4 actions\)/,
    ],
    [
      'aepo on a text env (ln |vocabulary|)',
      ['init_from=', 'regularizers=[{name: aepo, target_entropy: 50}]'],
      /not below ln\(\d+ actions\)/,
      'configs/text-arithmetic.yaml',
    ],
    [
      'the second regularizer named',
      ['regularizers=[{name: clip_cov}, {name: aepo, target_entropy: 9}]'],
      /regularizers\.1 \(aepo\)/,
    ],
  ];
  it.each(cases)('%s', async (_what, sets, error, file = 'configs/quickstart.yaml') => {
    const dir = tempDir();
    const config = loadConfig(file, ['steps=2', ...sets]);
    await expect(train(config, { runDir: dir, backend: 'wasm', log: () => {} })).rejects.toThrow(error);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  // an adaptive entropy bonus may aim above ln |A| on purpose: its coefficient then only climbs (tested in its file)
  it('the nll estimator and an entropy bonus are not bound by ln |A|', async () => {
    for (const set of [
      'regularizers=[{name: aepo, target_entropy: 1.5, estimator: nll}]',
      'regularizers=[{name: entropy_bonus, adaptive: true, target: 2}]',
    ]) {
      const config = loadConfig('configs/quickstart.yaml', [
        'steps=1',
        'eval.episodes=2',
        'rollout.prompts_per_step=2',
        set,
      ]);
      await expect(train(config, { runDir: tempDir(), backend: 'wasm', log: () => {} })).resolves.toMatchObject({
        steps: 1,
      });
    }
  }, 60_000);
});

describe('numeric flags', () => {
  const whole = { min: 1, max: 1000 };
  const cases: [unknown, typeof whole & { integer?: boolean }, number | RegExp][] = [
    ['5', whole, 5],
    [' 7 ', whole, 7],
    ['1e3', whole, 1000],
    ['', whole, /--f: expected a whole number from 1 to 1000, got ""/],
    ['0', whole, /got "0"/],
    ['1001', whole, /got "1001"/],
    ['1.5', whole, /expected a whole number/],
    ['abc', whole, /got "abc"/],
    ['NaN', whole, /got "NaN"/],
    ['Infinity', { min: 0, max: Number.MAX_SAFE_INTEGER }, /got "Infinity"/],
    ['-1', { min: 0, max: 10 }, /got "-1"/],
    ['0.25', { min: 0, max: 1, integer: false }, 0.25],
    ['1e12', { min: 0, max: 60_000, integer: false }, /expected a number from 0 to 60000, got "1e12"/],
    ['0x10', whole, 16],
  ];
  it.each(cases)('%j in %j', (text, range, expected) => {
    if (typeof expected === 'number') expect(parseNumberFlag(text, '--f', range)).toBe(expected);
    else expect(() => parseNumberFlag(text, '--f', range)).toThrow(expected);
  });
});
