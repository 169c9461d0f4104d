// word-search: the feedback and reward of each try on hand-made words, the lexicon shared with
// word-hunt, the disjoint seeded split, determinism by seed, and the searching expert.
import { describe, expect, it } from 'vitest';
import { demonstrate } from '../../envs/text-env.ts';
import { WordHuntEnv, wordHuntSchema } from '../../envs/word-hunt.ts';
import { WordSearchEnv, wordSearchSchema } from '../../envs/word-search.ts';
import { Rng } from '../../src/base/rng.ts';
import { EOS } from '../../src/base/tokenizer.ts';
import { loadConfig } from '../../src/config/load.ts';

const env = new WordSearchEnv(wordSearchSchema.parse({ max_turns: 3 }));
const hunt = new WordHuntEnv(wordHuntSchema.parse({}));
const prompt = { id: '+ab-c', required: 'ab', forbidden: 'c' };
const c = { required: 'ab', forbidden: 'c' };

/** Play `tries` (each closed with <eos>) until the episode ends; the reward and the dialogue. */
function play(tries: string[]) {
  env.reset(prompt, new Rng('x'));
  let reward = 0;
  let success = false;
  for (const text of tries) {
    for (const t of [...env.tokenizer.encode(text), EOS]) {
      const r = env.step(t);
      reward += r.reward;
      success ||= r.success;
      if (r.turnEnded) break;
    }
    if (env.isDone) break;
  }
  return { reward, success, done: env.isDone, turn: env.turn, text: env.render() };
}

// strings meeting +ab-c, split by the hidden lexicon
const rng = new Rng('w');
const meeting = Array.from({ length: 400 }, () => {
  let s = 'ab';
  const length = 3 + rng.int(3);
  while (s.length < length) s += 'defghijklmnopqrstuvwxyz'[rng.int(23)];
  return s;
});
const words = meeting.filter((w) => hunt.inLexicon(w));
const nonWords = meeting.filter((w) => !hunt.inLexicon(w));

describe('word-search (multi-turn)', () => {
  it('has a 34-token vocabulary and the dialogue fits the context', () => {
    expect(env.numActions).toBe(34);
    expect(env.observation).toEqual({ kind: 'tokens', vocabSize: 34, maxLength: 2 + 5 + 3 * 6 + 2 * 2 });
  });

  it("answers ? to a non-word, ! to a broken constraint, and rewards a word of word-hunt's lexicon", () => {
    expect(words.length).toBeGreaterThan(20);
    const [w] = words;
    const [n1, n2] = nonWords;
    expect(play([n1, 'abcd', w])).toMatchObject({
      reward: 1,
      success: true,
      done: true,
      turn: 3,
      text: `<bos>+ab-c<sep>${n1}<eos>?<sep>abcd<eos>!<sep>${w}<eos>`,
    });
    expect(play([w])).toMatchObject({ reward: 1, turn: 1 });
    // too long (closed at its 6th letter, no <eos>), too short and empty are broken; three misses end the episode
    expect(play(['abzzzz', 'ab', '']).text).toBe('<bos>+ab-c<sep>abzzzz!<sep>ab<eos>!<sep><eos>');
    expect(play([n1, n2, n1])).toMatchObject({ reward: 0, success: false, done: true, turn: 3 });
    for (const word of words) expect(env.accepts(word, c)).toBe(true);
    for (const word of nonWords) expect(env.accepts(word, c)).toBe(false);
  });

  it('train and test prompts are disjoint and are word-hunt’s split', () => {
    const r = new Rng('s');
    const test = new Set(Array.from({ length: 2000 }, () => env.samplePrompt(r, 'test').id));
    const train = new Set(Array.from({ length: 4000 }, () => env.samplePrompt(r, 'train').id));
    expect([...test].filter((id) => train.has(id))).toEqual([]);
    expect(test.size).toBeGreaterThan(700);
    const other = new WordSearchEnv(wordSearchSchema.parse({ split_seed: 1 }));
    expect([...test].filter((id) => other.splitOf({ id }) === 'test').length).toBeLessThan(test.size * 0.5);
  });

  it('the same seed gives the same prompts and dialogues', () => {
    const run = (seed: string) => {
      const r = new Rng(seed);
      return Array.from({ length: 20 }, () => {
        const p = env.samplePrompt(r, 'train');
        return demonstrate(env, p, r, r.next() < 0.3).actions.join(',');
      });
    };
    expect(run('a')).toEqual(run('a'));
    expect(run('a')).not.toEqual(run('b'));
  });

  it('the expert tries distinct strings meeting the constraints and succeeds about 1 − 0.9^turns of the time', () => {
    const r = new Rng('d');
    let wins = 0;
    const n = 600;
    for (let i = 0; i < n; i++) {
      const p = env.samplePrompt(r, i % 2 ? 'test' : 'train');
      const { required, forbidden } = p as unknown as { required: string; forbidden: string };
      const demo = demonstrate(env, p, r, false);
      wins += demo.success ? 1 : 0;
      const tries = env
        .render()
        .split('<sep>')
        .slice(1)
        .map((t) => t.split('<eos>')[0]);
      expect(new Set(tries).size).toBe(tries.length);
      for (const t of tries)
        expect(t).toMatch(new RegExp(`^(?=.*${required[0]})(?=.*${required[1]})[^${forbidden}]{3,5}$`));
      expect(demo.success).toBe(env.accepts(tries.at(-1)!, p as never));
      expect(demonstrate(env, p, r, true).reward).toBe(0);
    }
    // 1 − 0.9³ = 0.271; 600 dialogues give a standard error of 0.018
    expect(wins / n).toBeGreaterThan(0.2);
    expect(wins / n).toBeLessThan(0.34);
  });

  it('the shipped GRPO config warm-starts from its SFT run and logs pass@1, 16 and 64 from 64 samples on held-out prompts', () => {
    const config = loadConfig('configs/text-word-search.yaml');
    expect(config.init_from).toBe('runs/sft-word-search');
    expect(config.env).toEqual(loadConfig('configs/sft-word-search.yaml').env);
    expect(config.eval).toMatchObject({ samples: 64, log_pass_k: [1, 16, 64] });
    expect(config.eval.every).toBeGreaterThan(0);
  });

  it('with more tries than strings meeting the constraints, the expert repeats its last try instead of searching forever', () => {
    // 2-letter words of 4 letters: the 2 orders of the required letters; 4 tries, no word in the lexicon
    const tiny = new WordSearchEnv(
      wordSearchSchema.parse({ alphabet: 'abcd', min_length: 2, max_length: 2, lexicon_density: 1e-12, max_turns: 4 }),
    );
    const rng = new Rng('tiny');
    const p = tiny.samplePrompt(rng, 'train');
    const demo = demonstrate(tiny, p, rng, false);
    expect(demo.reward).toBe(0);
    const tries = tiny.render().split('<sep>').slice(1);
    expect(tries).toHaveLength(4);
    const words = tries.map((t) => t.replace(/<eos>.*/, ''));
    // the first two tries are the two candidates; the later ones repeat
    expect(new Set(words.slice(0, 2)).size).toBe(2);
    expect(new Set(words).size).toBe(2);
  });
});
