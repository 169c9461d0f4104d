// Benchmark of the tiny transformer: sampling tokens/s with and without the key/value cache at
// generation lengths 16/32/64, and training tokens/s (forward + backward + Adam).
//   node --import tsx bench/transformer-sampling.ts [--backend wasm] [--rows 64] [--reps 3]
// Prints a markdown table and writes bench/results/transformer-sampling.json.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { tokenStats } from '../algorithms/grpo.ts';
import { type BackendChoice, selectBackend } from '../src/backend/backend.ts';
import { Rng } from '../src/base/rng.ts';
import { Tokenizer } from '../src/base/tokenizer.ts';
import { Adam } from '../src/core/adam.ts';
import { TransformerPolicy } from '../src/policies/transformer.ts';
import { shapeFromConfig, transformerSchema } from '../src/policies/transformer-weights.ts';
import { sampleToken } from '../src/rollout/rollout.ts';
import { writeJsonAtomic } from '../src/run/atomic-write.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const backend = await selectBackend(arg('backend', 'auto') as BackendChoice);
const rows = Number(arg('rows', '64'));
const reps = Number(arg('reps', '3'));
const promptLength = 8;
const lengths = [16, 32, 64];
const tokenizer = new Tokenizer('0123456789abcdefghij');
const config = transformerSchema.parse({
  layers: 2,
  d_model: 64,
  heads: 4,
  context: promptLength + Math.max(...lengths) + 8,
});
const policy = new TransformerPolicy(shapeFromConfig(config, tokenizer.vocabSize), config, tokenizer, new Rng('bench'));
const V = policy.numActions;

/** Generate `length` tokens for `rows` episodes in lock-step; returns seconds. */
function sample(length: number, useCache: boolean): number {
  policy.useCache = useCache;
  const rng = new Rng(`sample:${length}`);
  const contexts = Array.from({ length: rows }, () => Array.from({ length: promptLength }, () => 4 + rng.int(V - 4)));
  const ids = contexts.map((_, i) => i);
  const t0 = performance.now();
  const session = policy.startSampling(rows);
  for (let step = 0; step < length; step++) {
    const logits = session.nextLogits(
      ids,
      contexts.map((c) => Int32Array.from(c)),
    );
    contexts.forEach((c, i) => c.push(sampleToken(logits, i * V, V, 1, false, rng)));
  }
  session.dispose();
  return (performance.now() - t0) / 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const results: Record<string, number> = {};
const table: string[] = [
  '| generated length | with KV cache (tokens/s) | full recompute (tokens/s) | speed-up |',
  '|---|---|---|---|',
];
for (const length of lengths) {
  sample(4, true); // warm-up
  sample(4, false);
  const cached = median(Array.from({ length: reps }, () => sample(length, true)));
  const full = median(Array.from({ length: reps }, () => sample(length, false)));
  const tokens = rows * length;
  results[`sample_cache_L${length}`] = tokens / cached;
  results[`sample_full_L${length}`] = tokens / full;
  table.push(
    `| ${length} | ${(tokens / cached).toFixed(0)} | ${(tokens / full).toFixed(0)} | ${(full / cached).toFixed(1)}× |`,
  );
}

// training: maximum likelihood on every position of B×T random sequences
const trainRows = 128;
const trainLength = 32;
const trng = new Rng('train');
const tokens = Int32Array.from({ length: trainRows * trainLength }, () => 4 + trng.int(V - 4));
const targets = Int32Array.from({ length: trainRows * trainLength }, () => 4 + trng.int(V - 4));
const optimizer = new Adam(policy.variables, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
const trainStep = (): number => {
  const t0 = performance.now();
  const { value, grads } = tf.variableGrads(
    () => tf.neg(tf.mean(tokenStats(policy.forward(tokens, trainRows, trainLength), targets, 1).logProbs)) as tf.Scalar,
    policy.variables,
  );
  optimizer.apply(policy.variables.map((v) => grads[v.name]));
  value.dataSync();
  value.dispose();
  Object.values(grads).forEach((g) => g.dispose());
  return (performance.now() - t0) / 1000;
};
trainStep();
const stepSeconds = median(Array.from({ length: Math.max(3, reps) }, trainStep));
results.train_tokens_per_s = (trainRows * trainLength) / stepSeconds;
results.train_step_ms = stepSeconds * 1000;

const header =
  `transformer ${config.layers} layers, d_model ${config.d_model}, ${config.heads} heads, vocab ${V}, ` +
  `${policy.parameterCount()} parameters; backend ${backend.detail}; ` +
  `${rows} episodes, prompt ${promptLength} tokens, median of ${reps}`;
process.stdout.write(
  `${header}\n\n${table.join('\n')}\n\ntraining (B=${trainRows}, T=${trainLength}, fwd+bwd+Adam): ` +
    `${results.train_tokens_per_s.toFixed(0)} tokens/s (${results.train_step_ms.toFixed(0)} ms/step)\n`,
);
const out = path.join('bench', 'results', 'transformer-sampling.json');
fs.mkdirSync(path.dirname(out), { recursive: true });
writeJsonAtomic(out, { header, backend: backend.detail, rows, promptLength, results });
optimizer.dispose();
policy.dispose();
