// `npm run build` (and `npm ci`'s prepare): compile src/, algorithms/ and envs/ to dist/ so the CLI
// starts without transpiling, write the data `entrolab list` prints (scripts/write-list-data.js), then
// stamp the build with its start time; bin/entrolab.js runs dist/ only while no source is newer than
// that stamp. Without TypeScript (a production-only install)
// there is nothing to build and the CLI runs from source through tsx.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let tsc;
try {
  tsc = require.resolve('typescript/bin/tsc');
} catch {
  process.stderr.write('entrolab build: typescript is not installed; the CLI will run from source\n');
  process.exit(0);
}
const started = new Date();
fs.rmSync('dist', { recursive: true, force: true });
const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
if (result.status !== 0) process.exit(result.status ?? 1);
const listData = spawnSync(process.execPath, ['scripts/write-list-data.js', 'dist'], { stdio: 'inherit' });
if (listData.status !== 0) process.exit(listData.status ?? 1);
fs.writeFileSync('dist/.build-stamp', `${started.toISOString()}\n`);
fs.utimesSync('dist/.build-stamp', started, started);
