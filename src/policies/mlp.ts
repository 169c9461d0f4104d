// MLP categorical policy over feature observations (gridworlds): obs → hidden layers → logits.
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { Env } from '../../envs/env.ts';
import { UserError } from '../base/errors.ts';
import type { Rng } from '../base/rng.ts';
import { addBias, matMul } from './fast-matmul.ts';
import { initMatrix } from './init.ts';
import { inputLayer } from './input-matmul.ts';
import { type InferenceLayer, inferLogits } from './mlp-inference.ts';
import {
  definePolicy,
  type EncodedEpisodes,
  type EnvShape,
  type EpisodeRecord,
  type Policy,
  type PolicyInputs,
  type SamplingSession,
} from './policy.ts';
import { JS_BACKENDS } from './transpose-array.ts';

export const mlpSchema = z
  .object({
    /** Hidden layer sizes. */
    hidden: z.array(z.number().int().min(1)).default([64, 64]),
    activation: z.enum(['tanh', 'relu']).default('tanh'),
    /** Weight init; the output layer gets gain 0.01 so the first policy is near uniform. */
    init: z.enum(['orthogonal', 'glorot']).default('orthogonal'),
  })
  .strict();
export type MlpConfig = z.infer<typeof mlpSchema>;

/** Feature observations laid out [rows × width × obsSize]; slot t of a row is step t. */
export class FeatureInputs implements PolicyInputs {
  constructor(
    readonly rows: number,
    readonly width: number,
    readonly obsSize: number,
    readonly features: Float32Array,
  ) {}

  selectRows(rows: readonly number[]): FeatureInputs {
    const stride = this.width * this.obsSize;
    const out = new Float32Array(rows.length * stride);
    rows.forEach((r, i) => out.set(this.features.subarray(r * stride, (r + 1) * stride), i * stride));
    return new FeatureInputs(rows.length, this.width, this.obsSize, out);
  }

  /** Padded slots get zero features (each slot's logits depend on its own observation only). */
  concatRows(other: PolicyInputs, width: number): FeatureInputs {
    const b = other as FeatureInputs;
    const d = this.obsSize;
    const out = new Float32Array((this.rows + b.rows) * width * d);
    const place = (from: FeatureInputs, offset: number) => {
      const stride = from.width * d;
      for (let r = 0; r < from.rows; r++)
        out.set(from.features.subarray(r * stride, (r + 1) * stride), (offset + r) * width * d);
    };
    place(this, 0);
    place(b, this.rows);
    return new FeatureInputs(this.rows + b.rows, width, d, out);
  }

  toJSON(): { kind: 'features'; rows: number; width: number; obsSize: number; features: number[] } {
    const { rows, width, obsSize } = this;
    return { kind: 'features', rows, width, obsSize, features: Array.from(this.features) };
  }

  static fromJSON(json: unknown, obsSize: number): FeatureInputs {
    const j = json as Partial<ReturnType<FeatureInputs['toJSON']>>;
    const ok =
      j?.kind === 'features' &&
      j.obsSize === obsSize &&
      Number.isInteger(j.rows) &&
      Number.isInteger(j.width) &&
      Array.isArray(j.features) &&
      j.features.length === j.rows! * j.width! * obsSize;
    if (!ok) throw new Error(`not the feature inputs of this MLP policy (observation size ${obsSize})`);
    return new FeatureInputs(j.rows!, j.width!, obsSize, Float32Array.from(j.features!));
  }
}

export class MlpPolicy implements Policy {
  readonly kind = 'mlp';
  readonly variables: tf.Variable[];

  constructor(
    readonly obsSize: number,
    readonly numActions: number,
    private readonly config: MlpConfig,
    weights: Float32Array[] | Rng,
    trainable = true,
  ) {
    const sizes = [obsSize, ...config.hidden, numActions];
    this.variables = [];
    for (let l = 0; l + 1 < sizes.length; l++) {
      const last = l + 2 === sizes.length;
      const w = Array.isArray(weights)
        ? weights[2 * l]
        : initMatrix(config.init, sizes[l], sizes[l + 1], weights, last ? 0.01 : Math.SQRT2);
      const b = Array.isArray(weights) ? weights[2 * l + 1] : new Float32Array(sizes[l + 1]);
      this.variables.push(tf.variable(tf.tensor2d(w, [sizes[l], sizes[l + 1]]), trainable));
      this.variables.push(tf.variable(tf.tensor1d(b), trainable));
    }
  }

