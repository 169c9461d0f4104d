// A sweep checks every run before it launches the first: each cell's config loads and passes the
// trainer's own start checks, so a cell that would be refused is never launched (nor retried);
// and a sweep is bounded in how many runs it may expand to.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { expandSweep, MAX_SWEEP_RUNS } from '../../src/sweep/spec.ts';
import { validateRuns } from '../../src/sweep/validate-runs.ts';
import { tempDir } from '../helpers.ts';

function sweepOf(axes: string, extra = '') {
  const dir = tempDir('entrolab-validate-');
  fs.copyFileSync('configs/quickstart.yaml', path.join(dir, 'base.yaml'));
  const file = path.join(dir, 'sweep.yaml');
  const text = `name: s\nbase: base.yaml\n${extra}axes:\n${axes}`;
  fs.writeFileSync(file, text);
  return expandSweep(YAML.parse(text), file);
}
const option = (label: string, settings: string) =>
  `  - name: cell\n    options:\n      ok: {steps: 2}\n      ${label}: ${settings}\n`;

describe('validateRuns: every cell passes the start checks before the first launch', () => {
  const cases: [string, string, RegExp][] = [
    [
      'a policy that does not fit the env',
      '{policy: {kind: transformer}}',
      /run cell-bad__seed-0: .*policy 'transformer' needs token observations/,
    ],
    ['a missing init_from', '{init_from: /nowhere/run}', /run cell-bad__seed-0: .*\/nowhere\/run.*no checkpoint found/],
    [
      'a step that cannot fit in memory',
      '{rollout: {prompts_per_step: 65536, group_size: 65536}}',
      /run cell-bad__seed-0: .*(memory|heap)/,
    ],
    [
      'an AEPO target above ln |A|',
      '{regularizers: [{name: aepo, target_entropy: 3}]}',
      /run cell-bad__seed-0: .*not below ln\(4 actions\)/,
    ],
    ['a start on a wall', '{env.start: [0, 4]}', /run cell-bad__seed-0: .*env\.start: \[0, 4\] is a wall/],
    ['a preset beside a size', '{env.size: 5}', /run cell-bad__seed-0: .*give either preset or size/],
    [
      'an inverted range',
      '{regularizers: [{name: steer, lambda_min: 0.9, lambda_max: 0.5}]}',
      /run cell-bad__seed-0: .*lambda_min must be <= lambda_max/,
    ],
    ['a key that does not exist', '{optim: {lr2: 1}}', /run cell-bad__seed-0: .*'optim\.lr2' does not exist/],
  ];
  it.each(cases)('%s is refused, naming the run', (_what, settings, error) => {
    const sweep = sweepOf(option('bad', settings));
    expect(() => validateRuns(sweep, sweep.runs, 'wasm')).toThrow(error);
  });

  it('accepts a sweep whose cells all can start, checking a cell once for all its seeds', () => {
    const sweep = sweepOf(option('other', '{steps: 3}'), 'seeds: 3\n');
    expect(sweep.runs).toHaveLength(6);
    expect(() => validateRuns(sweep, sweep.runs, 'wasm')).not.toThrow();
  });

  it('skips the memory estimate for another machine (an emitted job), nothing else', () => {
    const huge = sweepOf(option('bad', '{rollout: {prompts_per_step: 65536, group_size: 65536}}'));
    expect(() => validateRuns(huge, huge.runs, undefined)).not.toThrow();
    const missing = sweepOf(option('bad', '{init_from: /nowhere/run}'));
    expect(() => validateRuns(missing, missing.runs, undefined)).toThrow(/no checkpoint found/);
  });
});

describe('a sweep expands to at most MAX_SWEEP_RUNS runs', () => {
  const values = (n: number) => `[${Array.from({ length: n }, (_, i) => i + 1).join(', ')}]`;
  const cases: [string, string, string, boolean][] = [
    ['seeds: 1e9', '', 'seeds: 1000000000\n', false],
    [
      'three axes of 100 values',
      ['steps', 'seed', 'eval.episodes'].map((k) => `  - {key: ${k}, values: ${values(100)}}\n`).join(''),
      '',
      false,
    ],
    ['one axis × seeds just over', `  - {key: steps, values: ${values(101)}}\n`, 'seeds: 100\n', false],
    ['one axis × seeds at the bound', `  - {key: steps, values: ${values(100)}}\n`, 'seeds: 100\n', true],
    [
      'zipped axes count once',
      `  - zip:\n      - {key: steps, values: ${values(100)}}\n      - {key: eval.episodes, values: ${values(100)}}\n`,
      'seeds: 100\n',
      true,
    ],
  ];
  it.each(cases)('%s', (_what, axes, extra, ok) => {
    const text = `name: s\nbase: base.yaml\n${extra}axes:\n${axes || '  []\n'}`.replace('axes:\n  []', 'axes: []');
    const started = performance.now();
    const expand = () => expandSweep(YAML.parse(text), '/tmp/s.yaml');
    if (ok) expect(expand().runs).toHaveLength(MAX_SWEEP_RUNS);
    else expect(expand).toThrow(new RegExp(`at most ${MAX_SWEEP_RUNS} are allowed`));
    expect(performance.now() - started).toBeLessThan(5000);
  });
});
