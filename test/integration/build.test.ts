// The compiled package as a user installs it: tsc's build of src/, algorithms/ and envs/ (the one
// `npm ci` runs as `prepare`) imported from plain JavaScript by its package name, and the CLI
// started from it. Built into a temp dir so the checkout's own dist/ is never touched mid-test.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers.ts';

const root = path.resolve('.');
const pkgDir = path.join(tempDir('entrolab-build-'), 'node_modules', 'entrolab');

beforeAll(() => {
  fs.mkdirSync(pkgDir, { recursive: true });
  const args = ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json', '--outDir', path.join(pkgDir, 'dist')];
  const tsc = spawnSync(process.execPath, args, { encoding: 'utf8' });
  expect(tsc.stdout + tsc.stderr).toBe('');
  fs.copyFileSync('package.json', path.join(pkgDir, 'package.json'));
  fs.cpSync('bin', path.join(pkgDir, 'bin'), { recursive: true });
  fs.writeFileSync(path.join(pkgDir, 'dist', '.build-stamp'), '');
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(pkgDir, 'node_modules'));
}, 180_000);

describe('the compiled package', () => {
  it('imports by name from plain JavaScript (package.json exports) and computes', async () => {
    const { REGULARIZERS } = await import('../../algorithms/registry.ts');
    const script = `import { groupAdvantages, REGULARIZERS } from 'entrolab';
      const a = groupAdvantages(new Float64Array([1, 0, 0, 1]), new Int32Array(4), { normByStd: true, epsilon: 1e-6 });
      console.log(JSON.stringify({ a: Array.from(a, (x) => +x.toFixed(6)), regs: Object.keys(REGULARIZERS) }));`;
    const cwd = path.dirname(path.dirname(pkgDir));
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    // unbiased std of [1,0,0,1] is 0.57735: ±0.5 / 0.57735 = ±0.866025
    const regs = Object.keys(REGULARIZERS);
    expect(JSON.parse(r.stdout)).toEqual({ a: [0.866024, -0.866024, -0.866024, 0.866024], regs });
  });

  it('has the types beside the JavaScript', () => {
    expect(fs.existsSync(path.join(pkgDir, 'dist', 'src', 'index.d.ts'))).toBe(true);
    const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8'));
    expect(fs.existsSync(path.join(pkgDir, pkg.exports['.'].types))).toBe(true);
    expect(fs.existsSync(path.join(pkgDir, pkg.exports['.'].default))).toBe(true);
  });

  it('runs the CLI from the build, with no TypeScript sources beside it', () => {
    const r = spawnSync(process.execPath, [path.join(pkgDir, 'bin', 'entrolab.js'), 'list'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^ {2}clip_cov /m);
  });

  it('prints `list` from the JSON the build writes, the same as from the registries', () => {
    const bin = path.join(pkgDir, 'bin', 'entrolab.js');
    const json = path.join(pkgDir, 'dist', 'list-data.json');
    const list = () => spawnSync(process.execPath, [bin, 'list'], { encoding: 'utf8' });
    fs.rmSync(json, { force: true });
    const fromRegistries = list();
    const writer = ['scripts/write-list-data.js', path.join(pkgDir, 'dist')];
    const write = spawnSync(process.execPath, writer, { encoding: 'utf8' });
    expect(write.stdout + write.stderr).toBe('');
    const fromJson = list();
    expect(fromJson.stderr).toBe('');
    expect(fromJson.stdout).toMatch(/clip_cov .*\n\s+keys: ratio, lower_bound, upper_bound/);
    expect(fromJson.stdout).toBe(fromRegistries.stdout);
    // and the compiled command really reads the file: an edited summary shows up
    fs.writeFileSync(json, fs.readFileSync(json, 'utf8').replace(/"summary": "[^"]*"/, '"summary": "EDITED"'));
    expect(list().stdout).toMatch(/^ {2}\S+ +EDITED$/m);
  });
});
