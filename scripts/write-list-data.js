// Writes <dist>/list-data.json, the data `entrolab list` prints, from the compiled registries, so the
// compiled `list` command answers without loading TensorFlow.js. Usage: node scripts/write-list-data.js [dist]
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const dist = path.resolve(process.argv[2] ?? 'dist');
const { listData } = await import(pathToFileURL(path.join(dist, 'src', 'cli', 'list-data.js')).href);
const { LIST_DATA_FILE } = await import(pathToFileURL(path.join(dist, 'src', 'cli', 'list-format.js')).href);
fs.writeFileSync(path.join(dist, LIST_DATA_FILE), `${JSON.stringify(listData(), null, 1)}\n`);
