// The transformer as an entrolab Policy over token observations (text environments).
// A row of the policy input is one episode's whole token sequence (its last observation: the
// dialogue up to the final action); the logits at position s predict token s+1, so the slot of
// action j is (length of observation j) − 1. Prompt and feedback positions are simply unmasked
// slots. Sampling uses the key/value-cache session of transformer-sampler.ts.
import * as tf from '@tensorflow/tfjs';
import type { Env } from '../../envs/env.ts';
import { UserError } from '../base/errors.ts';
import type { Rng } from '../base/rng.ts';
import { PAD, Tokenizer } from '../base/tokenizer.ts';
import {
  definePolicy,
  type EncodedEpisodes,
  type EnvShape,
  type EpisodeRecord,
  type Policy,
  type PolicyInputs,
  type SamplingSession,
} from './policy.ts';
import { forwardFull } from './transformer-model.ts';
import { FullRecomputeSession, KvCacheSession } from './transformer-sampler.ts';
import {
  makeVariables,
  shapeFromConfig,
  structure,
  type TransformerConfig,
  type TransformerShape,
  type TransformerWeights,
  transformerSchema,
} from './transformer-weights.ts';

/** Token ids laid out [rows × width], right-padded with PAD. */
export class TokenInputs implements PolicyInputs {
  constructor(
    readonly rows: number,
    readonly width: number,
    readonly tokens: Int32Array,
  ) {}

  selectRows(rows: readonly number[]): TokenInputs {
    const out = new Int32Array(rows.length * this.width);
    rows.forEach((r, i) => out.set(this.tokens.subarray(r * this.width, (r + 1) * this.width), i * this.width));
    return new TokenInputs(rows.length, this.width, out);
  }

  /** Right-padded with PAD: causal attention never lets a padded position change an earlier one. */
  concatRows(other: PolicyInputs, width: number): TokenInputs {
    const b = other as TokenInputs;
    const out = new Int32Array((this.rows + b.rows) * width).fill(PAD);
    for (let r = 0; r < this.rows; r++) out.set(this.tokens.subarray(r * this.width, (r + 1) * this.width), r * width);
    for (let r = 0; r < b.rows; r++)
      out.set(b.tokens.subarray(r * b.width, (r + 1) * b.width), (this.rows + r) * width);
    return new TokenInputs(this.rows + b.rows, width, out);
  }

  toJSON(): { kind: 'tokens'; rows: number; width: number; tokens: number[] } {
    return { kind: 'tokens', rows: this.rows, width: this.width, tokens: Array.from(this.tokens) };
  }

  static fromJSON(json: unknown): TokenInputs {
    const j = json as Partial<ReturnType<TokenInputs['toJSON']>>;
    const ok =
      j?.kind === 'tokens' &&
      Number.isInteger(j.rows) &&
      Number.isInteger(j.width) &&
      Array.isArray(j.tokens) &&
      j.tokens.length === j.rows! * j.width!;
    if (!ok) throw new Error('not the token inputs of a transformer policy');
    return new TokenInputs(j.rows!, j.width!, Int32Array.from(j.tokens!));
  }
}

export class TransformerPolicy implements Policy {
  readonly kind = 'transformer';
  readonly numActions: number;
  readonly variables: tf.Variable[];
  private readonly weights: TransformerWeights;
  /** Sample by re-running the whole context each step (benchmarks only). */
  useCache = true;

  constructor(
    readonly shape: TransformerShape,
    readonly config: TransformerConfig,
    readonly tokenizer: Tokenizer | undefined,
    init: Rng | Float32Array[],
    trainable = true,
  ) {
    this.numActions = shape.vocabSize;
    this.variables = makeVariables(shape, init, config.init_std, trainable);
    this.weights = structure(shape, this.variables);
  }

  /** Logits [rows·len, V] of a right-padded token batch. */
  forward(tokens: Int32Array, rows: number, len: number): tf.Tensor2D {
    return tf.tidy(() => forwardFull(this.shape, this.weights, tokens, rows, len));
  }

  logits(inputs: PolicyInputs): tf.Tensor2D {
    const t = inputs as TokenInputs;
    return this.forward(t.tokens, t.rows, t.width);
  }

  encodeEpisodes(episodes: readonly EpisodeRecord[]): EncodedEpisodes {
    const sequences = episodes.map((e) => {
      if (e.actions.length === 0) throw new Error('cannot encode an episode without actions');
      return e.observations[e.observations.length - 1] as Int32Array;
    });
    const width = Math.max(...sequences.map((s) => s.length));
    if (width > this.shape.context)
      throw new UserError(`an episode has ${width} tokens; policy.context is ${this.shape.context}`, 'policy.context');
    const tokens = new Int32Array(episodes.length * width).fill(PAD);
    sequences.forEach((s, r) => tokens.set(s, r * width));
    const slots = episodes.map((e) => Int32Array.from(e.observations, (o) => o.length - 1));
    return { inputs: new TokenInputs(episodes.length, width, tokens), slots };
  }

