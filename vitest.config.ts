import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // a plugin under test imports 'entrolab': give it these sources, the copy the tests load (in a
  // real process, src/plugins/share-entrolab.ts does the same for the running copy)
  resolve: { alias: { entrolab: fileURLToPath(new URL('./src/index.ts', import.meta.url)) } },
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', './test/summary-reporter.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // two cores: one test file per core
    pool: 'forks',
    maxWorkers: 2,
  },
});
