// Plugins through the CLI (run from the sources): a project folder with its own plugin file, named
// by its config, reaches train, eval, --resume, list and loss; its `import 'entrolab'` reaches the
// running copy even though the project's node_modules hold another one.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJsonl, tempDir } from '../helpers.ts';

const CLI = path.resolve('bin/entrolab.js');

function entrolab(cwd: string, args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, ENTROLAB_FROM_SOURCE: '1' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// Halves every token's policy-gradient loss and says so in a metric; a gridworld under a new name.
const PLUGIN = `import { defineEnv, defineRegularizer, ENVS, z } from 'entrolab';

defineRegularizer({
  name: 'test_half',
  summary: 'halves the per-token loss (test plugin)',
  schema: z.object({ factor: z.number().gt(0).default(0.5) }).strict(),
  create: (config) => ({
    tokenWeights: (ctx) => ({
      value: new Float32Array(ctx.batch.mask.length).fill(config.factor),
      metrics: { factor: config.factor },
    }),
  }),
});

const grid = ENVS.gridworld;
defineEnv({
  name: 'test-room',
  summary: 'the open 5x5 room (test plugin)',
  schema: z.object({}).strict(),
  factory: () => grid.factory(grid.schema.parse({ preset: 'open5' })),
});
`;

const CONFIG = `plugins: [./method/half.ts]
env: {name: test-room}
steps: 2
rollout: {prompts_per_step: 2, group_size: 2}
eval: {episodes: 2}
regularizers: [{name: test_half}]
`;

function project(): string {
  const root = tempDir('entrolab-plugin-project-');
  fs.writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'my-study', type: 'module' }));
  fs.mkdirSync(path.join(root, 'method'));
  fs.writeFileSync(path.join(root, 'method', 'half.ts'), PLUGIN);
  fs.writeFileSync(path.join(root, 'run.yaml'), CONFIG);
  // another copy of entrolab in the project: the plugin must not get this one
  const copy = path.join(root, 'node_modules', 'entrolab');
  fs.mkdirSync(copy, { recursive: true });
  fs.writeFileSync(
    path.join(copy, 'package.json'),
    JSON.stringify({ name: 'entrolab', type: 'module', exports: './index.js' }),
  );
  fs.writeFileSync(path.join(copy, 'index.js'), "throw new Error('the project copy of entrolab was imported');");
  return root;
}

describe('a plugin in a user project', () => {
  it('trains, evaluates, lists and computes losses through the CLI; --resume refuses once it changed', () => {
    const root = project();
    const trained = entrolab(root, ['train', 'run.yaml', '--quiet', '--backend', 'cpu']);
    expect(trained.code).toBe(0);
    const rows = readJsonl(path.join(root, 'runs', 'run', 'metrics.jsonl'));
    expect(rows.map((r) => r['test_half/factor'])).toEqual([0.5, 0.5]);
    const resolved = fs.readFileSync(path.join(root, 'runs', 'run', 'config.resolved.yaml'), 'utf8');
    expect(resolved).toMatch(
      new RegExp(`^plugins:\\n  - file: ${path.join(root, 'method', 'half.ts')}\\n    sha256: [0-9a-f]{64}\\n`),
    );

    const evaluated = entrolab(root, ['eval', 'runs/run', '--json', '--backend', 'cpu']);
    expect(JSON.parse(evaluated.stdout)).toMatchObject({ step: 2, prompts: 2 });

    fs.appendFileSync(path.join(root, 'method', 'half.ts'), '// edited\n');
    const resumed = entrolab(root, ['train', 'run.yaml', '--quiet', '--resume', '--set', 'steps=3']);
    expect(resumed.code).toBe(1);
    expect(resumed.stderr).toMatch(
      /^entrolab: error: runs\/run: plugin .*half\.ts changed since the run started .*\n$/,
    );

    const listed = entrolab(root, ['list', '--plugin', './method/half.ts']);
    expect(listed.stdout).toMatch(
      /^ {2}test_half +halves the per-token loss \(test plugin\)\n +keys: factor\n +from plugin: .*half\.ts$/m,
    );
    expect(listed.stdout).toMatch(/^ {2}test-room +the open 5x5 room/m);

    // one token with advantage 1 and ratio 1: the PG loss −1, halved by the plugin's weight
    fs.writeFileSync(
      path.join(root, 'batch.json'),
      JSON.stringify({ log_probs: [[-1]], old_log_probs: [[-1]], advantages: [[1]], mask: [[1]] }),
    );
    const set = ['--set', 'regularizers=[{name: test_half}]'];
    const loss = entrolab(root, ['loss', 'batch.json', '--compact', '--plugin', 'method/half.ts', ...set]);
    expect(loss.stderr).toBe('');
    expect(JSON.parse(loss.stdout).loss).toBeCloseTo(-0.5, 6);
  });

  it('goes to emitted cluster jobs by absolute path; a Kubernetes job refuses a plugin path relative to the base', () => {
    const root = project();
    fs.writeFileSync(path.join(root, 'sweep.yaml'), 'base: run.yaml\nplugins: [./method/half.ts]\nseeds: 2\n');
    const plugin = path.join(root, 'method', 'half.ts');
    const slurm = entrolab(root, ['sweep', 'sweep.yaml', '--emit', 'slurm', '--plugin', './method/half.ts']);
    expect(slurm.stderr).toBe('');
    const script = fs.readFileSync(path.join(root, 'runs', 'sweep', 'sweep.slurm.sh'), 'utf8');
    expect(script).toMatch(new RegExp(`^exec .* --plugin ${plugin} --no-report$`, 'm'));
    const k8s = entrolab(root, ['sweep', 'sweep.yaml', '--emit', 'k8s']);
    expect(k8s.stderr).toBe(
      `entrolab: error: ${path.join(root, 'run.yaml')}: plugin "./method/half.ts": Kubernetes pods read a copy of ` +
        'the base config, where it does not resolve; name the plugin in the sweep file or with --plugin ' +
        '(passed by absolute path, which the image must hold)\n',
    );
  });
});
