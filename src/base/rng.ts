// Named, seeded random streams (seedrandom's ARC4 with exportable state).
// Every random draw in entrolab goes through one of these, so one seed reproduces a run
// and a checkpoint can save and restore each stream exactly.
import seedrandom from 'seedrandom';

export type RngState = seedrandom.State.Arc4;

export class Rng {
  private prng: seedrandom.StatefulPRNG<seedrandom.State.Arc4>;

  constructor(seed: string, state?: RngState) {
    // a restored stream continues exactly where the saved one stopped
    this.prng = seedrandom(seed, { state: state ?? true });
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.prng();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.prng() * n);
  }

  /** Standard normal (Box–Muller, one draw per call). */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.prng();
    const v = this.prng();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Index drawn from unnormalised non-negative weights. */
  categorical(weights: ArrayLike<number>, offset = 0, count = weights.length - offset): number {
    let total = 0;
    for (let i = 0; i < count; i++) total += weights[offset + i];
    let u = this.prng() * total;
    for (let i = 0; i < count; i++) {
      u -= weights[offset + i];
      if (u < 0) return i;
    }
    // float round-off: return the last index with positive weight
    for (let i = count - 1; i >= 0; i--) if (weights[offset + i] > 0) return i;
    return count - 1;
  }

  /** Fisher–Yates shuffle of [0, n). */
  permutation(n: number): number[] {
    const p = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [p[i], p[j]] = [p[j], p[i]];
    }
    return p;
  }

  state(): RngState {
    return this.prng.state();
  }
}

/**
 * The run's independent streams, each derived from the run seed and its name. Each regularizer has
 * its own on top of these (src/core/regularizer-set.ts).
 */
export const STREAM_NAMES = ['init', 'prompts', 'env', 'sampling', 'shuffle'] as const;
export type StreamName = (typeof STREAM_NAMES)[number];
export type RngStreams = Record<StreamName, Rng>;

export function makeStreams(seed: number, states?: Partial<Record<StreamName, RngState>>): RngStreams {
  const out = {} as RngStreams;
  for (const name of STREAM_NAMES) out[name] = new Rng(`entrolab:${seed}:${name}`, states?.[name]);
  return out;
}

export function streamStates(streams: RngStreams): Record<StreamName, RngState> {
  const out = {} as Record<StreamName, RngState>;
  for (const name of STREAM_NAMES) out[name] = streams[name].state();
  return out;
}
