// Text environments: rewards on hand-made right and wrong answers, episode logic (turn closing,
// malformed turns, multi-turn feedback), disjoint seeded splits, and expert demonstrations.
import { describe, expect, it } from 'vitest';
import { ArithmeticEnv, arithmeticSchema } from '../../envs/arithmetic.ts';
import { ConstrainedWordsEnv, constrainedWordsSchema } from '../../envs/constrained-words.ts';
import type { Prompt } from '../../envs/env.ts';
import { GuessNumberEnv, guessNumberSchema } from '../../envs/guess-number.ts';
import { positionalCredit, StringTransformEnv, stringTransformSchema } from '../../envs/string-transform.ts';
import { demonstrate, type TextEnv } from '../../envs/text-env.ts';
import { Rng } from '../../src/base/rng.ts';
import { BOS, EOS, SEP } from '../../src/base/tokenizer.ts';

/** Play `answers` (one per turn, each closed with EOS); return the step results' totals. */
function play(env: TextEnv, prompt: Prompt, answers: string[]) {
  env.reset(prompt, new Rng('x'));
  let reward = 0;
  let success = false;
  let done = false;
  let steps = 0;
  for (const answer of answers) {
    for (const t of [...env.tokenizer.encode(answer), EOS]) {
      const r = env.step(t);
      steps += 1;
      reward += r.reward;
      success ||= r.success;
      done = r.done;
      if (r.turnEnded) break;
    }
    if (done) break;
  }
  return { reward, success, done, steps, turn: env.turn };
}

describe('arithmetic', () => {
  const env = new ArithmeticEnv(arithmeticSchema.parse({ digits: 2 }));
  const prompt = { id: '47-59', a: 47, b: 59, op: '-' };

  it('rewards the exact answer only', () => {
    expect(play(env, prompt, ['-12'])).toMatchObject({ reward: 1, success: true, done: true, turn: 1 });
    expect(play(env, prompt, ['12']).reward).toBe(0);
    expect(play(env, prompt, ['-012']).reward).toBe(0);
    expect(play(env, { id: '47+59', a: 47, b: 59, op: '+' }, ['106']).reward).toBe(1);
  });

  it('observes <bos> prompt <sep> answer, and closes an over-long turn as wrong', () => {
    env.reset(prompt, new Rng('x'));
    expect(Array.from(env.observe())).toEqual([BOS, ...env.tokenizer.encode('47-59'), SEP]);
    env.step(env.tokenizer.encode('-')[0]);
    expect(env.observe().length).toBe(8);
    expect(env.render()).toBe('<bos>47-59<sep>-');
    // digits+2 = 4 answer tokens allowed; the 5th non-EOS token ends the episode unrewarded
    const out = play(env, prompt, ['-1212']);
    expect(out).toMatchObject({ reward: 0, done: true, steps: 5 });
    expect(env.maxTokens).toBe(5);
  });

  it('a special token inside the answer makes it malformed', () => {
    env.reset(prompt, new Rng('x'));
    for (const t of [...env.tokenizer.encode('-1'), SEP, ...env.tokenizer.encode('2'), EOS]) {
      const r = env.step(t);
      if (r.done) expect(r.reward).toBe(0);
    }
  });

  it('train and test splits are disjoint, seeded and stable', () => {
    const rng = new Rng('s');
    const test = new Set(Array.from({ length: 300 }, () => env.samplePrompt(rng, 'test').id));
    const train = new Set(Array.from({ length: 1000 }, () => env.samplePrompt(rng, 'train').id));
    expect([...test].filter((id) => train.has(id))).toEqual([]);
    expect(test.size).toBeGreaterThan(100);
    const other = new ArithmeticEnv(arithmeticSchema.parse({ digits: 2, split_seed: 1 }));
    expect([...test].filter((id) => other.splitOf({ id }) === 'test').length).toBeLessThan(test.size * 0.5);
  });

  it('expert demonstrations are right, wrong ones are wrong', () => {
    const rng = new Rng('d');
    for (let i = 0; i < 20; i++) {
      const p = env.samplePrompt(rng, 'train');
      expect(demonstrate(env, p, rng, false).success).toBe(true);
      expect(demonstrate(env, p, rng, true).success).toBe(false);
    }
  });
});

describe('string-transform', () => {
  const env = new StringTransformEnv(stringTransformSchema.parse({}));
  const partial = new StringTransformEnv(stringTransformSchema.parse({ partial_credit: true }));

  it('rewards reverse, sort and copy exactly', () => {
    expect(play(env, { id: '<abcd', op: 'reverse', text: 'abcd' }, ['dcba']).reward).toBe(1);
    expect(play(env, { id: '<abcd', op: 'reverse', text: 'abcd' }, ['abcd']).reward).toBe(0);
    expect(play(env, { id: '^dbca', op: 'sort', text: 'dbca' }, ['abcd']).reward).toBe(1);
    expect(play(env, { id: '=cab', op: 'copy', text: 'cab' }, ['cab']).success).toBe(true);
    expect(play(env, { id: '=cab', op: 'copy', text: 'cab' }, ['ca']).reward).toBe(0);
  });

  it('partial credit: fraction of positions over the longer length, success only when exact', () => {
    expect(positionalCredit('dcab', 'dcba')).toBe(0.5);
    expect(positionalCredit('dc', 'dcba')).toBe(0.5);
    expect(positionalCredit('dcbaa', 'dcba')).toBe(0.8);
    const out = play(partial, { id: '<abcd', op: 'reverse', text: 'abcd' }, ['dcab']);
    expect(out).toMatchObject({ reward: 0.5, success: false });
    expect(play(partial, { id: '<abcd', op: 'reverse', text: 'abcd' }, ['dcba']).reward).toBe(1);
  });

  it('expert demonstrations', () => {
    const rng = new Rng('d');
    for (let i = 0; i < 20; i++) {
      const p = env.samplePrompt(rng, 'test');
      expect(demonstrate(env, p, rng, false).success).toBe(true);
      expect(demonstrate(env, p, rng, true).success).toBe(false);
    }
  });
});

