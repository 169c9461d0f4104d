// Key paths cannot reach a prototype: every parser of a dotted key (--set and the library's
// applyOverrides, sweep axes, options and set, YAML documents and --set values) refuses
// `__proto__`, `prototype` and `constructor` at any depth, and nothing in the process changes.
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { UserError } from '../../src/base/errors.ts';
import { assertNoForbiddenKeys, parseKeyPath } from '../../src/config/key-path.ts';
import { applyOverrides, loadConfig, parseConfig } from '../../src/config/load.ts';
import { expandSweep } from '../../src/sweep/spec.ts';

const FORBIDDEN = ['__proto__', 'prototype', 'constructor'];
const untouched = () => {
  const probe = {} as Record<string, unknown>;
  expect(probe.polluted).toBeUndefined();
  expect(Object.keys(Object.prototype)).toEqual([]);
};

describe('parseKeyPath', () => {
  it.each([
    ['optim.lr', ['optim', 'lr']],
    ['regularizers.0.coef', ['regularizers', '0', 'coef']],
    ['seed', ['seed']],
    ['env.__proto', ['env', '__proto']],
    ['my_constructor.x', ['my_constructor', 'x']],
  ])('%s is %j', (text, segments) => {
    expect(parseKeyPath(text, 'here')).toEqual(segments);
  });

  // every forbidden name at the first, a middle and the last position; empty segments
  const refused = FORBIDDEN.flatMap((f) => [`${f}.x`, `env.${f}.x`, `optim.${f}`, f]);
  it.each([...refused, 'a..b', '.a', 'a.', ''])('%j is refused in one line', (text) => {
    expect(() => parseKeyPath(text, 'here')).toThrow(UserError);
    expect(() => parseKeyPath(text, 'here')).toThrow(/^here: key path /);
  });
});

describe('applyOverrides (the CLI --set and library callers)', () => {
  const paths = FORBIDDEN.flatMap((f) => [`${f}.polluted`, `env.${f}.polluted`, `a.b.${f}`]);
  it.each(paths)('--set %s=yes is refused and pollutes nothing', (keyPath) => {
    expect(() => applyOverrides({}, [`${keyPath}=yes`])).toThrow(/is not a config key/);
    untouched();
    // a later load is unaffected
    expect(loadConfig('configs/quickstart.yaml').name).toBe('quickstart');
  });

  it.each(FORBIDDEN)('a --set value holding a %s key is refused', (key) => {
    expect(() => applyOverrides({}, [`env={${key}: {polluted: yes}}`])).toThrow(
      new RegExp(`'${key}' is not a config key`),
    );
    untouched();
  });

  it('a set path through a scalar still says which key is not a section', () => {
    expect(() => applyOverrides({ seed: 1 }, ['seed.x=1'])).toThrow(/'seed' is not a section/);
  });
});

describe('documents and library configs', () => {
  it.each(FORBIDDEN)('assertNoForbiddenKeys finds %s at any depth', (key) => {
    const doc = JSON.parse(`{"a": {"b": [{"${key}": 1}]}}`);
    expect(() => assertNoForbiddenKeys(doc, 'f.yaml')).toThrow(new RegExp(`^f.yaml: '${key}' is not a config key`));
  });

  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'])(
    'parseConfig: an env, policy or regularizer named %s is unknown, not a TypeError',
    (name) => {
      const base = { name: 'x', env: { name: 'gridworld' } };
      expect(() => parseConfig({ ...base, env: { name } })).toThrow(/unknown env/);
      expect(() => parseConfig({ ...base, policy: { kind: name } })).toThrow(/unknown policy/);
      expect(() => parseConfig({ ...base, regularizers: [{ name }] })).toThrow(/unknown regularizer/);
    },
  );
});

describe('sweep files', () => {
  const file = 'configs/sweeps/x.yaml';
  const sweep = (body: string) => () => expandSweep(YAML.parse(`base: ../quickstart.yaml\n${body}`), file);
  it.each(FORBIDDEN)('an axis key, an option key and a set key through %s are refused', (f) => {
    expect(sweep(`axes:\n  - {key: env.${f}.x, values: [1, 2]}\n`)).toThrow(/axes\.0\.key: key path/);
    expect(sweep(`axes:\n  - {name: m, options: {a: {"${f}.x": 1}}}\n`)).toThrow(/axes\.0\.options\.a: key path/);
    expect(sweep(`set: {"${f}.polluted": 1}\n`)).toThrow(/set: key path/);
    untouched();
  });
});
