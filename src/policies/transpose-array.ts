// Moving a matrix's values in JavaScript, for the synchronous backends (wasm, cpu) whose data
// can be read without waiting: faster there than the wasm transpose kernel for tall matrices.

/** Backends whose tensors can be read and written synchronously, cheaply. */
export const JS_BACKENDS = new Set(['wasm', 'cpu']);

/** The [cols, rows] transpose of a row-major [rows, cols] array. */
export function transposeArray(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  const TILE = 32;
  for (let r0 = 0; r0 < rows; r0 += TILE) {
    const r1 = Math.min(rows, r0 + TILE);
    for (let c = 0; c < cols; c++) for (let r = r0; r < r1; r++) out[c * rows + r] = values[r * cols + c];
  }
  return out;
}
