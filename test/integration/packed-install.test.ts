// The README section "Write your own regularizer, environment or policy", followed literally from
// a packed install: `npm pack` (of a fresh build in a temp folder, so the checkout's dist/ is never
// touched mid-suite), an install of the tarball into a new project, the section's files written
// there, then its train, 2-worker sweep and `list --plugin` commands. Slow (an npm install from the
// cache, a TypeScript build): one test, tiny runs.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJsonl, tempDir } from '../helpers.ts';

const root = path.resolve('.');

/** The fenced blocks of the README section, in order, with their language. */
function sectionBlocks(): { lang: string; text: string }[] {
  const readme = fs.readFileSync('README.md', 'utf8');
  const start = readme.indexOf('## Write your own regularizer, environment or policy');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  return [...section.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], text: m[2] }));
}

/** The package as `npm pack` makes it, from a build in a temp folder; returns the tarball's path. */
function pack(dir: string): string {
  const stage = path.join(dir, 'entrolab');
  const tsc = ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json', '--outDir', path.join(stage, 'dist')];
  execFileSync(process.execPath, tsc);
  for (const item of ['package.json', 'README.md', 'bin', 'configs', 'docs']) {
    fs.cpSync(item, path.join(stage, item), { recursive: true, filter: (f) => !f.includes(`${path.sep}api`) });
  }
  // the list data is written from the compiled registries, which need the dependencies beside them
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(stage, 'node_modules'));
  execFileSync(process.execPath, ['scripts/write-list-data.js', path.join(stage, 'dist')]);
  fs.rmSync(path.join(stage, 'node_modules'));
  fs.writeFileSync(path.join(stage, 'dist', '.build-stamp'), '');
  // prepare would rebuild in place; the build above is the one it would make
  const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: stage });
  return path.join(dir, JSON.parse(out.toString())[0].filename);
}

describe('a packed install, following the README', () => {
  it('trains, sweeps with 2 workers and lists with the plugins of the section', () => {
    const blocks = sectionBlocks();
    const [setup, ...rest] = blocks;
    expect(setup.text).toContain('npm install ../entrolab-0.1.0.tgz');
    // the section shows the example project's files as they are
    const files = ['forking-tokens.ts', 'corridor.ts', 'config.yaml', 'sweep.yaml'];
    const shown = rest.filter((b) => b.lang !== 'bash').map((b) => b.text);
    expect(shown).toEqual(files.map((f) => fs.readFileSync(path.join(root, 'examples/custom-method', f), 'utf8')));

    const dir = tempDir('entrolab-packed-');
    const tarball = pack(dir);
    const project = path.join(dir, 'my-study');
    fs.mkdirSync(project);
    const sh = (line: string) => execFileSync('bash', ['-c', line], { cwd: project, encoding: 'utf8' });
    sh('npm init -y >/dev/null && npm pkg set type=module');
    sh(`npm install --no-audit --no-fund --prefer-offline ${tarball} 2>&1`);
    files.forEach((f, i) => fs.writeFileSync(path.join(project, f), shown[i]));

    // the section's commands, with fewer steps
    const commands = blocks
      .at(-1)!
      .text.split('\n')
      .filter((l) => l.startsWith('npx entrolab'));
    expect(commands.map((c) => c.split('#')[0].trim())).toEqual([
      'npx entrolab train config.yaml',
      'npx entrolab sweep sweep.yaml --workers 2',
      'npx entrolab list --plugin ./forking-tokens.ts --plugin ./corridor.ts',
    ]);
    const npx = (args: string[]) =>
      spawnSync('npx', ['entrolab', ...args], { cwd: project, encoding: 'utf8', env: { ...process.env, CI: '1' } });
    const trained = npx(['train', 'config.yaml', '--set', 'steps=3', '--quiet']);
    expect(trained.status, trained.stderr).toBe(0);
    const rows = readJsonl(path.join(project, 'runs', 'forking-corridor', 'metrics.jsonl'));
    expect(rows).toHaveLength(3);
    for (const r of rows) expect(r['forking_tokens/kept']).toBeGreaterThan(0);

    fs.appendFileSync(path.join(project, 'sweep.yaml'), 'set: {steps: 2}\n');
    const swept = npx(['sweep', 'sweep.yaml', '--workers', '2']);
    expect(swept.status, swept.stderr).toBe(0);
    expect(swept.stderr).toMatch(/6 finished/);
    expect(swept.stdout).toMatch(/^\| method-forking_tokens \| 2 \|/m);

    const listed = npx(['list', '--plugin', './forking-tokens.ts', '--plugin', './corridor.ts']);
    expect(listed.stdout).toMatch(
      /^ {2}forking_tokens .*\n +keys: top_fraction\n +from plugin: .*forking-tokens\.ts$/m,
    );
    expect(listed.stdout).toMatch(/^ {2}corridor .*\n +keys: length, max_steps\n +from plugin: .*corridor\.ts$/m);
    // a TypeScript build, an npm install and a 2-worker sweep: ~1 min idle, several on a loaded machine
  }, 600_000);
});
