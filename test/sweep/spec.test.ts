import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { UserError } from '../../src/base/errors.ts';
import { loadConfig } from '../../src/config/load.ts';
import { expandSweep, loadSweep, overridesToSets, valueLabel } from '../../src/sweep/spec.ts';

const FILE = '/tmp/sweeps/ablation.yaml';
const expand = (yaml: string) => expandSweep(YAML.parse(yaml), FILE);

describe('sweep expansion', () => {
  it('crosses axes, puts seeds outermost, and names runs from their settings', () => {
    const sweep = expand(`
base: ../configs/hard.yaml
seeds: 2
set: {steps: 30}
axes:
  - name: method
    options:
      grpo: {}
      clip_cov: {regularizers: [{name: clip_cov}]}
  - key: grpo.clip_ratio_high
    values: [0.2, 0.28]
`);
    expect(sweep.name).toBe('ablation');
    expect(sweep.base).toBe('/tmp/configs/hard.yaml');
    expect(sweep.seeds).toEqual([0, 1]);
    expect(sweep.axisNames).toEqual(['method', 'clip_ratio_high']);
    expect(sweep.runs.map((r) => r.id)).toEqual([
      'method-grpo__clip_ratio_high-0.2__seed-0',
      'method-grpo__clip_ratio_high-0.28__seed-0',
      'method-clip_cov__clip_ratio_high-0.2__seed-0',
      'method-clip_cov__clip_ratio_high-0.28__seed-0',
      'method-grpo__clip_ratio_high-0.2__seed-1',
      'method-grpo__clip_ratio_high-0.28__seed-1',
      'method-clip_cov__clip_ratio_high-0.2__seed-1',
      'method-clip_cov__clip_ratio_high-0.28__seed-1',
    ]);
    expect(sweep.runs.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const run = sweep.runs[6];
    expect(run.cell).toBe('method-clip_cov__clip_ratio_high-0.2');
    expect(run.seed).toBe(1);
    expect(run.labels).toEqual({ method: 'clip_cov', clip_ratio_high: '0.2' });
    expect(run.overrides).toEqual([
      ['steps', 30],
      ['regularizers', [{ name: 'clip_cov' }]],
      ['grpo.clip_ratio_high', 0.2],
    ]);
  });

  it('zips axes with combine: zip and inside a {zip: [...]} group', () => {
    const zipped = expand(`
base: b.yaml
combine: zip
axes:
  - {key: optim.lr, values: [0.001, 0.003]}
  - {key: steps, values: [100, 50]}
`);
    expect(zipped.runs.map((r) => r.id)).toEqual(['lr-0.001__steps-100__seed-0', 'lr-0.003__steps-50__seed-0']);
    const mixed = expand(`
base: b.yaml
seeds: [7]
axes:
  - zip:
      - {key: optim.lr, values: [0.001, 0.003]}
      - {key: steps, values: [100, 50]}
  - {key: rollout.group_size, values: [4, 8, 16], name: G}
`);
    expect(mixed.runs).toHaveLength(6);
    expect(mixed.runs[5].id).toBe('lr-0.003__steps-50__G-16__seed-7');
    expect(mixed.runs[5].overrides).toEqual([
      ['optim.lr', 0.003],
      ['steps', 50],
      ['rollout.group_size', 16],
    ]);
  });

  it('gives ids that do not depend on other values on the axis', () => {
    const small = expand('base: b.yaml\nseeds: 3\naxes: [{key: regularizers.0.ratio, values: [0.002]}]');
    const big = expand('base: b.yaml\nseeds: 3\naxes: [{key: regularizers.0.ratio, values: [0.0005, 0.002, 0.01]}]');
    const bigIds = new Set(big.runs.map((r) => r.id));
    for (const run of small.runs) expect(bigIds.has(run.id)).toBe(true);
    expect(small.runs[0].id).toBe('ratio-0.002__seed-0');
    // Re-expanding gives identical ids (no clocks, no randomness).
    expect(expand('base: b.yaml\nseeds: 3\naxes: [{key: regularizers.0.ratio, values: [0.002]}]')).toEqual(small);
  });

  it('labels structured values readably, and hashes long ones', () => {
    expect(valueLabel([])).toBe('none');
    expect(valueLabel([{ name: 'clip_cov' }])).toBe('clip_cov');
    expect(valueLabel([{ name: 'kl_cov', ratio: 0.01 }, { name: 'aepo' }])).toBe('kl_cov.ratio-0.01_aepo');
    expect(valueLabel('a b/c')).toBe('a_b_c');
    expect(valueLabel(true)).toBe('true');
    expect(valueLabel(1e-7)).toBe('1e-7');
    const long = valueLabel({ a_very_long_key: 'x'.repeat(60) });
    expect(long).toMatch(/^[0-9a-f]{8}$/);
    expect(valueLabel({ a_very_long_key: 'x'.repeat(60) })).toBe(long);
  });

  it('without axes, each seed runs the base config', () => {
    const sweep = expand('base: b.yaml\nseeds: [3, 5]');
    expect(sweep.runs.map((r) => r.id)).toEqual(['base__seed-3', 'base__seed-5']);
  });

  it('rejects mistakes with the key and what is allowed', () => {
    const bad: [string, RegExp][] = [
      ['seeds: 2', /base/],
      ['base: b.yaml\nseed: 2', /'seed' does not exist; did you mean 'seeds'/],
      [
        'base: b.yaml\ncombine: zip\naxes: [{key: a, values: [1, 2]}, {key: b, values: [1]}]',
        /equal lengths, got 2, 1/,
      ],
      ['base: b.yaml\naxes: [{key: a.x, values: [1]}, {key: b.x, values: [2]}]', /both named 'x'/],
      [
        'base: b.yaml\naxes: [{key: a, values: [[{name: kl_cov}], [{name: kl_cov}]]}]',
        /values 0 and 1 both get the label 'kl_cov'/,
      ],
      ['base: b.yaml\naxes: [{key: a, values: [1, 2], labels: [x]}]', /labels' has 1 entries/],
      ['base: b.yaml\naxes: [{key: a, vals: [1]}]', /axes\.0\.values': expected array/],
      ['base: b.yaml\nseeds: [1, 1]', /seed twice/],
      ['base: b.yaml\naxes: [{name: m, options: {"a b": {}}}]', /label 'a b'/],
    ];
    for (const [yaml, message] of bad) {
      expect(() => expand(yaml), yaml).toThrowError(UserError);
      expect(() => expand(yaml), yaml).toThrowError(message);
    }
  });

  it('turns overrides into --set arguments that YAML reads back', () => {
    const sets = overridesToSets([
      ['grpo.clip_ratio_high', 0.28],
      ['regularizers', [{ name: 'kl_cov', ratio: 0.002 }]],
      ['env.preset', 'key_door'],
    ]);
    expect(sets).toEqual([
      'grpo.clip_ratio_high=0.28',
      'regularizers=[{"name":"kl_cov","ratio":0.002}]',
      'env.preset="key_door"',
    ]);
    expect(YAML.parse(sets[1].split('=').slice(1).join('='))).toEqual([{ name: 'kl_cov', ratio: 0.002 }]);
  });
});

describe('shipped sweeps', () => {
  const files = fs.readdirSync('configs/sweeps').filter((f) => f.endsWith('.yaml') && f !== 'ablation-base.yaml');
  it('include the regularizer ablation and the KL-Cov ratio sweep', () => {
    expect(files).toEqual(expect.arrayContaining(['ablation.yaml', 'klcov-ratio.yaml']));
    const ablation = loadSweep('configs/sweeps/ablation.yaml');
    expect(ablation.seeds).toEqual([0, 1, 2]);
    expect([...new Set(ablation.runs.map((r) => r.labels.method))]).toEqual([
      'grpo',
      'entropy_bonus',
      'clip_cov',
      'kl_cov',
      'aepo',
      'epo',
      'steer',
      'entropy_clip',
      'canon',
      'entropy_balanced',
    ]);
  });
  it('include the branching-rollout ablation on guess-number, every run from the same SFT warm start', () => {
    expect(files).toContain('ablation-multiturn.yaml');
    const sweep = loadSweep('configs/sweeps/ablation-multiturn.yaml');
    expect(sweep.seeds).toEqual([0, 1, 2]);
    const methods = [...new Set(sweep.runs.map((r) => r.labels.method))];
    expect(methods).toEqual(['grpo', 'arpo', 'entropy_balanced_po', 'epo']);
    const names = (regs: { name: string }[]) => regs.map((r) => r.name);
    for (const run of sweep.runs) {
      const config = loadConfig(sweep.base, [...overridesToSets(run.overrides), `seed=${run.seed}`]);
      expect(config.env.name).toBe('guess-number');
      expect(config.init_from).toBe('runs/sft-guess-number');
      const expected = { grpo: [], arpo: ['arpo'], entropy_balanced_po: ['entropy_balanced', 'arpo'], epo: ['epo'] };
      expect(names(config.regularizers)).toEqual(expected[run.labels.method as keyof typeof expected]);
    }
  });
  for (const file of files) {
    it(`${file}: every run's config is valid`, () => {
      const sweep = loadSweep(`configs/sweeps/${file}`);
      for (const run of sweep.runs) {
        const config = loadConfig(sweep.base, [...overridesToSets(run.overrides), `seed=${run.seed}`]);
        expect(config.seed).toBe(run.seed);
      }
    });
  }
});
