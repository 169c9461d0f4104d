// Word hunt: "name a word that contains a and b and avoids c" (prompt `+ab-c`), where only the
// words of a hidden lexicon count: a seeded hash keeps `lexicon_density` of all strings. The
// alphabet is large (26 letters by default, a vocabulary of 32 tokens) and every prompt has
// thousands of valid answers, but nothing in the prompt says which strings are words, so finding
// one is a search: a policy learns the letter constraints from demonstrations and which strings
// are words only by trying. An entropy-collapsed policy repeats the few words it found, so on
// held-out prompts (other letter combinations, the same lexicon) its pass@k at large k sinks
// towards its pass@1, below the warm start's. Single turn, reward 1 for a valid word, else 0.
import { z } from 'zod';
import { UserError } from '../src/base/errors.ts';
import type { Rng } from '../src/base/rng.ts';
import { defineEnv, type Prompt } from './env.ts';
import { hashUnit, TextEnv, type TurnOutcome, textSplitShape } from './text-env.ts';

/** The keys word-hunt and word-search share: the alphabet, word lengths and the hidden lexicon. */
export const huntShape = {
  /** Letters the words are made of (distinct lowercase letters, at least 4). */
  alphabet: z
    .string()
    .regex(/^[a-z]+$/, 'lowercase letters only')
    .min(4)
    .refine((s) => new Set(s).size === s.length, 'letters must be distinct')
    .default('abcdefghijklmnopqrstuvwxyz'),
  min_length: z.number().int().min(2).max(8).default(3),
  max_length: z.number().int().min(2).max(8).default(5),
  /** Fraction of strings that are words of the hidden lexicon. */
  lexicon_density: z.number().gt(0).max(1).default(0.1),
  /** Seed of the hidden lexicon. */
  lexicon_seed: z.number().int().min(0).default(0),
};

type Lengths = { min_length: number; max_length: number };

/** min_length ≤ max_length, reported on min_length (the arguments of zod's refine). */
export const lengthsInOrder: [(c: Lengths) => boolean, { message: string; path: string[] }] = [
  (c) => c.min_length <= c.max_length,
  { message: 'min_length must be <= max_length', path: ['min_length'] },
];

export const wordHuntSchema = z
  .object({ ...huntShape, ...textSplitShape })
  .strict()
  .refine(...lengthsInOrder);
export type WordHuntConfig = z.infer<typeof wordHuntSchema>;

/** The most candidates the expert draws for one demonstration before the config is refused. */
export const MAX_EXPERT_DRAWS = 100_000;

export interface HuntConstraints {
  /** The two letters the word must contain (sorted). */
  required: string;
  /** The letter the word must not contain. */
  forbidden: string;
}

/** Whether `word` is in the hidden lexicon of `config` (3–5 letters of the alphabet, hashed under the lexicon seed). */
export function inHuntLexicon(config: WordHuntConfig, word: string): boolean {
  const { lexicon_density, lexicon_seed, alphabet, min_length, max_length } = config;
  if (word.length < min_length || word.length > max_length || ![...word].every((ch) => alphabet.includes(ch)))
    return false;
  return lexicon_density >= 1 || hashUnit(`word-hunt:${lexicon_seed}:${word}`) < lexicon_density;
}

/** Whether `word` contains both required letters and not the forbidden one. */
export function meetsHunt(word: string, c: HuntConstraints): boolean {
  return [...c.required].every((ch) => word.includes(ch)) && !word.includes(c.forbidden);
}

/** A prompt `+ab-c`: two distinct required letters (sorted) and a third, forbidden one. */
export function drawHuntPrompt(rng: Rng, alphabet: string): Prompt {
  const letters = [...alphabet];
  const a = letters.splice(rng.int(letters.length), 1)[0];
  const b = letters.splice(rng.int(letters.length), 1)[0];
  const forbidden = letters[rng.int(letters.length)];
  const required = [a, b].sort().join('');
  return { id: `+${required}-${forbidden}`, required, forbidden };
}

