// The folder that holds entrolab's package.json, found from this module's own location, so that
// files shipped beside the code (bin/, configs/) resolve the same from src/ (run through tsx) and
// from the compiled dist/src/.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && JSON.parse(fs.readFileSync(manifest, 'utf8')).name === 'entrolab') return dir;
    if (path.dirname(dir) === dir) throw new Error(`entrolab's package.json not found above ${start}`);
  }
}

export const PACKAGE_ROOT = findRoot(path.dirname(fileURLToPath(import.meta.url)));
