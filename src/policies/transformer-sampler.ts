// Batched autoregressive sampling with a key/value cache. Each call runs only the tokens an
// episode gained since the last call (the prompt on the first call, then the sampled token, plus
// any feedback the env appended after a turn), so L generated tokens cost L one-position steps.
// Episodes advance by different amounts: the new tokens are right-padded to the longest, and the
// cache simply grows by that many slots for every row; a per-row validity list masks the pads
// out of attention forever after. Rows of finished episodes are dropped from the cache.
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../base/errors.ts';
import { PAD } from '../base/tokenizer.ts';
import type { SamplingSession } from './policy.ts';
import { forwardStep, type LayerCache } from './transformer-model.ts';
import type { TransformerShape, TransformerWeights } from './transformer-weights.ts';

const MASKED = -1e9;

/**
 * Top-k / top-p (nucleus) filtering in place: tokens outside the kept set get −∞ logits, so the
 * rollout's sampler (at any temperature) never draws them. topK = 0 and topP = 1 leave rows as they are.
 */
export function filterLogits(logits: Float32Array, numActions: number, topK: number, topP: number): Float32Array {
  if (topK <= 0 && topP >= 1) return logits;
  for (let off = 0; off < logits.length; off += numActions) {
    const row = logits.subarray(off, off + numActions);
    const order = Array.from(row.keys()).sort((a, b) => row[b] - row[a]);
    let keep = topK > 0 ? Math.min(topK, numActions) : numActions;
    if (topP < 1) {
      const max = row[order[0]];
      const weights = order.map((i) => Math.exp(row[i] - max));
      const total = weights.reduce((a, b) => a + b, 0);
      let mass = 0;
      let n = 0;
      while (n < keep && mass < topP * total) mass += weights[n++];
      keep = Math.max(1, n);
    }
    for (let j = keep; j < numActions; j++) row[order[j]] = -Infinity;
  }
  return logits;
}

export class KvCacheSession implements SamplingSession {
  /** Episode id of each cache row. */
  private rows: number[] = [];
  /** Per cache row: 1 where a slot holds a real token. */
  private valid: Uint8Array[] = [];
  private slots = 0;
  private cache: LayerCache[] | null = null;
  /** Tokens of each episode already in the cache. */
  private readonly consumed: number[];

  constructor(
    private readonly shape: TransformerShape,
    private readonly weights: TransformerWeights,
    episodes: number,
    private readonly topK = 0,
    private readonly topP = 1,
  ) {
    this.consumed = new Array<number>(episodes).fill(0);
  }

  /**
   * The cache row of each of `ids`, after making sure they all have one. Rows of episodes that
   * finished stay (they run as padding, their outputs unread) while they are at most half of the
   * cache: dropping them costs a gather of every layer's cache, more than running them along.
   * Otherwise the cache is rebuilt with exactly `ids`, in order; ids not seen yet get empty rows.
   */
  private selectRows(ids: readonly number[]): number[] {
    const where = new Map(this.rows.map((id, i) => [id, i]));
    if (ids.every((id) => where.has(id)) && 2 * ids.length >= this.rows.length) return ids.map((id) => where.get(id)!);
    if (this.cache) {
      const old = this.cache;
      const hasNew = ids.some((id) => !where.has(id));
      const index = ids.map((id) => where.get(id) ?? this.rows.length);
      this.cache = tf.tidy(() => {
        const idx = tf.tensor1d(index, 'int32');
        return old.map((c) => {
          const pad = (t: tf.Tensor4D) =>
            hasNew ? tf.concat([t, tf.zerosLike(tf.slice(t, [0, 0, 0, 0], [1, -1, -1, -1]))], 0) : t;
          return { k: tf.gather(pad(c.k), idx) as tf.Tensor4D, v: tf.gather(pad(c.v), idx) as tf.Tensor4D };
        });
      });
      old.forEach((c) => (c.k.dispose(), c.v.dispose()));
    }
    this.valid = ids.map((id) => (where.has(id) ? this.valid[where.get(id)!] : new Uint8Array(this.slots)));
    this.rows = [...ids];
    return ids.map((_, i) => i);
  }

