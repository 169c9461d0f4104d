// Word search: word-hunt's prompt (`+ab-c`: a word with an `a` and a `b`, no `c`) over several
// turns. After each try the env answers `!` (the letter constraints are broken or the turn is
// malformed) or `?` (the string meets them but is not a word of the hidden lexicon), and the
// policy tries again, up to `max_turns` tries. Reward 1 only when a try is a valid word (sparse,
// multi-turn). The expert is a searcher that knows the constraints but not the lexicon: each try a
// fresh random string meeting them, so its dialogues show how to use the feedback (never repeat a
// try) and succeed about 1 − (1 − density)^turns of the time. GRPO learns which strings are words
// and narrows onto them, the multi-turn counterpart of word-hunt's entropy collapse.
import { z } from 'zod';
import type { Rng } from '../src/base/rng.ts';
import { defineEnv, type Prompt } from './env.ts';
import { TextEnv, type TurnOutcome, textSplitShape } from './text-env.ts';
import {
  drawHuntPrompt,
  type HuntConstraints,
  huntCandidate,
  huntShape,
  inHuntLexicon,
  lengthsInOrder,
  MAX_EXPERT_DRAWS,
  meetsHunt,
  type WordHuntConfig,
} from './word-hunt.ts';

export const wordSearchSchema = z
  .object({
    // the lexicon is word-hunt's for the same seed
    ...huntShape,
    /** Tries per episode. */
    max_turns: z.number().int().min(1).max(8).default(4),
    ...textSplitShape,
  })
  .strict()
  .refine(...lengthsInOrder);
export type WordSearchConfig = z.infer<typeof wordSearchSchema>;

/** Feedback after a try that breaks the letter constraints (or is malformed). */
export const BROKEN = '!';
/** Feedback after a try that meets the constraints but is not a word. */
export const NOT_A_WORD = '?';

export class WordSearchEnv extends TextEnv {
  readonly name = 'word-search';
  private readonly lexicon: WordHuntConfig;

  constructor(private readonly config: WordSearchConfig) {
    super({
      alphabet: `${config.alphabet}+-${BROKEN}${NOT_A_WORD}`,
      maxPromptChars: 5,
      maxAnswerTokens: config.max_length,
      maxTurns: config.max_turns,
      maxFeedbackChars: 1,
      testFraction: config.test_fraction,
      splitSeed: config.split_seed,
    });
    const { max_turns: _turns, ...hunt } = config;
    this.lexicon = hunt;
  }

  /** Whether `word` answers the prompt: a lexicon word with both required letters and not the forbidden one. */
  accepts(word: string, c: HuntConstraints): boolean {
    return meetsHunt(word, c) && inHuntLexicon(this.lexicon, word);
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
    const c = this.constraints();
    if (answer !== null && this.accepts(answer, c)) return { reward: 1, success: true, done: true };
    const feedback = answer !== null && meetsHunt(answer, c) && inAlphabet(answer, this.config) ? NOT_A_WORD : BROKEN;
    return { reward: 0, success: false, done: false, feedback };
  }

  /**
   * Expert: a random string meeting the constraints that it has not tried yet (it does not know the
   * lexicon). A wrong expert repeats its previous try, or on the first turn breaks a constraint.
   */
  expertAnswer(rng: Rng, wrong: boolean): string {
    const c = this.constraints();
    const tried = new Set(this.history.map((h) => h.answer));
    if (wrong) {
      const last = this.history.at(-1)?.answer;
      if (last) return last;
      const spoilt = [...huntCandidate(rng, this.lexicon, c)];
      spoilt[rng.int(spoilt.length)] = c.forbidden;
      return spoilt.join('');
    }
    // bounded (a synchronous loop no signal interrupts): when every string meeting the constraints
    // has been tried (a tiny alphabet, more turns than candidates) the expert repeats its last draw
    let word = '';
    for (let draw = 0; draw < MAX_EXPERT_DRAWS; draw++) {
      word = huntCandidate(rng, this.lexicon, c);
      if (!tried.has(word)) return word;
    }
    return word;
  }
}

function inAlphabet(word: string, config: WordSearchConfig): boolean {
  return (
    word.length >= config.min_length &&
    word.length <= config.max_length &&
    [...word].every((ch) => config.alphabet.includes(ch))
  );
}

export const wordSearchDefinition = defineEnv({
  name: 'word-search',
  summary: "text: word-hunt's prompts over several tries with not-a-word feedback, reward only on a word (multi-turn)",
  schema: wordSearchSchema as unknown as typeof wordSearchSchema,
  factory: (config) => () => new WordSearchEnv(config),
});
