// The layers of entrolab, bottom to top; `npm test` runs `npm run deps` (dependency-cruiser) on them.
// A module may import its own layer and the layers below it, never one above, and no import circle
// is allowed anywhere (type-only imports count). README "Architecture" explains each layer.
/** @type {[name: string, paths: string[]][]} */
const LAYERS = [
  // the ground floor: random streams, the Batch type, errors, tokenizer, numerics; imports nothing of entrolab
  ['base', ['^src/base/', '^src/package-root[.]ts$']],
  // methods, environments and policies, each built on the ground floor only
  ['methods, envs, policies', ['^algorithms/', '^envs/', '^src/policies/']],
  // the config schema and loader, and the plugins a config names (imported before its blocks are read)
  ['config, plugins', ['^src/config/', '^src/plugins/']],
  ['backend, rollout', ['^src/backend/', '^src/rollout/']],
  ['core', ['^src/core/']],
  ['loss, run', ['^src/loss/', '^src/run/']],
  ['train', ['^src/train/']],
  // sweeps → reports (read a sweep's manifest) → repro (runs sweeps and reports on them)
  ['sweep', ['^src/sweep/']],
  ['report', ['^src/report/']],
  ['repro', ['^src/repro/']],
  ['cli, library entry', ['^src/cli/', '^src/index[.]ts$']],
  ['bin', ['^bin/']],
];

const above = (i) => LAYERS.slice(i + 1).flatMap(([, paths]) => paths);
const everyLayer = LAYERS.flatMap(([, paths]) => paths);

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'an import circle (type-only imports count): move the shared part down a layer',
      from: {},
      to: { circular: true },
    },
    ...LAYERS.slice(0, -1).map(([name, paths], i) => ({
      name: `layer-${name.replace(/[^a-z]+/g, '-')}`,
      severity: 'error',
      comment: `${name} imports a layer above it (${LAYERS.slice(i + 1)
        .map(([n]) => n)
        .join('; ')})`,
      from: { path: paths },
      to: { path: above(i) },
    })),
    {
      name: 'methods-apart',
      severity: 'error',
      comment: 'a method (algorithms/) imports an environment or a policy: methods see only the Batch and the hooks',
      from: { path: '^algorithms/' },
      to: { path: '^(envs|src/policies)/' },
    },
    {
      name: 'envs-apart',
      severity: 'error',
      comment: 'an environment imports a method or a policy',
      from: { path: '^envs/' },
      to: { path: '^(algorithms|src/policies)/' },
    },
    {
      name: 'policies-apart',
      severity: 'error',
      comment: 'a policy imports a method, or an environment other than the types of the env contract (envs/env.ts)',
      from: { path: '^src/policies/' },
      to: {
        path: '^(algorithms|envs)/',
        pathNot: '^envs/env[.]ts$',
      },
    },
    {
      name: 'policies-env-types-only',
      severity: 'error',
      comment: 'a policy reads the env contract (envs/env.ts) for its types only',
      from: { path: '^src/policies/' },
      to: { path: '^envs/env[.]ts$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'in-a-layer',
      severity: 'error',
      comment: 'a module under src/ that belongs to no layer: add its folder to LAYERS in .dependency-cruiser.cjs',
      from: { path: '^src/', pathNot: everyLayer },
      to: {},
    },
    {
      name: 'no-test-code',
      severity: 'error',
      comment: 'the product imports tests, benchmarks or build scripts',
      from: { path: '^(src|algorithms|envs|bin)/' },
      to: { path: '^(test|bench|scripts|examples)/' },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)dist/' },
  },
};
