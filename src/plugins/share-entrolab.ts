// One entrolab per process: once plugins are about to load, every `import 'entrolab'` (a plugin's,
// or a package's it imports) resolves to the copy that is running, so a plugin's defineRegularizer
// fills the tables the CLI reads, wherever the plugin file lies and whatever copy of entrolab its
// own node_modules hold. Node's module.register hooks cover ES module imports; a CommonJS
// `require('entrolab')` is not redirected, which is why load-plugins.ts accepts only ES modules.
import { register } from 'node:module';

// The hooks run on Node's loader thread, so they are a module of their own: a data: URL keeps it
// beside the code that needs it, in both the TypeScript sources and the compiled dist/.
const HOOKS = `let entry;
export function initialize(data) { entry = data.entry; }
export async function resolve(specifier, context, next) {
  return specifier === 'entrolab' ? { url: entry, shortCircuit: true } : next(specifier, context);
}`;

let shared = false;

/** The library entry of the running copy: src/index.ts run from source, dist/src/index.js compiled. */
export function runningEntry(): string {
  return new URL(import.meta.url.endsWith('.ts') ? '../index.ts' : '../index.js', import.meta.url).href;
}

/** Make `import 'entrolab'` reach the running copy from here on (idempotent). */
export function shareEntrolab(): void {
  if (shared) return;
  shared = true;
  register(`data:text/javascript,${encodeURIComponent(HOOKS)}`, { data: { entry: runningEntry() } });
}
