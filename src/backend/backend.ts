// Backend ladder (docs/tfjs-notes.md "Backend ladder"): tensorflow (tfjs-node-gpu, then tfjs-node) → wasm → cpu.
// `auto` takes the best that loads; naming one that cannot load is a UserError saying what to
// install. Every run prints and records the backend it got.
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../base/errors.ts';
import type { BackendChoice } from './backend-choice.ts';

export { BACKENDS, type BackendChoice } from './backend-choice.ts';

// string-typed specifiers: tsc must not resolve the optional packages (they are usually absent)
const NATIVE_PACKAGES: string[] = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'];

async function loadNative(): Promise<string | null> {
  for (const spec of NATIVE_PACKAGES) {
    try {
      await import(spec);
      return spec;
    } catch {
      // absent (install script could not download libtensorflow) or no binding: try the next
    }
  }
  return null;
}

async function tryBackend(name: Exclude<BackendChoice, 'auto'>): Promise<string | null> {
  try {
    let detail: string = name;
    if (name === 'tensorflow') {
      const pkg = await loadNative();
      if (!pkg) return null;
      detail = `tensorflow (${pkg})`;
    } else if (name === 'wasm') {
      await import('@tensorflow/tfjs-backend-wasm');
    }
    if (!(await tf.setBackend(name))) return null;
    await tf.ready();
    return detail;
  } catch {
    return null;
  }
}

export interface BackendInfo {
  /** tfjs backend name: tensorflow | wasm | cpu. */
  name: string;
  /** With the package, for logs. */
  detail: string;
}

let selected: BackendInfo | null = null;

/** Select (once per process) and return the backend. */
export async function selectBackend(choice: BackendChoice = 'auto'): Promise<BackendInfo> {
  if (selected && (choice === 'auto' || choice === selected.name)) return selected;
  tf.enableProdMode(); // also silences tfjs's "install tfjs-node" banner
  const order: Exclude<BackendChoice, 'auto'>[] = choice === 'auto' ? ['tensorflow', 'wasm', 'cpu'] : [choice];
  for (const name of order) {
    const detail = await tryBackend(name);
    if (detail) {
      selected = { name, detail };
      return selected;
    }
  }
  const hint: Record<string, string> = {
    tensorflow:
      'install @tensorflow/tfjs-node-gpu (CUDA) or @tensorflow/tfjs-node on a machine with network access ' +
      '(their install step downloads libtensorflow)',
    wasm: 'reinstall @tensorflow/tfjs-backend-wasm (npm ci)',
    cpu: 'reinstall @tensorflow/tfjs (npm ci)',
  };
  throw new UserError(`backend '${choice}' could not be loaded: ${hint[choice] ?? 'no backend loaded'}`, '--backend');
}
