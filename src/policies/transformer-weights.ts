// The tiny causal transformer's configuration, shapes and weights: the config schema, the derived
// shape, how fresh weights are drawn (fixed variable order, GPT-2-style scaled residual init) and how
// the flat variable list maps onto named per-block weights. The forward passes are in transformer-model.ts.
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { Rng } from '../base/rng.ts';

export const transformerSchema = z
  .object({
    layers: z.number().int().min(1).default(2),
    d_model: z.number().int().min(2).default(64),
    heads: z.number().int().min(1).default(4),
    /** MLP hidden size (default 4·d_model). */
    d_ff: z.number().int().min(1).optional(),
    /** Longest token sequence (prompt + dialogue) the model can read. */
    context: z.number().int().min(2).default(64),
    /** Output head = token embedding transposed (fewer weights). */
    tied_head: z.boolean().default(false),
    /** Std of the normal weight init (residual projections get std/√(2·layers)). */
    init_std: z.number().gt(0).default(0.02),
    /** Sample only among the k most likely tokens (0 = off). Training log-probs stay full-distribution. */
    top_k: z.number().int().min(0).default(0),
    /** Sample only from the smallest set of tokens with probability ≥ top_p (1 = off). */
    top_p: z.number().gt(0).max(1).default(1),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.d_model % c.heads === 0) return;
    const near = [Math.floor(c.d_model / c.heads), Math.ceil(c.d_model / c.heads)].map((m) => Math.max(1, m) * c.heads);
    ctx.addIssue({
      code: 'custom',
      message: `d_model ${c.d_model} is not a multiple of heads ${c.heads} (each head gets d_model/heads dimensions; e.g. ${[...new Set(near)].join(' or ')})`,
      path: ['d_model'],
    });
  });
export type TransformerConfig = z.infer<typeof transformerSchema>;

/** Everything that fixes the weight shapes. */
export interface TransformerShape {
  vocabSize: number;
  layers: number;
  dModel: number;
  heads: number;
  dFF: number;
  context: number;
  tiedHead: boolean;
}

export function shapeFromConfig(config: TransformerConfig, vocabSize: number): TransformerShape {
  return {
    vocabSize,
    layers: config.layers,
    dModel: config.d_model,
    heads: config.heads,
    dFF: config.d_ff ?? 4 * config.d_model,
    context: config.context,
    tiedHead: config.tied_head,
  };
}

export interface BlockWeights {
  ln1Gain: tf.Variable;
  ln1Bias: tf.Variable;
  wq: tf.Variable;
  wk: tf.Variable;
  wv: tf.Variable;
  wo: tf.Variable;
  ln2Gain: tf.Variable;
  ln2Bias: tf.Variable;
  w1: tf.Variable;
  b1: tf.Variable;
  w2: tf.Variable;
  b2: tf.Variable;
}

export interface TransformerWeights {
  tokenEmbedding: tf.Variable; // [V, D]
  positionEmbedding: tf.Variable; // [C, D]
  blocks: BlockWeights[];
  lnfGain: tf.Variable;
  lnfBias: tf.Variable;
  head?: tf.Variable; // [D, V], absent when tied
}

/** Shapes and init std of every weight, in the fixed variable order. */
function weightSpecs(s: TransformerShape, std: number): { shape: number[]; std: number; fill?: number }[] {
  const residual = std / Math.sqrt(2 * s.layers);
  const D = s.dModel;
  const specs: { shape: number[]; std: number; fill?: number }[] = [
    { shape: [s.vocabSize, D], std },
    { shape: [s.context, D], std },
  ];
  for (let l = 0; l < s.layers; l++) {
    specs.push(
      { shape: [D], std: 0, fill: 1 },
      { shape: [D], std: 0, fill: 0 },
      { shape: [D, D], std },
      { shape: [D, D], std },
      { shape: [D, D], std },
      { shape: [D, D], std: residual },
      { shape: [D], std: 0, fill: 1 },
      { shape: [D], std: 0, fill: 0 },
      { shape: [D, s.dFF], std },
      { shape: [s.dFF], std: 0, fill: 0 },
      { shape: [s.dFF, D], std: residual },
      { shape: [D], std: 0, fill: 0 },
    );
  }
  specs.push({ shape: [D], std: 0, fill: 1 }, { shape: [D], std: 0, fill: 0 });
  if (!s.tiedHead) specs.push({ shape: [D, s.vocabSize], std });
  return specs;
}

/** Fresh weights drawn from `rng` (same seed → same weights on every backend), or given values. */
export function makeVariables(
  s: TransformerShape,
  init: Rng | Float32Array[],
  std: number,
  trainable: boolean,
): tf.Variable[] {
  return weightSpecs(s, std).map((spec, i) => {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    let values: Float32Array;
    if (Array.isArray(init)) {
      values = init[i];
      if (!values || values.length !== size) throw new Error(`transformer weight ${i}: expected ${size} values`);
    } else {
      values = new Float32Array(size);
      for (let j = 0; j < size; j++) values[j] = spec.fill ?? spec.std * init.normal();
    }
    return tf.variable(tf.tensor(values, spec.shape), trainable);
  });
}

export function structure(s: TransformerShape, vars: readonly tf.Variable[]): TransformerWeights {
  let i = 0;
  const next = () => vars[i++];
  const tokenEmbedding = next();
  const positionEmbedding = next();
  const blocks: BlockWeights[] = [];
  for (let l = 0; l < s.layers; l++) {
    blocks.push({
      ln1Gain: next(),
      ln1Bias: next(),
      wq: next(),
      wk: next(),
      wv: next(),
      wo: next(),
      ln2Gain: next(),
      ln2Bias: next(),
      w1: next(),
      b1: next(),
      w2: next(),
      b2: next(),
    });
  }
  const lnfGain = next();
  const lnfBias = next();
  const head = s.tiedHead ? undefined : next();
  return { tokenEmbedding, positionEmbedding, blocks, lnfGain, lnfBias, head };
}