  nextLogits(ids: readonly number[], observations: readonly (Float32Array | Int32Array)[]): Float32Array {
    const at = this.selectRows(ids);
    const rows = this.rows.length;
    // new tokens per cache row: none for the rows of finished episodes
    const fresh: (Float32Array | Int32Array)[] = this.rows.map(() => new Int32Array(0));
    observations.forEach((obs, i) => {
      const seen = this.consumed[ids[i]];
      if (obs.length <= seen) throw new Error(`episode ${ids[i]}: the observation did not grow since the last step`);
      if (obs.length > this.shape.context)
        throw new UserError(
          `a dialogue reached ${obs.length} tokens; policy.context is ${this.shape.context}`,
          'policy.context',
        );
      fresh[at[i]] = obs.subarray(seen);
    });
    const newCount = Math.max(...fresh.map((f) => f.length));
    const keys = this.slots + newCount;
    const tokens = new Int32Array(rows * newCount).fill(PAD);
    const positions = new Int32Array(rows * newCount);
    const maskAdd = new Float32Array(rows * newCount * keys).fill(MASKED);
    const readout = Int32Array.from(at, (r) => r * newCount + fresh[r].length - 1);
    fresh.forEach((f, r) => {
      const start = this.consumed[this.rows[r]];
      const valid = this.valid[r];
      for (let t = 0; t < newCount; t++) {
        const at = r * newCount + t;
        if (t < f.length) {
          tokens[at] = f[t];
          positions[at] = start + t;
        }
        const rowMask = at * keys;
        for (let j = 0; j < this.slots; j++) if (valid[j]) maskAdd[rowMask + j] = 0;
        // a real query sees the row's real new tokens up to itself; a pad query sees the first
        // new token only, so its softmax stays finite (its output is never read)
        const upTo = t < f.length ? t : 0;
        for (let j = 0; j <= upTo; j++) maskAdd[rowMask + this.slots + j] = 0;
      }
    });
    const old = this.cache;
    const out = tf.tidy(() =>
      forwardStep(this.shape, this.weights, { rows, newCount, tokens, positions, maskAdd, readout }, old),
    );
    old?.forEach((c) => (c.k.dispose(), c.v.dispose()));
    this.cache = out.cache;
    this.valid = this.valid.map((v, r) => {
      const grown = new Uint8Array(keys);
      grown.set(v);
      grown.fill(1, this.slots, this.slots + fresh[r].length);
      return grown;
    });
    this.slots = keys;
    fresh.forEach((f, r) => (this.consumed[this.rows[r]] += f.length));
    const logits = Float32Array.from(out.logits.dataSync() as Float32Array);
    out.logits.dispose();
    return filterLogits(logits, this.shape.vocabSize, this.topK, this.topP);
  }

  dispose(): void {
    this.cache?.forEach((c) => (c.k.dispose(), c.v.dispose()));
    this.cache = null;
  }
}

/** Sampling without a cache: re-run the whole context every step (the benchmark's baseline). */
export class FullRecomputeSession implements SamplingSession {
  constructor(
    private readonly run: (tokens: Int32Array, rows: number, len: number) => tf.Tensor2D,
    private readonly numActions: number,
  ) {}

  nextLogits(_ids: readonly number[], observations: readonly (Float32Array | Int32Array)[]): Float32Array {
    const len = Math.max(...observations.map((o) => o.length));
    const rows = observations.length;
    const tokens = new Int32Array(rows * len).fill(PAD);
    observations.forEach((o, r) => tokens.set(o, r * len));
    const picked = tf.tidy(() => {
      const all = this.run(tokens, rows, len);
      return tf.gather(
        all,
        tf.tensor1d(
          observations.map((o, r) => r * len + o.length - 1),
          'int32',
        ),
      );
    });
    const out = picked.dataSync() as Float32Array;
    picked.dispose();
    return out.length === rows * this.numActions ? out : out.slice(0, rows * this.numActions);
  }

  dispose(): void {}
}
