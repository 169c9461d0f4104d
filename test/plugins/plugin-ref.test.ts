// Plugin references: paths against the folder they were written in, packages from node_modules
// above it (entry from `exports` or `main`), and the sha256 a resolved config records.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isModulePath, resolvePlugin } from '../../src/plugins/plugin-ref.ts';
import { tempDir } from '../helpers.ts';

// sha256 of the three bytes "abc" (FIPS 180-2, appendix B.1)
const SHA_ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

function write(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

const errorOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
};

describe('plugin references', () => {
  it('tell paths from package names', () => {
    for (const ref of ['./a.ts', '../b/c.mjs', '/abs/d.js', 'plain.ts', 'C:\\x\\y.js', '.']) {
      expect(isModulePath(ref)).toBe(true);
    }
    for (const ref of ['my-plugin', '@scope/pkg', 'pkg/sub', 'pkg.name']) expect(isModulePath(ref)).toBe(false);
  });

  it('resolve a path against the folder it was written in and hash the bytes', () => {
    const dir = tempDir();
    write(path.join(dir, 'conf', 'p.ts'), 'abc');
    expect(resolvePlugin('./p.ts', path.join(dir, 'conf'), 'plugins.0')).toEqual({
      file: path.join(dir, 'conf', 'p.ts'),
      sha256: SHA_ABC,
    });
    expect(errorOf(() => resolvePlugin('./q.ts', dir, 'plugins.1'))).toBe(
      `plugins.1: plugin './q.ts' not found (looked for ${path.join(dir, 'q.ts')})`,
    );
    write(path.join(dir, 'p.txt'), 'abc');
    expect(errorOf(() => resolvePlugin('./p.txt', dir, '--plugin'))).toMatch(/must be a \.ts, \.mts, \.js or \.mjs/);
  });

  it('find a package above the folder; its entry from exports (import before default), else main', () => {
    const dir = tempDir();
    const nested = path.join(dir, 'a', 'b');
    fs.mkdirSync(nested, { recursive: true });
    const pkg = path.join(dir, 'node_modules', 'ext-plugin');
    write(
      path.join(pkg, 'package.json'),
      JSON.stringify({
        version: '1.2.3',
        exports: { '.': { require: './c.cjs', import: './e.mjs' }, './extra': './x.mjs' },
      }),
    );
    write(path.join(pkg, 'e.mjs'), 'abc');
    write(path.join(pkg, 'x.mjs'), 'x');
    expect(resolvePlugin('ext-plugin', nested, 'plugins.0')).toEqual({
      file: path.join(fs.realpathSync(pkg), 'e.mjs'),
      sha256: SHA_ABC,
      package: 'ext-plugin',
      version: '1.2.3',
    });
    expect(resolvePlugin('ext-plugin/extra', nested, 'plugins.0').file).toBe(path.join(fs.realpathSync(pkg), 'x.mjs'));
    const scoped = path.join(dir, 'node_modules', '@me', 'reg');
    write(path.join(scoped, 'package.json'), JSON.stringify({ version: '0.1.0', main: 'lib/main.js' }));
    write(path.join(scoped, 'lib', 'main.js'), 'abc');
    expect(resolvePlugin('@me/reg', nested, 'plugins.0').file).toBe(
      path.join(fs.realpathSync(scoped), 'lib', 'main.js'),
    );
    expect(errorOf(() => resolvePlugin('nowhere', nested, '--plugin'))).toMatch(
      /^--plugin: plugin 'nowhere' is neither a file nor an installed package \(no node_modules\/nowhere above .*\); a path needs '\.\/' in front$/,
    );
  });
});
