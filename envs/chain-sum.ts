// Chain sum with a scratchpad: the prompt is a sum of `terms` numbers ("3+7+5"); the response is a
// thinking phase, the end-of-thinking mark '|', then the answer ("3+7=10,10+5=15|15"). Only the
// answer after the last '|' is judged (1 for the exact sum, else 0); the scratchpad is free text, so
// a policy can think at length, tersely ("10,15|15") or not at all ("15"). The task PEAR's phase
// split is made for (docs/pear.md): the two phases are marked in the response itself. Single turn.
import { z } from 'zod';
import type { Rng } from '../src/base/rng.ts';
import { defineEnv, type Prompt } from './env.ts';
import { TextEnv, type TurnOutcome, textSplitShape } from './text-env.ts';

/** The end-of-thinking mark: the answer is what follows the last one. */
export const THINK_END = '|';

export const chainSumSchema = z
  .object({
    /** Numbers to add. */
    terms: z.number().int().min(2).max(5).default(3),
    /** Each number is drawn uniformly from [0, 10^digits). */
    digits: z.number().int().min(1).max(2).default(1),
    /**
     * The expert's scratchpad style, for SFT: the fraction of demonstrations that write every
     * addition out ("3+7=10,10+5=15|15"); the others write the running sums only ("10,15|15").
     */
    verbose_fraction: z.number().min(0).max(1).default(0.5),
    ...textSplitShape,
  })
  .strict();
export type ChainSumConfig = z.infer<typeof chainSumSchema>;

/** The judged part of a response: the text after its last '|', or all of it when there is none. */
export function answerPart(response: string): string {
  return response.slice(response.lastIndexOf(THINK_END) + 1);
}

export class ChainSumEnv extends TextEnv {
  readonly name = 'chain-sum';

  constructor(private readonly config: ChainSumConfig) {
    const sumDigits = String(config.terms * (10 ** config.digits - 1)).length;
    // the verbose scratchpad: "a+b=s," per addition, then '|' and the answer
    const step = 2 * sumDigits + config.digits + 3;
    super({
      alphabet: `0123456789+=,${THINK_END}`,
      maxPromptChars: config.terms * (config.digits + 1) - 1,
      maxAnswerTokens: (config.terms - 1) * step + sumDigits,
      maxTurns: 1,
      maxFeedbackChars: 0,
      testFraction: config.test_fraction,
      splitSeed: config.split_seed,
    });
  }

  protected drawPrompt(rng: Rng): Prompt {
    const n = 10 ** this.config.digits;
    const numbers = Array.from({ length: this.config.terms }, () => rng.int(n));
    return { id: numbers.join('+'), numbers };
  }

  promptText(prompt: Prompt): string {
    return prompt.id;
  }

  static sumOf(prompt: Prompt): number {
    return (prompt.numbers as number[]).reduce((a, b) => a + b, 0);
  }

  protected judge(answer: string | null): TurnOutcome {
    const ok = answer !== null && answerPart(answer) === String(ChainSumEnv.sumOf(this.prompt));
    return { reward: ok ? 1 : 0, success: ok, done: true };
  }

  /**
   * Running sums, verbose or terse; `wrong` slips once (±1 or ±10 on one partial sum) and carries
   * the slip to the answer, as a person adding in their head would.
   */
  expertAnswer(rng: Rng, wrong: boolean): string {
    const numbers = this.prompt.numbers as number[];
    const verbose = rng.next() < this.config.verbose_fraction;
    const slipAt = wrong ? 1 + rng.int(numbers.length - 1) : -1;
    const offsets = [-10, -1, 1, 10];
    let total = numbers[0];
    const steps: string[] = [];
    for (let i = 1; i < numbers.length; i++) {
      let next = total + numbers[i];
      if (i === slipAt) {
        const offset = offsets[rng.int(offsets.length)];
        next = next + offset >= 0 ? next + offset : next - offset;
      }
      steps.push(verbose ? `${total}+${numbers[i]}=${next}` : String(next));
      total = next;
    }
    return `${steps.join(',')}${THINK_END}${total}`;
  }
}

export const chainSumDefinition = defineEnv({
  name: 'chain-sum',
  summary: 'text: a sum of numbers with a scratchpad before the answer ("3+7=10,10+5=15|15"; single turn)',
  schema: chainSumSchema,
  factory: (config) => () => new ChainSumEnv(config),
});
