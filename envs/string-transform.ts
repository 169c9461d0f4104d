// String transformation: reverse ('<'), sort ('^') or copy ('=') a random string. Exact match
// earns 1; with `partial_credit` a wrong answer earns the fraction of positions it got right
// (over the longer of the two lengths), but only an exact match counts as success. Single turn.
import { z } from 'zod';
import type { Rng } from '../src/base/rng.ts';
import { defineEnv, type Prompt } from './env.ts';
import { TextEnv, type TurnOutcome, textSplitShape } from './text-env.ts';

const OP_CHARS = { reverse: '<', sort: '^', copy: '=' } as const;
type Op = keyof typeof OP_CHARS;

export const stringTransformSchema = z
  .object({
    ops: z
      .array(z.enum(['reverse', 'sort', 'copy']))
      .min(1)
      .default(['reverse', 'sort', 'copy']),
    /** Letters the strings are made of. */
    alphabet: z
      .string()
      .regex(/^[a-z]+$/, 'lowercase letters only')
      .default('abcde'),
    min_length: z.number().int().min(1).default(2),
    max_length: z.number().int().min(1).max(16).default(5),
    /** Reward the fraction of correct positions instead of 0 for a wrong answer. */
    partial_credit: z.boolean().default(false),
    ...textSplitShape,
  })
  .strict()
  .refine((c) => c.min_length <= c.max_length, { message: 'min_length must be <= max_length', path: ['min_length'] });
export type StringTransformConfig = z.infer<typeof stringTransformSchema>;

export function transform(op: Op, text: string): string {
  if (op === 'reverse') return [...text].reverse().join('');
  if (op === 'sort') return [...text].sort().join('');
  return text;
}

/** Fraction of positions where `answer` matches `target`, over the longer length. */
export function positionalCredit(answer: string, target: string): number {
  const n = Math.max(answer.length, target.length);
  if (n === 0) return 1;
  let same = 0;
  for (let i = 0; i < Math.min(answer.length, target.length); i++) if (answer[i] === target[i]) same += 1;
  return same / n;
}

export class StringTransformEnv extends TextEnv {
  readonly name = 'string-transform';

  constructor(private readonly config: StringTransformConfig) {
    super({
      alphabet: config.alphabet + Object.values(OP_CHARS).join(''),
      maxPromptChars: config.max_length + 1,
      maxAnswerTokens: config.max_length + 1,
      maxTurns: 1,
      maxFeedbackChars: 0,
      testFraction: config.test_fraction,
      splitSeed: config.split_seed,
    });
  }

  protected drawPrompt(rng: Rng): Prompt {
    const { alphabet, min_length, max_length, ops } = this.config;
    const length = min_length + rng.int(max_length - min_length + 1);
    let text = '';
    for (let i = 0; i < length; i++) text += alphabet[rng.int(alphabet.length)];
    const op = ops[rng.int(ops.length)];
    return { id: `${OP_CHARS[op]}${text}`, op, text };
  }

  promptText(prompt: Prompt): string {
    return prompt.id;
  }

  private target(): string {
    return transform(this.prompt.op as Op, this.prompt.text as string);
  }

  protected judge(answer: string | null): TurnOutcome {
    const target = this.target();
    const exact = answer === target;
    const reward = exact ? 1 : this.config.partial_credit && answer !== null ? positionalCredit(answer, target) : 0;
    return { reward, success: exact, done: true };
  }

  expertAnswer(rng: Rng, wrong: boolean): string {
    const target = this.target();
    if (!wrong) return target;
    const chars = [...target];
    // swap two differing letters, else replace one letter
    for (let tries = 0; tries < 8 && chars.length > 1; tries++) {
      const i = rng.int(chars.length);
      const j = rng.int(chars.length);
      if (chars[i] !== chars[j]) {
        [chars[i], chars[j]] = [chars[j], chars[i]];
        return chars.join('');
      }
    }
    const { alphabet } = this.config;
    const i = rng.int(chars.length);
    const others = [...alphabet].filter((c) => c !== chars[i]);
    chars[i] = others.length > 0 ? others[rng.int(others.length)] : '';
    return chars.join('');
  }
}

export const stringTransformDefinition = defineEnv({
  name: 'string-transform',
  summary: 'text: reverse / sort / copy a string, exact match or partial credit (single turn)',
  schema: stringTransformSchema as unknown as typeof stringTransformSchema,
  factory: (config) => () => new StringTransformEnv(config),
});
