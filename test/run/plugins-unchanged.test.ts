// `--resume` and the plugins a run started with: the same files with the same bytes resume; a
// changed, missing or added plugin is one line; a directory with no run yet has nothing to compare.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PluginRecord } from '../../src/plugins/plugin-ref.ts';
import { assertPluginsUnchanged } from '../../src/run/plugins-unchanged.ts';
import { tempDir } from '../helpers.ts';

const A: PluginRecord = { file: '/p/a.ts', sha256: 'a'.repeat(64) };
const B: PluginRecord = { file: '/p/b.mjs', sha256: 'b'.repeat(64), package: 'b', version: '1.0.0' };

function runDir(plugins?: PluginRecord[]): string {
  const dir = tempDir();
  const list = plugins
    ? `plugins:\n${plugins.map((p) => `  - file: ${p.file}\n    sha256: ${p.sha256}\n`).join('')}`
    : '';
  fs.writeFileSync(path.join(dir, 'config.resolved.yaml'), `${list}name: run\nseed: 0\n`);
  return dir;
}

describe('resuming with plugins', () => {
  it('passes with the same plugins in any order, and without a started run', () => {
    expect(() => assertPluginsUnchanged(runDir([A, B]), [B, A])).not.toThrow();
    expect(() => assertPluginsUnchanged(runDir(), [])).not.toThrow();
    expect(() => assertPluginsUnchanged(tempDir(), [A])).not.toThrow();
  });

  it('refuses a changed, a missing and an added plugin in one line each', () => {
    const dir = runDir([A]);
    expect(() => assertPluginsUnchanged(dir, [{ ...A, sha256: 'c'.repeat(64) }])).toThrow(
      `${dir}: plugin /p/a.ts changed since the run started (sha256 aaaaaaaaaaaa… → cccccccccccc…); restore it, ` +
        'or start over with --force',
    );
    expect(() => assertPluginsUnchanged(dir, [])).toThrow(
      `${dir}: the run was started with plugin /p/a.ts, which is not loaded now; load it, or start over with --force`,
    );
    expect(() => assertPluginsUnchanged(runDir(), [B])).toThrow(
      /: plugin \/p\/b\.mjs was not loaded when the run started; leave it out, or start over with --force$/,
    );
  });
});
