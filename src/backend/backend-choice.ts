// The backend names a user can ask for, apart from src/backend/backend.ts so that the CLI can offer
// them in --help without loading TensorFlow.js.
export const BACKENDS = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKENDS)[number];