  startSampling(episodes: number): SamplingSession {
    if (!this.useCache)
      return new FullRecomputeSession(
        (tokens, rows, len) => forwardFull(this.shape, this.weights, tokens, rows, len),
        this.numActions,
      );
    return new KvCacheSession(this.shape, this.weights, episodes, this.config.top_k, this.config.top_p);
  }

  snapshot(): TransformerPolicy {
    const values = this.variables.map((v) => Float32Array.from(v.dataSync() as Float32Array));
    return new TransformerPolicy(this.shape, this.config, this.tokenizer, values, false);
  }

  decodeInputs(json: unknown): TokenInputs {
    return TokenInputs.fromJSON(json);
  }

  describe(): Record<string, unknown> {
    return {
      kind: this.kind,
      shape: this.shape,
      config: this.config,
      tokenizer: this.tokenizer?.toJSON() ?? null,
      parameters: this.parameterCount(),
    };
  }

  parameterCount(): number {
    return this.variables.reduce((n, v) => n + v.size, 0);
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
  }
}

/** The token observation of `env`; an env that gives features is refused (the transformer reads tokens). */
function tokenObservation(env: EnvShape): { vocabSize: number; maxLength: number } {
  if (env.observation.kind !== 'tokens') {
    throw new UserError(
      `policy 'transformer' needs token observations; env '${env.name}' gives features (use policy.kind: mlp)`,
      'policy.kind',
    );
  }
  return env.observation;
}

function checkEnv(env: Env, context: number): void {
  const observation = tokenObservation(env);
  if (env.numActions !== observation.vocabSize)
    throw new Error(`env '${env.name}': numActions must equal the vocabulary size`);
  if (observation.maxLength > context) {
    throw new UserError(
      `env '${env.name}' dialogues reach ${observation.maxLength} tokens; raise policy.context to at least that`,
      'policy.context',
    );
  }
}

export const transformerPolicyDefinition = definePolicy({
  kind: 'transformer',
  summary: 'tiny causal transformer over token observations (text environments), KV-cache sampling',
  schema: transformerSchema,
  create(config, env: Env, rng: Rng) {
    checkEnv(env, config.context);
    return new TransformerPolicy(
      shapeFromConfig(config, env.observation.kind === 'tokens' ? env.observation.vocabSize : 0),
      config,
      env.tokenizer,
      rng,
    );
  },
  /** Rebuild with the checkpoint's sizes (a GRPO config may leave them at their defaults). */
  restore(config, env: Env, described: Record<string, unknown>, rng: Rng) {
    const shape = described.shape as TransformerShape | undefined;
    const savedConfig = described.config as TransformerConfig | undefined;
    if (!shape || !savedConfig)
      throw new UserError('checkpoint has no transformer shape (not a transformer checkpoint?)', 'init_from');
    checkEnv(env, shape.context);
    const tokenizer = described.tokenizer ? Tokenizer.fromJSON(described.tokenizer) : undefined;
    if (tokenizer && env.tokenizer && !tokenizer.equals(env.tokenizer)) {
      throw new UserError(
        `the checkpoint's vocabulary (${tokenizer.tokens.length} tokens) differs from env '${env.name}' ` +
          `(${env.tokenizer.tokens.length}); was it trained on another task?`,
        'init_from',
      );
    }
    if (shape.vocabSize !== env.numActions)
      throw new UserError(
        `checkpoint vocabulary has ${shape.vocabSize} tokens, env '${env.name}' ${env.numActions}`,
        'init_from',
      );
    // sizes come from the checkpoint, sampling filters from the new config
    return new TransformerPolicy(
      shape,
      { ...savedConfig, top_k: config.top_k, top_p: config.top_p },
      tokenizer ?? env.tokenizer,
      rng,
    );
  },
  /** From the config's sizes (a warm start's own sizes may differ; the estimate is a bound within ×2). */
  estimate(config, env) {
    const { vocabSize: vocab, maxLength } = tokenObservation(env);
    const { layers, d_model: dModel, context, heads } = config;
    const dFF = config.d_ff ?? 4 * dModel;
    const width = Math.min(context, maxLength);
    const params =
      vocab * dModel * 2 + context * dModel + layers * (4 * dModel * dModel + 2 * dModel * dFF + 9 * dModel + dFF);
    // per slot and layer: the residual stream, q/k/v, attention output, two MLP activations, the attention row
    const activationsPerSlot = layers * (8 * dModel + 2 * dFF + heads * width);
    return {
      width,
      params,
      activationsPerSlot,
      kvPerRow: layers * 2 * context * dModel,
      keys: ['policy.layers', 'policy.d_model', 'policy.context'],
    };
  },
});
