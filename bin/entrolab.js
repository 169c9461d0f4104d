#!/usr/bin/env node
// Launcher: runs the compiled CLI from dist/ (built by `npm run build`, which `npm ci` runs as
// `prepare`) when it is at least as new as every TypeScript source, else the TypeScript itself
// through tsx's ESM loader, so an edited checkout never runs stale code.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const STAMP = `${root}dist/.build-stamp`;
const SOURCES = ['src', 'algorithms', 'envs'];

function newestSource(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = `${dir}/${entry.name}`;
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(file));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(file).mtimeMs);
  }
  return newest;
}

function distIsFresh() {
  if (process.env.ENTROLAB_FROM_SOURCE === '1') return false;
  let built;
  try {
    built = fs.statSync(STAMP).mtimeMs;
  } catch {
    return false;
  }
  // a package installed without its TypeScript sources has nothing to compare against
  return SOURCES.every((d) => !fs.existsSync(`${root}${d}`) || newestSource(`${root}${d}`) <= built);
}

if (distIsFresh()) {
  await import('../dist/src/cli/cli.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/cli.ts');
}