describe('constrained-words', () => {
  const env = new ConstrainedWordsEnv(constrainedWordsSchema.parse({ lexicon_density: 1 }));
  const hidden = new ConstrainedWordsEnv(constrainedWordsSchema.parse({ lexicon_density: 0.5 }));
  const prompt = { id: '4+a-c^b', length: 4, required: 'a', forbidden: 'c', start: 'b' };

  it('accepts any word meeting the constraints and rejects each kind of violation', () => {
    for (const good of ['baaa', 'bade', 'bfea', 'bbba']) expect(play(env, prompt, [good]).reward).toBe(1);
    for (const bad of ['bdde', 'baca', 'abda', 'bad', 'badee', 'ba1a']) expect(play(env, prompt, [bad]).reward).toBe(0);
  });

  it('the hidden lexicon keeps several but not all valid answers per prompt', () => {
    const all = env.validAnswers(prompt);
    const words = hidden.validAnswers(prompt);
    expect(words.length).toBeGreaterThan(all.length * 0.3);
    expect(words.length).toBeLessThan(all.length * 0.7);
    const rejected = all.find((w) => !words.includes(w))!;
    expect(play(hidden, prompt, [words[0]]).reward).toBe(1);
    expect(play(hidden, prompt, [rejected]).reward).toBe(0);
    const rng = new Rng('p');
    for (let i = 0; i < 30; i++)
      expect(hidden.validAnswers(hidden.samplePrompt(rng, 'train') as never).length).toBeGreaterThanOrEqual(3);
  });

  it('expert demonstrations are diverse and valid; wrong ones invalid', () => {
    const rng = new Rng('d');
    const answers = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const demo = demonstrate(hidden, prompt, rng, false);
      expect(demo.success).toBe(true);
      answers.add(hidden.tokenizer.decode(demo.actions, true));
      expect(demonstrate(hidden, prompt, rng, true).success).toBe(false);
    }
    expect(answers.size).toBeGreaterThan(3);
  });
});

describe('guess-number (multi-turn)', () => {
  const env = new GuessNumberEnv(guessNumberSchema.parse({ max_number: 15, max_turns: 4 }));
  const prompt = { id: '2-13:9', lo: 2, hi: 13, secret: 9 };

  it('gives higher/lower feedback, appends it to the dialogue, and rewards only the right guess', () => {
    env.reset(prompt, new Rng('x'));
    const tok = env.tokenizer;
    const say = (text: string) => [...tok.encode(text), EOS].map((t) => env.step(t));
    const first = say('7');
    expect(first[1]).toEqual({ reward: 0, done: false, success: false, turnEnded: true });
    expect(env.turn).toBe(1);
    expect(env.render()).toBe('<bos>2-13<sep>7<eos>><sep>');
    say('12');
    expect(env.render()).toBe('<bos>2-13<sep>7<eos>><sep>12<eos><<sep>');
    expect(env.consistentRange()).toEqual([8, 11]);
    say('99'); // out of range
    expect(env.render().endsWith('99<eos>?<sep>')).toBe(true);
    const last = say('9');
    expect(last[1]).toMatchObject({ reward: 1, success: true, done: true });
    expect(env.turn).toBe(4);
  });

  it('ends unrewarded after max_turns wrong guesses; an early right guess ends at once', () => {
    expect(play(env, prompt, ['2', '3', '4', '5', '9'])).toMatchObject({
      reward: 0,
      success: false,
      done: true,
      turn: 4,
    });
    expect(play(env, prompt, ['9'])).toMatchObject({ reward: 1, done: true, turn: 1 });
    // an empty answer is malformed, not a crash
    expect(play(env, prompt, ['', '9'])).toMatchObject({ reward: 1, turn: 2 });
  });

  it('the bisecting expert always wins within the turn limit; observation length stays within maxLength', () => {
    const wide = new GuessNumberEnv(guessNumberSchema.parse({}));
    const rng = new Rng('d');
    for (let i = 0; i < 40; i++) {
      const p = wide.samplePrompt(rng, i % 2 ? 'test' : 'train');
      const demo = demonstrate(wide, p, rng, false);
      expect(demo.success).toBe(true);
      for (const o of demo.observations)
        expect(o.length).toBeLessThanOrEqual(wide.observation.kind === 'tokens' ? wide.observation.maxLength : 0);
    }
  });
});
