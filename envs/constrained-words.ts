// Constrained words: "write a k-letter word over this alphabet that contains r, avoids f (and
// starts with s)". Only words of a hidden lexicon count (a seeded hash keeps `lexicon_density` of
// all strings), so each prompt has several valid answers and finding them is a search: a policy
// that keeps its entropy covers more of them, and an entropy-collapsed one repeats the same guess,
// which shows as pass@k barely above pass@1. Single turn.
// Prompt text: `k+r-f` or `k+r-f^s`, e.g. "4+a-c^b".
import { z } from 'zod';
import { UserError } from '../src/base/errors.ts';
import type { Rng } from '../src/base/rng.ts';
import { defineEnv, type Prompt } from './env.ts';
import { hashUnit, TextEnv, type TurnOutcome, textSplitShape } from './text-env.ts';

/** The most strings one prompt's answers may be enumerated from (about a second of work). */
export const MAX_ENUMERATED_WORDS = 1_000_000;

export const constrainedWordsSchema = z
  .object({
    alphabet: z
      .string()
      .regex(/^[a-z]+$/, 'lowercase letters only')
      .min(3)
      .default('abcdef'),
    min_length: z.number().int().min(2).max(6).default(3),
    max_length: z.number().int().min(2).max(6).default(4),
    /** Probability that a prompt also fixes the first letter. */
    start_prob: z.number().min(0).max(1).default(0.5),
    /** Fraction of strings that are "words" (1 = every string satisfying the constraints counts). */
    lexicon_density: z.number().gt(0).max(1).default(0.5),
    /** Seed of the hidden lexicon. */
    lexicon_seed: z.number().int().min(0).default(0),
    /** Prompts with fewer valid answers than this are never drawn. */
    min_answers: z.number().int().min(1).default(3),
    ...textSplitShape,
  })
  .strict()
  .refine((c) => c.min_length <= c.max_length, { message: 'min_length must be <= max_length', path: ['min_length'] })
  // the work of drawing a prompt: its answers are enumerated, all |alphabet|^length strings, in one
  // synchronous loop that no signal interrupts, so its size is bounded here rather than left to run
  .refine((c) => c.alphabet.length ** c.max_length <= MAX_ENUMERATED_WORDS, {
    message:
      `|alphabet|^max_length strings are enumerated per prompt; at most ${MAX_ENUMERATED_WORDS} ` +
      '(e.g. 26 letters up to length 4, 10 up to 6): shorten the alphabet or lower max_length',
    path: ['max_length'],
  });
export type ConstrainedWordsConfig = z.infer<typeof constrainedWordsSchema>;

export interface WordConstraints {
  length: number;
  required: string;
  forbidden: string;
  start?: string;
}

export class ConstrainedWordsEnv extends TextEnv {
  readonly name = 'constrained-words';
  private readonly answerCache = new Map<string, string[]>();

  constructor(private readonly config: ConstrainedWordsConfig) {
    super({
      alphabet: `${config.alphabet}0123456789+-^`,
      maxPromptChars: 7,
      maxAnswerTokens: config.max_length + 1,
      maxTurns: 1,
      maxFeedbackChars: 0,
      testFraction: config.test_fraction,
      splitSeed: config.split_seed,
    });
  }

  inLexicon(word: string): boolean {
    return (
      this.config.lexicon_density >= 1 ||
      hashUnit(`lexicon:${this.config.lexicon_seed}:${word}`) < this.config.lexicon_density
    );
  }

  satisfies(word: string, c: WordConstraints): boolean {
    if (word.length !== c.length || !word.includes(c.required) || word.includes(c.forbidden)) return false;
    if (c.start !== undefined && word[0] !== c.start) return false;
    return [...word].every((ch) => this.config.alphabet.includes(ch)) && this.inLexicon(word);
  }

  /** Every valid answer of a prompt, enumerated (alphabet^k is small). */
  validAnswers(c: WordConstraints): string[] {
    const key = `${c.length}+${c.required}-${c.forbidden}^${c.start ?? ''}`;
    const cached = this.answerCache.get(key);
    if (cached) return cached;
    const letters = this.config.alphabet;
    const out: string[] = [];
    const total = letters.length ** c.length;
    for (let code = 0; code < total; code++) {
      let word = '';
      for (let i = 0, x = code; i < c.length; i++, x = Math.floor(x / letters.length))
        word += letters[x % letters.length];
      if (this.satisfies(word, c)) out.push(word);
    }
    this.answerCache.set(key, out);
    return out;
  }

  protected drawPrompt(rng: Rng): Prompt {
    const { alphabet, min_length, max_length, start_prob, min_answers } = this.config;
    for (let tries = 0; tries < 1000; tries++) {
      const length = min_length + rng.int(max_length - min_length + 1);
      const required = alphabet[rng.int(alphabet.length)];
      const others = [...alphabet].filter((ch) => ch !== required);
      const forbidden = others[rng.int(others.length)];
      const allowed = [...alphabet].filter((ch) => ch !== forbidden);
      const start = rng.next() < start_prob ? allowed[rng.int(allowed.length)] : undefined;
      const c: WordConstraints = { length, required, forbidden, start };
      if (this.validAnswers(c).length < min_answers) continue;
      return { id: `${length}+${required}-${forbidden}${start ? `^${start}` : ''}`, ...c };
    }
    throw new UserError(
      'no prompt with enough valid answers in 1000 draws; raise lexicon_density or lower min_answers',
      'env.min_answers',
    );
  }

  promptText(prompt: Prompt): string {
    return prompt.id;
  }

  private constraints(): WordConstraints {
    return this.prompt as unknown as WordConstraints;
  }

  protected judge(answer: string | null): TurnOutcome {
    const ok = answer !== null && this.satisfies(answer, this.constraints());
    return { reward: ok ? 1 : 0, success: ok, done: true };
  }

  expertAnswer(rng: Rng, wrong: boolean): string {
    const c = this.constraints();
    if (!wrong) {
      const valid = this.validAnswers(c);
      return valid[rng.int(valid.length)];
    }
    const letters = this.config.alphabet;
    for (;;) {
      let word = c.start ?? '';
      while (word.length < c.length) word += letters[rng.int(letters.length)];
      if (!this.satisfies(word, c)) return word;
    }
  }
}

export const constrainedWordsDefinition = defineEnv({
  name: 'constrained-words',
  summary: 'text: a k-letter word meeting letter constraints, many valid answers (single turn)',
  schema: constrainedWordsSchema as unknown as typeof constrainedWordsSchema,
  factory: (config) => () => new ConstrainedWordsEnv(config),
});
