// Every command's ordinary mistakes end in one line, `entrolab: error: …`, a non-zero exit and no
// stack trace (src/cli/failure-line.ts is the one place that decides): malformed YAML in a file or
// a --set, a path that is a file, a directory or too long, numeric flags out of range or empty,
// bad choices, key paths through a prototype, damaged run files, input nested too deeply.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/base/errors.ts';
import { failureLine, INTERNAL_ERROR_EXIT_CODE } from '../../src/cli/failure-line.ts';
import { loadConfig } from '../../src/config/load.ts';
import { train } from '../../src/train/trainer.ts';
import { tempDir } from '../helpers.ts';

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function entrolab(args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/entrolab.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const dir = tempDir('entrolab-cli-errors-');
const file = (name: string, text: string) => {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
};
const runDir = path.join(dir, 'run');
const damagedRun = path.join(dir, 'damaged');
const quick = ['--set', 'steps=1', '--set', 'eval.episodes=2', '--quiet'];

// [command line, what the one line must say]; paths are made in beforeAll
const cases: [string, () => string[], RegExp][] = [
  [
    'train: unterminated --set list',
    () => ['train', 'configs/quickstart.yaml', '--set', 'policy.hidden=[32,32', '--out', dir],
    /--set policy\.hidden=\[32,32: invalid YAML/,
  ],
  [
    'train: --set with an undefined alias',
    () => ['train', 'configs/quickstart.yaml', '--set', 'seed=*nope', '--out', dir],
    /invalid YAML/,
  ],
  [
    'train: config with an undefined alias',
    () => ['train', file('alias.yaml', 'name: a\nenv: *nowhere\n')],
    /alias\.yaml: invalid YAML/,
  ],
  ['train: config that is a directory', () => ['train', 'configs'], /configs: is a directory, not a YAML file/],
  [
    'train: --out that is a file',
    () => ['train', 'configs/quickstart.yaml', '--out', file('plain', 'x'), ...quick],
    /cannot create the run directory \(ENOTDIR\)|is not a directory/,
  ],
  [
    'train: --out under a file',
    () => ['train', 'configs/quickstart.yaml', '--out', path.join(file('plain2', 'x'), 'sub'), ...quick],
    /ENOTDIR|not a directory/,
  ],
  [
    'train: a 300-character --name',
    () => ['train', 'configs/quickstart.yaml', '--out', dir, '--name', 'n'.repeat(300), ...quick],
    /ENAMETOOLONG|name too long/,
  ],
  [
    'train: a bad --backend',
    () => ['train', 'configs/quickstart.yaml', '--backend', 'gpu'],
    /Invalid values:.*backend.*Choices/,
  ],
  [
    'train: --seed with no value',
    () => ['train', 'configs/quickstart.yaml', '--seed='],
    /--seed: expected a whole number from 0 to \d+, got ""/,
  ],
  [
    'train: a fractional --seed',
    () => ['train', 'configs/quickstart.yaml', '--seed', '1.5'],
    /--seed: expected a whole number/,
  ],
  [
    'train: --seed not a number',
    () => ['train', 'configs/quickstart.yaml', '--seed', 'abc'],
    /--seed: expected a whole number/,
  ],
  [
    'train: __proto__ in a --set path',
    () => ['train', 'configs/quickstart.yaml', '--set', '__proto__.polluted=yes'],
    /'__proto__' is not a config key/,
  ],
  [
    'train: constructor in a --set path',
    () => ['train', 'configs/quickstart.yaml', '--set', 'env.constructor.x=1'],
    /'constructor' is not a config key/,
  ],
  [
    'train: an env named constructor',
    () => ['train', 'configs/quickstart.yaml', '--set', 'env.name=constructor'],
    /unknown env 'constructor'/,
  ],
  [
    'train: an empty key segment',
    () => ['train', 'configs/quickstart.yaml', '--set', 'optim..lr=1'],
    /has an empty segment/,
  ],
  [
    'train: __proto__ as a YAML key',
    () => ['train', file('proto.yaml', 'name: p\nenv: {name: gridworld}\n__proto__: {x: 1}\n')],
    /'__proto__' is not a config key/,
  ],
  ['train: unknown flag', () => ['train', 'configs/quickstart.yaml', '--bogus'], /Unknown argument: bogus/],
  [
    'sft: unterminated --set',
    () => ['sft', 'configs/sft-arithmetic.yaml', '--set', 'sft.steps=[1'],
    /--set sft\.steps=\[1: invalid YAML/,
  ],
  [
    'sft: --seed with no value',
    () => ['sft', 'configs/sft-arithmetic.yaml', '--seed='],
    /--seed: expected a whole number/,
  ],
  [
    'eval: --episodes 0',
    () => ['eval', runDir, '--episodes', '0'],
    /--episodes: expected a whole number from 1 to 1000000, got "0"/,
  ],
  [
    'eval: --episodes 1e9',
    () => ['eval', runDir, '--episodes', '1e9'],
    /--episodes: expected a whole number from 1 to 1000000/,
  ],
  ['eval: --samples 0', () => ['eval', runDir, '--samples', '0'], /--samples: expected a whole number from 1 to 1024/],
  ['eval: --seed=', () => ['eval', runDir, '--seed='], /--seed: expected a whole number/],
  ['eval: a bad --backend', () => ['eval', runDir, '--backend', 'x'], /Invalid values:.*Choices/],
  ['eval: not a run directory', () => ['eval', dir], /not a run directory/],
  ['play: --delay 1e12', () => ['play', runDir, '--delay', '1e12'], /--delay: expected a number from 0 to 60000/],
  ['play: --episodes 0', () => ['play', runDir, '--episodes', '0'], /--episodes: expected a whole number from 1/],
  ['report: a damaged metrics.jsonl', () => ['report', damagedRun], /metrics\.jsonl: line 1 is damaged/],
  ['report: --threshold 2', () => ['report', runDir, '--threshold', '2'], /--threshold: expected a number from 0 to 1/],
  ['report: a bad --format', () => ['report', runDir, '--format', 'pdf'], /Invalid values:.*format/],
  [
    'sweep: --workers 0',
    () => ['sweep', 'configs/sweeps/klcov-ratio.yaml', '--workers', '0'],
    /--workers: expected a whole number from 1 to 1024/,
  ],
  ['sweep: a sweep file that is a directory', () => ['sweep', 'configs'], /configs: is a directory/],
  [
    'sweep: __proto__ in an axis key',
    () => [
      'sweep',
      file('s.yaml', 'base: ../configs/quickstart.yaml\naxes:\n  - {key: __proto__.x, values: [1]}\n'),
      '--dry-run',
    ],
    /'__proto__' is not a config key/,
  ],
  ['repro: --seeds 0', () => ['repro', '--seeds', '0'], /--seeds: expected a whole number from 1 to 1000/],
  ['repro: --workers=', () => ['repro', '--workers='], /--workers: expected a whole number/],
  [
    'loss: a batch nested too deeply',
    () => ['loss', file('deep.json', `${'['.repeat(200_000)}${']'.repeat(200_000)}`)],
    /deep\.json|nested too deeply/,
  ],
  ['loss: a batch that is not JSON', () => ['loss', file('bad.json', '{"a": ')], /bad\.json/],
  ['loss: unterminated --set', () => ['loss', file('b.json', '{}'), '--set', 'regularizers=[{name: x'], /invalid YAML/],
  ['list: unknown flag', () => ['list', '--bogus'], /Unknown argument: bogus/],
  ['no command', () => [], /name a command/],
  ['unknown command', () => ['trian'], /Unknown argument: trian|Did you mean train/],
];

beforeAll(async () => {
  await train(loadConfig('configs/quickstart.yaml', ['steps=2', 'env.preset=open5', 'eval.episodes=4']), {
    runDir,
    backend: 'wasm',
    log: () => {},
  });
  fs.cpSync(runDir, damagedRun, { recursive: true });
  fs.writeFileSync(path.join(damagedRun, 'metrics.jsonl'), '{"step": 1, "a\n{"step": 2}\n');
}, 120_000);

describe('one line, never a stack trace, from every command', () => {
  let results: Result[] = [];
  beforeAll(async () => {
    // four at a time: each is a fresh node process
    results = new Array(cases.length);
    let next = 0;
    const worker = async () => {
      while (next < cases.length) {
        const i = next++;
        results[i] = await entrolab(cases[i][1]());
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
  }, 600_000);

  it.each(cases.map((c, i) => [c[0], i, c[2]] as const))('%s', (_what, i, pattern) => {
    const r = results[i];
    const lines = r.stderr.split('\n').filter((l) => l.length > 0 && !/^(=+|Hi, looks like|$)/.test(l));
    expect(r.code, r.stderr).toBe(1);
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^entrolab: error: /);
    expect(lines[0]).toMatch(pattern);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a later config load in the same process is not polluted by a refused __proto__ path', async () => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('failureLine', () => {
  const errno = (code: string, syscall: string, p: string) =>
    Object.assign(new Error(`${code}: failed, ${syscall} '${p}'`), { code, syscall, path: p });
  const cases: [string, unknown, RegExp, number][] = [
    ['a UserError', new UserError('bad', 'k'), /^entrolab: error: k: bad$/, 1],
    ['a failed system call', errno('EACCES', 'open', '/x'), /^entrolab: error: EACCES: failed, open '\/x'$/, 1],
    [
      'a YAML parser error',
      Object.assign(new Error('Unexpected\nline 2'), { name: 'YAMLParseError' }),
      /^entrolab: error: invalid YAML: Unexpected$/,
      1,
    ],
    [
      "a yargs usage error (a flag's coerce)",
      Object.assign(new Error('--seed: bad'), { name: 'YError' }),
      /^entrolab: error: --seed: bad$/,
      1,
    ],
    ['a stack overflow', new RangeError('Maximum call stack size exceeded'), /nested too deeply/, 1],
    ['a multi-line message', new UserError('a'), /^entrolab: error: a$/, 1],
    [
      'a bug',
      new TypeError('x is undefined\nmore'),
      /^entrolab: internal error \(a bug; ENTROLAB_DEBUG=1 shows where\): TypeError: x is undefined; more$/,
      INTERNAL_ERROR_EXIT_CODE,
    ],
    ['something thrown that is not an Error', 'a string', /internal error .*: a string$/, INTERNAL_ERROR_EXIT_CODE],
  ];
  it.each(cases)('%s', (_what, e, line, exitCode) => {
    const out = failureLine(e, false);
    expect(out.line).toMatch(line);
    expect(out.line).not.toContain('\n');
    expect(out.exitCode).toBe(exitCode);
  });

  it('prints the stack of a bug when ENTROLAB_DEBUG=1', () => {
    expect(failureLine(new Error('boom'), true).line).toMatch(/Error: boom\n\s+at /);
  });
});
