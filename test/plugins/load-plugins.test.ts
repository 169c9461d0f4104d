// Importing plugins in this process: what a plugin defines through `import 'entrolab'` lands in the
// tables the config loader reads, each file is imported once, what it added is known, and every
// way a plugin can fail is one line naming its file.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REGULARIZERS } from '../../algorithms/registry.ts';
import { ENVS } from '../../envs/registry.ts';
import { UserError } from '../../src/base/errors.ts';
import { loadConfigWithPlugins, parseConfig } from '../../src/config/load.ts';
import { loadedPlugins, loadPlugins, pluginAdditions } from '../../src/plugins/load-plugins.ts';
import { tempDir } from '../helpers.ts';

/** A folder that is an ES-module package, holding the given files. */
function pluginDir(files: Record<string, string>): string {
  const dir = tempDir('entrolab-plugin-');
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

const MY_REG = `import { defineRegularizer, defineEnv, ENVS, z } from 'entrolab';
const grid = ENVS.gridworld;
export const calm = defineRegularizer({
  name: 'test_calm',
  summary: 'a plugin regularizer (test only)',
  schema: z.object({ coef: z.number().min(0).default(0.5) }).strict(),
  create: () => ({}),
});
defineEnv({ name: 'test-plugin-grid', summary: 'a plugin env (test only)', schema: z.object({}).strict(),
  factory: () => grid.factory(grid.schema.parse({})) });
`;

async function failure(dir: string, ref: string): Promise<string> {
  const error = await loadPlugins([{ ref, baseDir: dir, where: '--plugin' }]).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UserError);
  return (error as Error).message;
}

describe('loading plugins', () => {
  it("registers what the plugin defines in the loader's own tables, once, and knows what it added", async () => {
    const dir = pluginDir({ 'my-reg.ts': MY_REG });
    const file = path.join(dir, 'my-reg.ts');
    const [record] = await loadPlugins([{ ref: './my-reg.ts', baseDir: dir, where: '--plugin' }]);
    expect(record.file).toBe(file);
    expect(REGULARIZERS.test_calm.summary).toBe('a plugin regularizer (test only)');
    expect(ENVS['test-plugin-grid']).toBeDefined();
    expect(pluginAdditions().get(file)).toEqual([
      { kind: 'regularizer', name: 'test_calm' },
      { kind: 'env', name: 'test-plugin-grid' },
    ]);
    // a second reference to the same file imports nothing again (a taken name would throw)
    await loadPlugins([{ ref: file, baseDir: '/', where: '--plugin' }]);
    expect(loadedPlugins().filter((p) => p.file === file)).toHaveLength(1);
    const config = parseConfig({ env: { name: 'test-plugin-grid' }, regularizers: [{ name: 'test_calm' }] });
    expect(config.regularizers).toEqual([{ name: 'test_calm', coef: 0.5 }]);
  });

  it('imports a config’s plugins before reading its blocks, relative to the config, and records them', async () => {
    const dir = pluginDir({
      'floor.mjs': MY_REG.replaceAll('test_calm', 'test_config_calm').replaceAll(
        'test-plugin-grid',
        'test-config-grid',
      ),
    });
    fs.mkdirSync(path.join(dir, 'configs'));
    const file = path.join(dir, 'configs', 'run.yaml');
    fs.writeFileSync(
      file,
      'plugins: [../floor.mjs]\nenv: {name: test-config-grid}\nregularizers: [{name: test_config_calm, coef: 2}]\n',
    );
    const config = await loadConfigWithPlugins(file);
    expect(config.regularizers).toEqual([{ name: 'test_config_calm', coef: 2 }]);
    const recorded = config.plugins?.find((p) => typeof p !== 'string' && p.file === path.join(dir, 'floor.mjs'));
    expect(recorded).toMatchObject({ sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    // what the resolved config records reads back as a config
    expect(parseConfig(JSON.parse(JSON.stringify(config))).plugins).toEqual(config.plugins);
  });

  it('refuses a missing file, a throw, a taken name and a CommonJS file, each in one line naming the file', async () => {
    const dir = pluginDir({
      'throws.mjs': "throw new Error('no GPU here\\nat line 2');",
      'taken.mjs': `import { defineRegularizer, z } from 'entrolab';
defineRegularizer({ name: 'clip_cov', summary: '', schema: z.object({}), create: () => ({}) });`,
    });
    const file = (name: string) => path.join(dir, name);
    expect(await failure(dir, './nope.ts')).toBe(
      `--plugin: plugin './nope.ts' not found (looked for ${file('nope.ts')})`,
    );
    expect(await failure(dir, './throws.mjs')).toBe(`${file('throws.mjs')}: plugin failed to load: no GPU here`);
    expect(await failure(dir, './taken.mjs')).toBe(
      `${file('taken.mjs')}: plugin failed to load: regularizer 'clip_cov' is already registered`,
    );
    const cjs = tempDir('entrolab-cjs-');
    fs.writeFileSync(path.join(cjs, 'old.js'), 'module.exports = {};');
    expect(await failure(cjs, './old.js')).toBe(
      `${path.join(cjs, 'old.js')}: a plugin must be an ES module: add "type": "module" to the package.json of ` +
        'its folder, or name it .mjs',
    );
  });

  it('a config with a plugin key of the wrong shape is one line', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'c.yaml');
    fs.writeFileSync(file, 'plugins: ./one.ts\nenv: {name: gridworld}\n');
    await expect(loadConfigWithPlugins(file)).rejects.toThrow(
      `${file}: config key 'plugins': expected array, got "./one.ts"`,
    );
  });
});
