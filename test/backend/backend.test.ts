// The backend ladder (docs/tfjs-notes.md "Backend ladder"): tensorflow → wasm → cpu; a backend that
// cannot load is a clear error naming what to install.
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/backend.ts';

async function nativeAvailable(): Promise<boolean> {
  for (const spec of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      await import(/* @vite-ignore */ spec);
      return true;
    } catch {
      // absent here (their install step needs network access)
    }
  }
  return false;
}

const native = await nativeAvailable();

describe('backend selection', () => {
  it('auto takes the best backend that loads', async () => {
    const got = await selectBackend('auto');
    expect(got.name).toBe(native ? 'tensorflow' : 'wasm');
  });

  // on a machine where tfjs-node(-gpu) installed, this request succeeds instead
  it.skipIf(native)('asking for tensorflow where no native package loads names what to install', async () => {
    await expect(selectBackend('tensorflow')).rejects.toThrow(
      /--backend: backend 'tensorflow' could not be loaded: install @tensorflow\/tfjs-node-gpu/,
    );
  });

  it('switches between wasm and cpu on request', async () => {
    expect((await selectBackend('cpu')).name).toBe('cpu');
    expect((await selectBackend('wasm')).name).toBe('wasm');
  });
});
