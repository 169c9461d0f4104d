// Property-based tests of the two parsers users feed files to: the config loader (YAML text →
// schema → memory check, as `train` runs them) and the `entrolab loss` batch reader (JSON → Batch →
// loss). Random values and random mutations of the shipped files either load or fail with one
// UserError line — never a TypeError, a stack trace or a hang. Seeded, so a failure reproduces.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { UserError } from '../../src/base/errors.ts';
import { loadConfig } from '../../src/config/load.ts';
import { loadLossConfig } from '../../src/config/loss-config.ts';
import { assertTrainFits } from '../../src/config/resource-estimate.ts';
import { readLossBatch } from '../../src/loss/loss-batch.ts';
import { computeLoss } from '../../src/loss/loss-check.ts';
import { makeEnvFactory } from '../../src/train/setup.ts';
import { tempDir } from '../helpers.ts';

// FUZZ_SEED=<n> explores other inputs; the default keeps `npm test` reproducible
const SEED = Number(process.env.FUZZ_SEED ?? 20240610);
const dir = tempDir('entrolab-fuzz-');
beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Run `f`; it may return or throw a one-line UserError, nothing else. */
function loadsOrOneLine(f: () => void): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof UserError)) throw new Error(`not a UserError: ${(e as Error)?.stack ?? String(e)}`);
    expect(e.message).not.toContain('\n');
    expect(e.message.length).toBeGreaterThan(0);
  }
}

// Values a hostile or careless file may hold: awkward numbers, strings, nesting, nulls.
const awkwardNumber = fc.oneof(
  // biome-ignore lint/correctness/noPrecisionLoss: 1e400 and 1e-400 are meant to overflow to Infinity and 0
  fc.constantFrom(NaN, Infinity, -Infinity, 0, -0, -1, 1e400, 1e-400, 2 ** 53, 2 ** 31, 1e8, 0.5),
  fc.integer({ min: -1000, max: 1000 }),
  fc.double(),
);
const leaf = fc.oneof(awkwardNumber, fc.string({ maxLength: 8 }), fc.boolean(), fc.constant(null));
const value = fc.letrec((tie) => ({
  any: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('array'), tie('object')),
  array: fc.array(tie('any'), { maxLength: 4 }),
  object: fc.dictionary(fc.string({ maxLength: 6 }), tie('any'), { maxKeys: 4 }),
})).any;

type Node = Record<string, unknown> | unknown[];
/** Every path to a value inside `doc` (objects and arrays). */
function paths(doc: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (typeof doc !== 'object' || doc === null) return [];
  const entries: [string | number, unknown][] = Array.isArray(doc) ? doc.map((v, i) => [i, v]) : Object.entries(doc);
  return entries.flatMap(([k, v]) => [[...prefix, k], ...paths(v, [...prefix, k])]);
}

/** Replace, delete or add at a random path of a deep copy of `doc`. */
const mutation = (doc: unknown) =>
  fc
    .tuple(fc.nat(), fc.constantFrom('replace', 'delete', 'add'), value, fc.string({ maxLength: 6 }))
    .map(([pick, op, replacement, key]) => {
      const copy = structuredClone(doc) as Node;
      const all = paths(copy);
      const at = all[pick % all.length];
      let parent: Node = copy;
      for (const k of at.slice(0, -1)) parent = (parent as Record<string | number, Node>)[k];
      const last = at[at.length - 1];
      if (op === 'delete') {
        if (Array.isArray(parent)) parent.splice(Number(last), 1);
        else delete parent[last as string];
      } else if (op === 'add' && !Array.isArray(parent)) parent[key] = replacement;
      else (parent as Record<string | number, unknown>)[last] = replacement;
      return copy;
    });

/** Insert, delete or replace characters of `text`. */
const textMutation = (text: string) =>
  fc
    .array(fc.tuple(fc.nat(), fc.nat({ max: 4 }), fc.string({ maxLength: 4, unit: 'binary' })), {
      minLength: 1,
      maxLength: 3,
    })
    .map((edits) =>
      edits.reduce(
        (t, [at, cut, insert]) => t.slice(0, at % (t.length + 1)) + insert + t.slice((at % (t.length + 1)) + cut),
        text,
      ),
    );

const SHIPPED = fs
  .readdirSync('configs')
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => path.join('configs', f));
let files = 0;
/** What `entrolab train` does with a config file before its first step. */
function loadAsTrainDoes(text: string): void {
  const file = path.join(dir, `c${files++}.yaml`);
  fs.writeFileSync(file, text);
  loadsOrOneLine(() => {
    const config = loadConfig(file);
    assertTrainFits(config, makeEnvFactory(config)(), 'wasm');
  });
}

describe('fuzzing the config loader', () => {
  it('random YAML documents load or give one error line', () => {
    fc.assert(
      fc.property(value, (doc) => loadAsTrainDoes(YAML.stringify(doc))),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('random mutations of the shipped configs load or give one error line', () => {
    const docs = SHIPPED.map((f) => YAML.parse(fs.readFileSync(f, 'utf8')) as unknown);
    const mutated = fc.nat({ max: docs.length - 1 }).chain((i) => mutation(docs[i]));
    fc.assert(
      fc.property(mutated, (doc) => loadAsTrainDoes(YAML.stringify(doc))),
      { seed: SEED, numRuns: 300 },
    );
  });

  it("random edits of the shipped configs' text load or give one error line", () => {
    const texts = SHIPPED.map((f) => fs.readFileSync(f, 'utf8'));
    const edited = fc.nat({ max: texts.length - 1 }).chain((i) => textMutation(texts[i]));
    fc.assert(fc.property(edited, loadAsTrainDoes), { seed: SEED, numRuns: 300 });
  });
});

const DOC = fs.readFileSync('docs/bonus-clipcov-klcov-loss.md', 'utf8');
const BATCH = JSON.parse(/```json example-batch\n([\s\S]*?)```/.exec(DOC)![1]) as unknown;
const CONFIGS = [
  loadLossConfig(undefined, []),
  loadLossConfig(undefined, ['regularizers=[{name: clip_cov}]']),
  loadLossConfig(undefined, ['regularizers=[{name: kl_cov}]']),
];

/** What `entrolab loss` does with a batch file. */
function lossAsCliDoes(text: string, config: number): void {
  const file = path.join(dir, `b${files++}.json`);
  fs.writeFileSync(file, text);
  loadsOrOneLine(() => computeLoss(readLossBatch(file), CONFIGS[config]));
}

describe('fuzzing the loss batch reader', () => {
  it('random JSON documents load or give one error line', () => {
    fc.assert(
      fc.property(value, fc.nat({ max: 2 }), (doc: unknown, config: number) =>
        lossAsCliDoes(JSON.stringify(doc) ?? '', config),
      ),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('random mutations of the documented example batch load or give one error line', () => {
    fc.assert(
      fc.property(mutation(BATCH), fc.nat({ max: 2 }), (doc, config) => lossAsCliDoes(JSON.stringify(doc), config)),
      { seed: SEED, numRuns: 300 },
    );
  });

  it("random edits of the example batch's text load or give one error line", () => {
    const edited = textMutation(JSON.stringify(BATCH, null, 1));
    fc.assert(fc.property(edited, fc.nat({ max: 2 }), lossAsCliDoes), { seed: SEED, numRuns: 300 });
  });
});
