// Shared machinery of the text environments. The dialogue is one token sequence:
//   <bos> prompt <sep> answer₀ <eos> feedback₀ <sep> answer₁ <eos> …
// The policy writes the answers one character token at a time; its end-of-turn token (<eos>)
// closes a turn, which the task judges: a single-turn task ends with its reward, a multi-turn task
// appends its feedback and waits for the next answer. A turn longer than `maxAnswerTokens`
// characters, or one containing a special token, is malformed (judged as `null`).
// Train/test prompts are split by a seeded hash of the prompt id, so both splits are fixed by the
// config and disjoint. Every task also has an expert (a demonstration generator for SFT).
import { z } from 'zod';
import { UserError } from '../src/base/errors.ts';
import type { Rng } from '../src/base/rng.ts';
import { BOS, EOS, SEP, Tokenizer } from '../src/base/tokenizer.ts';
import type { Env, ObservationSpec, Prompt, Split, StepResult } from './env.ts';

/** Config keys every text env accepts (spread into each env's schema). */
export const textSplitShape = {
  /** Fraction of the prompt space held out as the test split. */
  test_fraction: z.number().gt(0).lt(1).default(0.2),
  /** Seed of the train/test split hash (independent of the run seed, so runs share a test set). */
  split_seed: z.number().int().min(0).default(0),
};

export interface TurnOutcome {
  reward: number;
  success: boolean;
  /** True when the episode ends after this turn (the last allowed turn always ends it). */
  done: boolean;
  /** Text appended to the dialogue after the answer when the episode goes on. */
  feedback?: string;
}

export interface TextEnvLayout {
  /** Every character that may appear in prompts, answers or feedback. */
  alphabet: string;
  maxPromptChars: number;
  maxAnswerTokens: number;
  maxTurns: number;
  maxFeedbackChars: number;
  testFraction: number;
  splitSeed: number;
}

/** 32-bit FNV-1a of a string, as a number in [0, 1). */
export function hashUnit(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // one extra avalanche round so short, similar ids spread out
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  return (h >>> 0) / 4294967296;
}

export abstract class TextEnv implements Env {
  abstract readonly name: string;
  readonly tokenizer: Tokenizer;
  readonly numActions: number;
  readonly observation: ObservationSpec;
  readonly maxTokens: number;
  protected prompt: Prompt = { id: '' };
  /** Answers (text, or null when malformed) and feedback of the finished turns of this episode. */
  protected history: { answer: string | null; feedback: string }[] = [];
  private context: number[] = [];
  private answer: number[] = [];
  private turns = 0;
  private finished = true;

  constructor(protected readonly layout: TextEnvLayout) {
    this.tokenizer = new Tokenizer(layout.alphabet);
    this.numActions = this.tokenizer.vocabSize;
    this.maxTokens = layout.maxTurns * (layout.maxAnswerTokens + 1);
    const maxLength =
      2 + layout.maxPromptChars + this.maxTokens + (layout.maxTurns - 1) * (layout.maxFeedbackChars + 1);
    this.observation = { kind: 'tokens', vocabSize: this.tokenizer.vocabSize, maxLength };
  }

  /** Draw any prompt of the task (the split is applied by `samplePrompt`). */
  protected abstract drawPrompt(rng: Rng): Prompt;
  /** The prompt as the policy reads it. */
  abstract promptText(prompt: Prompt): string;
  /** Judge the answer of turn `turn` (null = malformed) given `this.prompt` and `this.history`. */
  protected abstract judge(answer: string | null, turn: number): TurnOutcome;
  /** The expert's answer for the current turn; `wrong` asks for a plausible mistake instead. */
  abstract expertAnswer(rng: Rng, wrong: boolean): string;

  get turn(): number {
    return this.turns;
  }

  get isDone(): boolean {
    return this.finished;
  }

  splitOf(prompt: Prompt): Split {
    return hashUnit(`${this.name}:${this.layout.splitSeed}:${prompt.id}`) < this.layout.testFraction ? 'test' : 'train';
  }

  samplePrompt(rng: Rng, split: Split): Prompt {
    for (let tries = 0; tries < 10000; tries++) {
      const p = this.drawPrompt(rng);
      if (this.splitOf(p) === split) return p;
    }
    throw new UserError(
      `no ${split} prompt found in 10000 draws; change test_fraction or the task size`,
      'env.test_fraction',
    );
  }

  reset(prompt: Prompt, _rng: Rng): void {
    this.prompt = prompt;
    this.history = [];
    this.context = [BOS, ...this.tokenizer.encode(this.promptText(prompt)), SEP];
    this.answer = [];
    this.turns = 0;
    this.finished = false;
  }

  observe(): Int32Array {
    return Int32Array.from(this.context);
  }

  step(action: number): StepResult {
    if (this.finished) throw new Error('step() after the episode ended');
    if (!Number.isInteger(action) || action < 0 || action >= this.numActions)
      throw new Error(`token ${action} is outside the vocabulary`);
    this.context.push(action);
    if (action !== EOS) {
      this.answer.push(action);
      if (this.answer.length <= this.layout.maxAnswerTokens)
        return { reward: 0, done: false, success: false, turnEnded: false };
    }
    const wellFormed = action === EOS && !this.answer.some((t) => this.tokenizer.isSpecial(t));
    const text = wellFormed ? this.tokenizer.decode(this.answer) : null;
    const outcome = this.judge(text, this.turns);
    this.turns += 1;
    this.answer = [];
    const done = outcome.done || outcome.success || this.turns >= this.layout.maxTurns;
    const feedback = outcome.feedback ?? '';
    this.history.push({ answer: text, feedback });
    if (!done) this.context.push(...this.tokenizer.encode(feedback), SEP);
    this.finished = done;
    return { reward: outcome.reward, done, success: outcome.success, turnEnded: true };
  }

  render(): string {
    return this.tokenizer.decode(this.context);
  }

  actionName(action: number): string {
    return this.tokenizer.tokens[action] ?? `<${action}?>`;
  }
}

/**
 * Play one episode with the task's expert (the SFT demonstration): returns the observation before
 * each token and the tokens, i.e. an EpisodeRecord, plus its outcome.
 */
export function demonstrate(
  env: TextEnv,
  prompt: Prompt,
  rng: Rng,
  wrong: boolean,
): { observations: Int32Array[]; actions: number[]; reward: number; success: boolean } {
  env.reset(prompt, rng);
  const observations: Int32Array[] = [];
  const actions: number[] = [];
  let reward = 0;
  let success = false;
  while (!env.isDone) {
    const tokens = [...env.tokenizer.encode(env.expertAnswer(rng, wrong)), EOS];
    for (const t of tokens) {
      observations.push(env.observe());
      actions.push(t);
      const r = env.step(t);
      reward += r.reward;
      success ||= r.success;
      if (r.turnEnded) break;
    }
  }
  return { observations, actions, reward, success };
}
