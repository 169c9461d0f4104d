// train() and runSft() check their arguments at the library boundary: each bad call below is one
// UserError line naming the argument and what is allowed, thrown before anything is written, and a
// config from loadConfig/parseConfig passes through unchanged.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/base/errors.ts';
import { loadConfig } from '../../src/config/load.ts';
import { checkRunArguments } from '../../src/train/run-arguments.ts';
import { runSft } from '../../src/train/sft.ts';
import { train } from '../../src/train/trainer.ts';
import { tempDir } from '../helpers.ts';

const config = loadConfig('configs/quickstart.yaml');
const sftConfig = loadConfig('configs/sft-arithmetic.yaml');

// [what the caller did, config, options (given the name of an empty run directory), the one line expected]
type Case = [string, unknown, (runDir: string) => unknown, RegExp];
const cases = (fn: string, good: unknown): Case[] => [
  [
    'no options',
    good,
    () => undefined,
    new RegExp(`^${fn}\\(\\) options: expected an options object with at least runDir .*got nothing$`),
  ],
  [
    'no runDir',
    good,
    () => ({}),
    new RegExp(`^${fn}\\(\\) option 'runDir': expected the run directory, a non-empty path string; it is missing$`),
  ],
  [
    'an empty runDir',
    good,
    () => ({ runDir: '' }),
    new RegExp(`^${fn}\\(\\) option 'runDir': expected .*; got string ""$`),
  ],
  [
    'a runDir that is not a string',
    good,
    () => ({ runDir: 7 }),
    /option 'runDir': expected the run directory, a non-empty path string; got number 7$/,
  ],
  [
    'options that are a string',
    good,
    (d) => d,
    new RegExp(`^${fn}\\(\\) options: expected an options object .*got string "`),
  ],
  [
    'a misspelled option',
    good,
    (d) => ({ runDir: d, rezume: true }),
    /options: option 'rezume' does not exist; did you mean 'resume'\? \(allowed: runDir, backend, /,
  ],
  [
    'an unknown backend',
    good,
    (d) => ({ runDir: d, backend: 'gpu' }),
    /option 'backend': expected one of auto, tensorflow, wasm, cpu; got string "gpu"$/,
  ],
  [
    'resume as a string',
    good,
    (d) => ({ runDir: d, resume: 'yes' }),
    /option 'resume': expected true or false; got string "yes"$/,
  ],
  [
    'a signal that is not an AbortSignal',
    good,
    (d) => ({ runDir: d, signal: {} }),
    /option 'signal': expected an AbortSignal \(from an AbortController\); got an object$/,
  ],
  [
    'onStep that is not a function',
    good,
    (d) => ({ runDir: d, onStep: 1 }),
    /option 'onStep': expected a function; got number 1$/,
  ],
  [
    'a sink without close()',
    good,
    (d) => ({ runDir: d, sinks: [{ write() {} }] }),
    /option 'sinks': expected a list of metrics sinks, each with write\(step, scalars\) and close\(\); got a list$/,
  ],
  [
    'no config',
    undefined,
    (d) => ({ runDir: d }),
    new RegExp(`^${fn}\\(\\) config: expected a config object \\(from loadConfig or parseConfig\\), got nothing$`),
  ],
  [
    'a config file name instead of a config',
    'configs/quickstart.yaml',
    (d) => ({ runDir: d }),
    /config: expected a config object \(from loadConfig or parseConfig\), got string "configs\/quickstart.yaml"$/,
  ],
  ['a list as config', [], (d) => ({ runDir: d }), /config: expected a config object .*, got a list$/],
  [
    'steps: -1 set after parsing',
    { ...(good as object), steps: -1 },
    (d) => ({ runDir: d }),
    new RegExp(`^${fn}\\(\\) config: config key 'steps': got -1; allowed: `),
  ],
  [
    'a key the schema does not have',
    { ...(good as object), stepz: 3 },
    (d) => ({ runDir: d }),
    /config: config key 'stepz' does not exist; did you mean 'steps'\?/,
  ],
  ['a config without env', { steps: 3 }, (d) => ({ runDir: d }), /config: config needs an 'env' section$/],
];

describe.each([
  ['train', train, config],
  ['runSft', runSft, sftConfig],
] as const)('%s() arguments', (fn, run, good) => {
  it.each(cases(fn, good))(
    '%s is one UserError line, and nothing is written',
    async (_what, cfg, options, expected) => {
      const parent = tempDir();
      const runDir = path.join(parent, 'run');
      const call = (run as (c: unknown, o: unknown) => Promise<unknown>)(cfg, options(runDir));
      const error = await call.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(UserError);
      const message = (error as Error).message;
      expect(message.split('\n')).toHaveLength(1);
      expect(message).toMatch(expected);
      expect(fs.existsSync(runDir)).toBe(false);
    },
  );
});

describe('checkRunArguments', () => {
  it('returns every shipped config unchanged (same keys, order and values)', () => {
    for (const file of fs.readdirSync('configs').filter((f) => f.endsWith('.yaml'))) {
      const parsed = loadConfig(path.join('configs', file));
      const checked = checkRunArguments('train', parsed, { runDir: 'x' });
      expect(JSON.stringify(checked), file).toBe(JSON.stringify(parsed));
    }
  });

  it('takes every documented option', () => {
    const options = {
      runDir: 'x',
      backend: 'cpu',
      resume: true,
      force: false,
      signal: new AbortController().signal,
      onStep: () => {},
      sinks: [{ write() {}, close() {} }],
      log: () => {},
    };
    expect(() => checkRunArguments('train', config, options)).not.toThrow();
  });
});
