// Guess the number: the prompt shows a range "lo-hi" (e.g. "3-12"); the policy guesses a number,
// the env answers '<' (the secret is smaller), '>' (larger) or '?' (malformed or out of range), for
// at most `max_turns` guesses. Reward 1 only when the secret is guessed (sparse, multi-turn: the
// setting EPO targets). The observation is the whole dialogue so far.
import { z } from 'zod';
import type { Rng } from '../src/base/rng.ts';
import { defineEnv, type Prompt } from './env.ts';
import { TextEnv, type TurnOutcome, textSplitShape } from './text-env.ts';

export const guessNumberSchema = z
  .object({
    /** Secrets and ranges lie in [0, max_number]. */
    max_number: z.number().int().min(3).max(999).default(15),
    /** Guesses allowed per episode. */
    max_turns: z.number().int().min(1).max(12).default(5),
    /** Draw a sub-range per prompt (at least 4 numbers wide); false = always 0-max_number. */
    random_range: z.boolean().default(true),
    ...textSplitShape,
    test_fraction: z.number().gt(0).lt(1).default(0.25),
  })
  .strict();
export type GuessNumberConfig = z.infer<typeof guessNumberSchema>;

export class GuessNumberEnv extends TextEnv {
  readonly name = 'guess-number';

  constructor(private readonly config: GuessNumberConfig) {
    const digits = String(config.max_number).length;
    super({
      alphabet: '0123456789-<>?',
      maxPromptChars: 2 * digits + 1,
      maxAnswerTokens: digits,
      maxTurns: config.max_turns,
      maxFeedbackChars: 1,
      testFraction: config.test_fraction,
      splitSeed: config.split_seed,
    });
  }

  protected drawPrompt(rng: Rng): Prompt {
    const n = this.config.max_number;
    let lo = 0;
    let hi = n;
    if (this.config.random_range) {
      do {
        lo = rng.int(n + 1);
        hi = rng.int(n + 1);
      } while (hi - lo < 3);
    }
    const secret = lo + rng.int(hi - lo + 1);
    return { id: `${lo}-${hi}:${secret}`, lo, hi, secret };
  }

  promptText(prompt: Prompt): string {
    return `${prompt.lo}-${prompt.hi}`;
  }

  protected judge(answer: string | null): TurnOutcome {
    const { lo, hi, secret } = this.prompt as unknown as { lo: number; hi: number; secret: number };
    const guess = answer !== null && /^\d+$/.test(answer) ? Number(answer) : NaN;
    if (guess === secret) return { reward: 1, success: true, done: true };
    const feedback = Number.isNaN(guess) || guess < lo || guess > hi ? '?' : secret < guess ? '<' : '>';
    return { reward: 0, success: false, done: false, feedback };
  }

  /** The interval still consistent with the feedback so far. */
  consistentRange(): [number, number] {
    let { lo, hi } = this.prompt as unknown as { lo: number; hi: number };
    for (const { answer, feedback } of this.history) {
      const g = Number(answer);
      if (feedback === '<') hi = Math.min(hi, g - 1);
      if (feedback === '>') lo = Math.max(lo, g + 1);
    }
    return [lo, hi];
  }

  /** Expert: bisect the consistent range; a wrong expert guesses anywhere in the prompt's range. */
  expertAnswer(rng: Rng, wrong: boolean): string {
    const { lo, hi } = this.prompt as unknown as { lo: number; hi: number };
    if (wrong) return String(lo + rng.int(hi - lo + 1));
    const [a, b] = this.consistentRange();
    return String(Math.floor((a + b) / 2));
  }
}

export const guessNumberDefinition = defineEnv({
  name: 'guess-number',
  summary: 'text: guess a secret number with higher/lower feedback, reward only on success (multi-turn)',
  schema: guessNumberSchema,
  factory: (config) => () => new GuessNumberEnv(config),
});