  /** Logits for `rows` observations laid out row-major in `x`. */
  private forward(x: Float32Array, rows: number): tf.Tensor2D {
    const v = this.variables;
    let h = inputLayer(x, rows, this.obsSize, v[0] as tf.Tensor2D, v[1] as tf.Tensor1D);
    const layers = v.length / 2;
    for (let l = 0; l < layers; l++) {
      if (l > 0) h = addBias(matMul(h, v[2 * l] as tf.Tensor2D), v[2 * l + 1] as tf.Tensor1D);
      if (l + 1 < layers) h = this.config.activation === 'tanh' ? tf.tanh(h) : tf.relu(h);
    }
    return h;
  }

  logits(inputs: PolicyInputs): tf.Tensor2D {
    const f = inputs as FeatureInputs;
    return tf.tidy(() => this.forward(f.features, f.rows * f.width));
  }

  encodeEpisodes(episodes: readonly EpisodeRecord[]): EncodedEpisodes {
    const width = Math.max(1, ...episodes.map((e) => e.actions.length));
    const features = new Float32Array(episodes.length * width * this.obsSize);
    const slots = episodes.map((e, r) => {
      e.observations.forEach((obs, t) => features.set(obs, (r * width + t) * this.obsSize));
      return Int32Array.from(e.actions, (_, t) => t);
    });
    return { inputs: new FeatureInputs(episodes.length, width, this.obsSize, features), slots };
  }

  startSampling(): SamplingSession {
    // the weights do not change during a rollout: read them once (the native backend keeps forward())
    const layers: InferenceLayer[] | null = JS_BACKENDS.has(tf.getBackend())
      ? Array.from({ length: this.variables.length / 2 }, (_, l) => ({
          weights: this.variables[2 * l] as tf.Tensor2D,
          weightValues: l === 0 ? (this.variables[0].dataSync() as Float32Array) : undefined,
          bias: this.variables[2 * l + 1].dataSync() as Float32Array,
        }))
      : null;
    return {
      nextLogits: (ids, observations) => {
        if (layers) return inferLogits(observations, this.obsSize, layers, this.config.activation);
        const x = new Float32Array(ids.length * this.obsSize);
        observations.forEach((o, i) => x.set(o, i * this.obsSize));
        const out = tf.tidy(() => this.forward(x, ids.length));
        const values = out.dataSync() as Float32Array;
        out.dispose();
        return values;
      },
      dispose: () => {},
    };
  }

  snapshot(): MlpPolicy {
    const weights = this.variables.map((v) => v.dataSync() as Float32Array);
    return new MlpPolicy(
      this.obsSize,
      this.numActions,
      this.config,
      weights.map((w) => w.slice()),
      false,
    );
  }

  describe(): Record<string, unknown> {
    return { kind: this.kind, obsSize: this.obsSize, numActions: this.numActions };
  }

  decodeInputs(json: unknown): FeatureInputs {
    return FeatureInputs.fromJSON(json, this.obsSize);
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
  }
}

/** The feature size of `env`; an env that gives tokens is refused (the MLP reads feature vectors). */
function featureSize(env: EnvShape): number {
  if (env.observation.kind !== 'features') {
    throw new UserError(
      `policy 'mlp' needs feature observations; env '${env.name}' gives tokens (use policy.kind: transformer)`,
      'policy.kind',
    );
  }
  return env.observation.size;
}

export const mlpPolicyDefinition = definePolicy({
  kind: 'mlp',
  summary: 'multi-layer perceptron over feature observations (gridworlds)',
  schema: mlpSchema,
  create(config, env: Env, rng: Rng) {
    return new MlpPolicy(featureSize(env), env.numActions, config, rng);
  },
  /** One slot per action; the weights of each layer and the widest layer's activations (×3: pre, post, grad). */
  estimate(config, env) {
    const sizes = [featureSize(env), ...config.hidden, env.numActions];
    let params = 0;
    for (let i = 0; i + 1 < sizes.length; i++) params += sizes[i] * sizes[i + 1] + sizes[i + 1];
    return {
      width: env.maxTokens,
      params,
      // each layer keeps its pre-activation, activation and gradient for the backward pass
      activationsPerSlot: 3 * sizes.reduce((a, b) => a + b, 0),
      kvPerRow: 0,
      keys: ['policy.hidden'],
    };
  },
});