/** A random string meeting the letter constraints: the required letters at random places, other letters uniform. */
export function huntCandidate(rng: Rng, config: WordHuntConfig, c: HuntConstraints): string {
  const { alphabet, min_length, max_length } = config;
  const others = [...alphabet].filter((ch) => ch !== c.forbidden);
  const shortest = Math.max(min_length, 2);
  const length = shortest + rng.int(max_length - shortest + 1);
  const letters = [...c.required];
  while (letters.length < length) letters.push(others[rng.int(others.length)]);
  return rng
    .permutation(length)
    .map((p) => letters[p])
    .join('');
}

export class WordHuntEnv extends TextEnv {
  readonly name = 'word-hunt';

  constructor(private readonly config: WordHuntConfig) {
    super({
      alphabet: `${config.alphabet}+-`,
      maxPromptChars: 5,
      maxAnswerTokens: config.max_length,
      maxTurns: 1,
      maxFeedbackChars: 0,
      testFraction: config.test_fraction,
      splitSeed: config.split_seed,
    });
  }

  inLexicon(word: string): boolean {
    return inHuntLexicon(this.config, word);
  }

  static meets(word: string, c: HuntConstraints): boolean {
    return meetsHunt(word, c);
  }

  /** Whether `word` answers the prompt: a lexicon word with both required letters and not the forbidden one. */
  accepts(word: string, c: HuntConstraints): boolean {
    return WordHuntEnv.meets(word, c) && this.inLexicon(word);
  }

  protected drawPrompt(rng: Rng): Prompt {
    return drawHuntPrompt(rng, this.config.alphabet);
  }

  promptText(prompt: Prompt): string {
    return prompt.id;
  }

  private constraints(): HuntConstraints {
    return this.prompt as unknown as HuntConstraints;
  }

  protected judge(answer: string | null): TurnOutcome {
    const ok = answer !== null && this.accepts(answer, this.constraints());
    return { reward: ok ? 1 : 0, success: ok, done: true };
  }

  /**
   * Expert: a uniformly random string meeting the constraints, drawn until it is a lexicon word
   * (the expert knows the lexicon). A wrong answer is such a string that is not a word, or, a
   * third of the time, a word that contains the forbidden letter.
   */
  expertAnswer(rng: Rng, wrong: boolean): string {
    const c = this.constraints();
    // with every string a word no candidate is a non-word: a wrong answer can only be spoilt (the
    // loop below would never end); other densities draw exactly as before
    if (wrong && this.config.lexicon_density >= 1) {
      const spoilt = [...huntCandidate(rng, this.config, c)];
      spoilt[rng.int(spoilt.length)] = c.forbidden;
      return spoilt.join('');
    }
    // a synchronous loop no signal interrupts: bounded, so a lexicon too sparse for the prompt's
    // candidates is refused instead of searched for forever (shipped settings take ~10 draws)
    for (let draw = 0; draw < MAX_EXPERT_DRAWS; draw++) {
      const word = huntCandidate(rng, this.config, c);
      if (!wrong && this.inLexicon(word)) return word;
      if (wrong && !this.inLexicon(word)) {
        if (rng.next() >= 1 / 3) return word;
        const spoilt = [...word];
        spoilt[rng.int(spoilt.length)] = c.forbidden;
        if (!this.accepts(spoilt.join(''), c)) return spoilt.join('');
      }
    }
    throw new UserError(
      `the expert drew ${MAX_EXPERT_DRAWS} candidates for prompt ${this.prompt.id} without finding ` +
        `${wrong ? 'a non-word' : 'a lexicon word'}: raise env.lexicon_density or widen env.alphabet / ` +
        'env.max_length (more strings meet the constraints)',
      'env',
    );
  }
}

export const wordHuntDefinition = defineEnv({
  name: 'word-hunt',
  summary:
    'text: a word of a hidden lexicon over 26 letters meeting letter constraints, thousands of valid answers (single turn)',
  schema: wordHuntSchema as unknown as typeof wordHuntSchema,
  factory: (config) => () => new WordHuntEnv(config),
});
