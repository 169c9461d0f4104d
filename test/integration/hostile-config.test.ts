// Configs shared between people, read as an attacker or a typo would write them: a run name that
// climbs out of --out, counts no machine can hold, NaN and Infinity. Each is refused with one line
// and a non-zero exit before anything is written.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers.ts';

function entrolab(args: string[]) {
  const r = spawnSync(process.execPath, ['bin/entrolab.js', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function expectOneLineError(r: ReturnType<typeof entrolab>, pattern: RegExp) {
  expect(r.code).not.toBe(0);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^entrolab: error: /);
  expect(lines[0]).toMatch(pattern);
}

/** Every path under `dir`, relative to it. */
function tree(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

describe('run names', () => {
  it('refuses a name that leaves --out, in the config file and on the command line, writing nothing anywhere', () => {
    const root = tempDir();
    const out = path.join(root, 'a', 'b', 'out');
    fs.mkdirSync(out, { recursive: true });
    const config = path.join(root, 'shared.yaml');
    fs.writeFileSync(
      config,
      fs.readFileSync('configs/quickstart.yaml', 'utf8').replace('name: quickstart', 'name: ../../x'),
    );
    expectOneLineError(
      entrolab(['train', config, '--out', out, '--set', 'steps=1', '--quiet']),
      /'name': got "\.\.\/\.\.\/x" \(must be one path segment: letters, digits, '\.', '_', '-'\)/,
    );
    expectOneLineError(
      entrolab(['train', 'configs/quickstart.yaml', '--out', out, '--name', 'x/y', '--set', 'steps=1']),
      /'name': got "x\/y" \(must be one path segment/,
    );
    expectOneLineError(
      entrolab(['sft', 'configs/sft-arithmetic.yaml', '--out', out, '--name', '..']),
      /'name': got "\.\." \(must be one path segment, not '\.' or '\.\.'\)/,
    );
    expect(tree(root)).toEqual(['a', 'a/b', 'a/b/out', 'shared.yaml']);
  });

  it('keeps a numeric --name a name', () => {
    const out = tempDir();
    const r = entrolab([
      'train',
      'configs/quickstart.yaml',
      '--out',
      out,
      '--name',
      '2024',
      '--set',
      'steps=1',
      '--set',
      'eval.episodes=2',
      '--quiet',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.existsSync(path.join(out, '2024', 'checkpoint.json'))).toBe(true);
  });
});

describe('non-finite numbers', () => {
  it('names NaN and Infinity, the key and what is allowed (not "expected number, got null")', () => {
    const dir = tempDir();
    const config = path.join(dir, 'nan.yaml');
    fs.writeFileSync(config, 'env: {name: gridworld}\noptim: {lr: .nan}\n');
    expectOneLineError(
      entrolab(['train', config, '--out', dir]),
      /config key 'optim\.lr': got NaN, not a finite number; allowed: > 0$/,
    );
    expectOneLineError(
      entrolab(['train', 'configs/quickstart.yaml', '--out', dir, '--set', 'steps=1e400']),
      /config key 'steps': got Infinity, not a finite number; allowed: an integer, >= 1, <= 100000000$/,
    );
    expectOneLineError(
      entrolab(['train', 'configs/quickstart.yaml', '--out', dir, '--set', 'grpo.epsilon=-.inf']),
      /'grpo\.epsilon': got -Infinity, not a finite number; allowed: >= 0/,
    );
    expect(tree(dir)).toEqual(['nan.yaml']);
  });
});

describe('resource limits', () => {
  it('refuses rollout.group_size: 100000000 by the schema maximum', () => {
    const out = tempDir();
    const r = entrolab(['train', 'configs/quickstart.yaml', '--out', out, '--set', 'rollout.group_size=100000000']);
    expectOneLineError(r, /'rollout\.group_size': got 100000000; allowed: an integer, >= 1, <= 65536/);
    expect(tree(out)).toEqual([]);
  });

  it(
    'refuses counts each allowed but together too big, ' + 'naming the keys and the estimate, leaving nothing running',
    () => {
      const out = tempDir();
      const r = entrolab([
        'train',
        'configs/quickstart.yaml',
        '--out',
        out,
        '--set',
        'rollout.group_size=65536',
        '--set',
        'rollout.prompts_per_step=64',
      ]);
      expectOneLineError(
        r,
        new RegExp(
          /config needs about [\d.]+ GiB of JS heap, more than the [\d.]+ GiB available /.source +
            /\(V8 heap limit [\d.]+ GiB.*\); /.source +
            /most of it \([\d.]+ GiB\) is 4194304 episodes \(P × G\) of up to 40 actions: /.source +
            /lower rollout\.prompts_per_step or rollout\.group_size$/.source,
        ),
      );
      expect(tree(out)).toEqual([]);
    },
  );

  it('refuses an SFT run that cannot hold its demonstrations', () => {
    const out = tempDir();
    const r = entrolab(['sft', 'configs/sft-arithmetic.yaml', '--out', out, '--set', 'sft.demos=10000000']);
    expectOneLineError(
      r,
      /config needs about [\d.]+ GiB of JS heap.*10000000 demonstrations of up to \d+ tokens: lower sft\.demos$/,
    );
    expect(tree(out)).toEqual([]);
  });
});
