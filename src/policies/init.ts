// Weight initialisers drawn from a seeded stream in JS, so the same seed gives the same weights on
// every backend.
import type { Rng } from '../base/rng.ts';

export type InitKind = 'orthogonal' | 'glorot';

/** Glorot-uniform [fanIn × fanOut], row-major. */
export function glorotUniform(fanIn: number, fanOut: number, rng: Rng, gain = 1): Float32Array {
  const limit = gain * Math.sqrt(6 / (fanIn + fanOut));
  const out = new Float32Array(fanIn * fanOut);
  for (let i = 0; i < out.length; i++) out[i] = (2 * rng.next() - 1) * limit;
  return out;
}

/** Orthogonal [fanIn × fanOut] (Saxe et al.), scaled by `gain`: Gram–Schmidt on a Gaussian matrix. */
export function orthogonal(fanIn: number, fanOut: number, rng: Rng, gain = 1): Float32Array {
  // orthonormalise the longer side's vectors: work on k = min vectors of length n = max
  const n = Math.max(fanIn, fanOut);
  const k = Math.min(fanIn, fanOut);
  const vecs: Float64Array[] = [];
  for (let j = 0; j < k; j++) {
    const v = new Float64Array(n);
    for (;;) {
      for (let i = 0; i < n; i++) v[i] = rng.normal();
      for (const u of vecs) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += u[i] * v[i];
        for (let i = 0; i < n; i++) v[i] -= dot * u[i];
      }
      const norm = Math.hypot(...v);
      if (norm > 1e-6) {
        for (let i = 0; i < n; i++) v[i] /= norm;
        break;
      }
    }
    vecs.push(v);
  }
  const out = new Float32Array(fanIn * fanOut);
  for (let r = 0; r < fanIn; r++)
    for (let c = 0; c < fanOut; c++) out[r * fanOut + c] = gain * (fanIn >= fanOut ? vecs[c][r] : vecs[r][c]);
  return out;
}

export function initMatrix(kind: InitKind, fanIn: number, fanOut: number, rng: Rng, gain = 1): Float32Array {
  return kind === 'orthogonal' ? orthogonal(fanIn, fanOut, rng, gain) : glorotUniform(fanIn, fanOut, rng, gain);
}
