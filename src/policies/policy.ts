// The categorical policy interface: logits over a discrete action/token set.
// A policy knows nothing of RL. It maps recorded episodes to a tensor-ready input, computes
// logits for every slot of that input (with gradient), and samples step by step during rollouts.
import type * as tf from '@tensorflow/tfjs';
import type { PolicyInputs } from '../base/policy-inputs.ts';

export type { PolicyInputs };

/** What one finished episode looked like, as the rollout recorded it. */
export interface EpisodeRecord {
  /** observations[j] is what the policy saw when it chose actions[j]. */
  observations: (Float32Array | Int32Array)[];
  actions: number[];
}

export interface EncodedEpisodes {
  inputs: PolicyInputs;
  /** slots[r][j] = index (in 0..width) of the slot whose logits chose action j of row r. */
  slots: Int32Array[];
}

/** One batch of episodes being sampled in lock-step; may keep a cache (KV cache). */
export interface SamplingSession {
  /**
   * Logits at temperature 1 for the next action of each listed episode, given the full
   * observation each one has now. Returns a [ids.length × numActions] row-major array.
   */
  nextLogits(ids: readonly number[], observations: readonly (Float32Array | Int32Array)[]): Float32Array;
  dispose(): void;
}

export interface Policy {
  readonly kind: string;
  readonly numActions: number;
  /** Trainable variables, in a fixed order (checkpoints and the optimizer rely on it). */
  readonly variables: tf.Variable[];
  /** Logits at temperature 1 for every slot: [rows*width, numActions], row-major. Differentiable. */
  logits(inputs: PolicyInputs): tf.Tensor2D;
  encodeEpisodes(episodes: readonly EpisodeRecord[]): EncodedEpisodes;
  startSampling(episodes: number): SamplingSession;
  /** A frozen copy with the current weights (the KL reference policy). */
  snapshot(): Policy;
  /** Extra state to save beside the weights (e.g. the tokenizer), JSON-serialisable. */
  describe(): Record<string, unknown>;
  dispose(): void;
}
