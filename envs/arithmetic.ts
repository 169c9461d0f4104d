// Arithmetic: "a+b" or "a-b" with operands of up to `digits` digits; reward 1 for the exact
// decimal answer (a leading '-' for negative results), 0 otherwise. Single turn.
import { z } from 'zod';
import type { Rng } from '../src/base/rng.ts';
import { defineEnv, type Prompt } from './env.ts';
import { TextEnv, type TurnOutcome, textSplitShape } from './text-env.ts';

export const arithmeticSchema = z
  .object({
    /** Operands are drawn uniformly from [0, 10^digits). */
    digits: z.number().int().min(1).max(4).default(2),
    /** Operations to draw from. */
    ops: z
      .array(z.enum(['+', '-']))
      .min(1)
      .default(['+', '-']),
    ...textSplitShape,
  })
  .strict();
export type ArithmeticConfig = z.infer<typeof arithmeticSchema>;

export class ArithmeticEnv extends TextEnv {
  readonly name = 'arithmetic';

  constructor(private readonly config: ArithmeticConfig) {
    super({
      alphabet: '0123456789+-',
      maxPromptChars: 2 * config.digits + 1,
      maxAnswerTokens: config.digits + 2,
      maxTurns: 1,
      maxFeedbackChars: 0,
      testFraction: config.test_fraction,
      splitSeed: config.split_seed,
    });
  }

  protected drawPrompt(rng: Rng): Prompt {
    const n = 10 ** this.config.digits;
    const a = rng.int(n);
    const b = rng.int(n);
    const op = this.config.ops[rng.int(this.config.ops.length)];
    return { id: `${a}${op}${b}`, a, b, op };
  }

  promptText(prompt: Prompt): string {
    return prompt.id;
  }

  static answerOf(prompt: Prompt): number {
    const a = prompt.a as number;
    const b = prompt.b as number;
    return prompt.op === '+' ? a + b : a - b;
  }

  protected judge(answer: string | null): TurnOutcome {
    const ok = answer !== null && answer === String(ArithmeticEnv.answerOf(this.prompt));
    return { reward: ok ? 1 : 0, success: ok, done: true };
  }

  expertAnswer(rng: Rng, wrong: boolean): string {
    const right = ArithmeticEnv.answerOf(this.prompt);
    if (!wrong) return String(right);
    // a plausible slip: off by 1–3, or by ±10 (a carry mistake)
    const offsets = [-10, -3, -2, -1, 1, 2, 3, 10];
    return String(right + offsets[rng.int(offsets.length)]);
  }
}

export const arithmeticDefinition = defineEnv({
  name: 'arithmetic',
  summary: 'text: a+b / a-b with exact-answer reward (single turn)',
  schema: arithmeticSchema,
  factory: (config) => () => new ArithmeticEnv(config),
});
