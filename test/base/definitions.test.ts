// The definition tables: no prototype to find names in, a name written once, each kind's name rule.
import { describe, expect, it } from 'vitest';
import {
  addDefinition,
  CONFIG_NAME,
  claimProcess,
  definitionTable,
  METRIC_PREFIX,
} from '../../src/base/definitions.ts';

describe('definition tables', () => {
  it('hold no inherited names: constructor, toString and __proto__ are simply absent', () => {
    const table = definitionTable<number>();
    addDefinition(table, 'env', 'grid', 1, CONFIG_NAME);
    expect(Object.keys(table)).toEqual(['grid']);
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) expect(table[name]).toBeUndefined();
  });

  it('refuse a taken name and keep the first definition', () => {
    const table = definitionTable<number>();
    addDefinition(table, 'policy', 'mlp', 1, CONFIG_NAME);
    expect(() => addDefinition(table, 'policy', 'mlp', 2, CONFIG_NAME)).toThrow("policy 'mlp' is already registered");
    expect(table.mlp).toBe(1);
  });

  it("apply the kind's name rule: kebab or snake for configs, snake only for metric prefixes", () => {
    const table = definitionTable<number>();
    addDefinition(table, 'env', 'string-transform', 1, CONFIG_NAME);
    addDefinition(table, 'env', 'guess_number2', 1, CONFIG_NAME);
    expect(() => addDefinition(table, 'regularizer', 'clip-cov', 1, METRIC_PREFIX)).toThrow(
      "regularizer name 'clip-cov' must be snake_case",
    );
    for (const bad of ['Grid', '2d', 'a/b', '', 'a b']) {
      expect(() => addDefinition(table, 'env', bad, 1, CONFIG_NAME)).toThrow(`env name '${bad}' must be lower case`);
    }
  });

  it('refuse a second copy of entrolab in one process, naming both installs', () => {
    const holder: Record<symbol, unknown> = {};
    const first = 'file:///home/me/app/node_modules/entrolab/dist/src/base/definitions.js';
    claimProcess(first, holder);
    claimProcess(first, holder);
    expect(() =>
      claimProcess('file:///home/me/plugin/node_modules/entrolab/dist/src/base/definitions.js', holder),
    ).toThrow(
      'a second copy of entrolab was imported (/home/me/plugin/node_modules/entrolab/dist/) while ' +
        '/home/me/app/node_modules/entrolab/dist/ runs',
    );
  });
});
