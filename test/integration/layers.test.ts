// The layer rules of .dependency-cruiser.cjs (run by `npm test` as `npm run deps`) fail on what they
// forbid: a small tree laid out like entrolab's, each file breaking one rule, is cruised with the
// repository's own config; a tree that keeps to the layers passes.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const DEPCRUISE = path.join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

/** Write `files` into a fresh folder and cruise it with the repository's config, as `npm run deps` does. */
function cruise(files: Record<string, string>): { status: number | null; output: string } {
  const dir = tempDir('entrolab-layers-');
  const all: Record<string, string> = {
    'tsconfig.json': JSON.stringify({
      compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', allowImportingTsExtensions: true },
    }),
    ...files,
  };
  for (const [file, text] of Object.entries(all)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  const run = spawnSync(
    process.execPath,
    [DEPCRUISE, '--config', path.join(ROOT, '.dependency-cruiser.cjs'), 'src', 'algorithms', 'envs'],
    { cwd: dir, encoding: 'utf8' },
  );
  fs.rmSync(dir, { recursive: true, force: true });
  // one violation a line: circles print their path over several lines
  return { status: run.status, output: `${run.stdout}${run.stderr}`.replace(/→\s+/g, '→ ') };
}

// files every tree below has: the ground floor, a core module, the env contract and a registry
const FLOOR = {
  'src/base/batch.ts': 'export interface Batch { rows: number }\n',
  'src/core/update.ts': "import type { Batch } from '../base/batch.ts';\nexport const rows = (b: Batch) => b.rows;\n",
  'envs/env.ts': "import type { Batch } from '../src/base/batch.ts';\nexport interface Env { batch?: Batch }\n",
  'envs/registry.ts': 'export const ENVS: Record<string, unknown> = {};\n',
  'algorithms/aggregate.ts':
    "import type { Batch } from '../src/base/batch.ts';\nexport const n = (b: Batch) => b.rows;\n",
};

describe('dependency-cruiser layer rules', () => {
  it('a tree that keeps to the layers passes (a policy may read the env contract for types)', () => {
    const result = cruise({
      ...FLOOR,
      'src/policies/mlp.ts': "import type { Env } from '../../envs/env.ts';\nexport type MlpEnv = Env;\n",
    });
    expect(result.output).toMatch(/no dependency violations found/);
    expect(result.status).toBe(0);
  });

  it('fails on an upward import, a type-only circle, a module outside every layer and crossed siblings', () => {
    const result = cruise({
      ...FLOOR,
      // the ground floor reaching up to core
      'src/base/rng.ts': "import { rows } from '../core/update.ts';\nexport const r = rows;\n",
      // a method importing core for a type
      'algorithms/clip.ts': "import type { rows } from '../src/core/update.ts';\nexport type R = typeof rows;\n",
      // two envs in a circle made only of type imports
      'envs/a.ts': "import type { B } from './b.ts';\nexport interface A { b?: B }\n",
      'envs/b.ts': "import type { A } from './a.ts';\nexport interface B { a?: A }\n",
      // a policy importing an env's registry, and the env contract's values
      'src/policies/tiny.ts':
        "import { ENVS } from '../../envs/registry.ts';\nimport * as env from '../../envs/env.ts';\n" +
        'export const all = [ENVS, env];\n',
      // a new folder no layer names
      'src/extras/thing.ts': "import type { Batch } from '../base/batch.ts';\nexport type T = Batch;\n",
    });
    const expected = [
      'layer-base: src/base/rng.ts → src/core/update.ts',
      'layer-methods-envs-policies: algorithms/clip.ts → src/core/update.ts',
      'no-circular: envs/a.ts → envs/b.ts → envs/a.ts',
      'policies-apart: src/policies/tiny.ts → envs/registry.ts',
      'policies-env-types-only: src/policies/tiny.ts → envs/env.ts',
      'in-a-layer: src/extras/thing.ts → src/base/batch.ts',
    ];
    for (const line of expected) expect(result.output).toContain(`error ${line}`);
    expect(result.output).toMatch(new RegExp(`x ${expected.length} dependency violations`));
    expect(result.status).toBe(expected.length);
  });
});
