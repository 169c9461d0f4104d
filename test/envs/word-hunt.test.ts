// word-hunt: the reward verifier on hand-made words, the hidden lexicon's density and seed, the
// disjoint seeded split, determinism by seed, and the expert's demonstrations.
import { describe, expect, it } from 'vitest';
import { demonstrate } from '../../envs/text-env.ts';
import { WordHuntEnv, wordHuntSchema } from '../../envs/word-hunt.ts';
import { Rng } from '../../src/base/rng.ts';
import { EOS } from '../../src/base/tokenizer.ts';
import { loadConfig } from '../../src/config/load.ts';

const env = new WordHuntEnv(wordHuntSchema.parse({}));
const everyString = new WordHuntEnv(wordHuntSchema.parse({ lexicon_density: 1 }));
const prompt = { id: '+ab-c', required: 'ab', forbidden: 'c' };

/** Answer `text` then <eos>; the episode's reward. */
function answer(e: WordHuntEnv, text: string): number {
  e.reset(prompt, new Rng('x'));
  let reward = 0;
  for (const t of [...e.tokenizer.encode(text), EOS]) {
    const r = e.step(t);
    reward += r.reward;
    if (r.done) break;
  }
  return reward;
}

/** A random string of the alphabet, 3–5 letters. */
function randomString(rng: Rng): string {
  let s = '';
  const length = 3 + rng.int(3);
  while (s.length < length) s += 'abcdefghijklmnopqrstuvwxyz'[rng.int(26)];
  return s;
}

describe('word-hunt', () => {
  it('has a 32-token vocabulary: 26 letters, + and -, and the 4 specials', () => {
    expect(env.numActions).toBe(32);
    env.reset(prompt, new Rng('x'));
    expect(env.render()).toBe('<bos>+ab-c<sep>');
  });

  it('with every string a word, accepts exactly the strings with both letters, without the third, of 3–5 letters', () => {
    for (const good of ['abd', 'bxa', 'zzab', 'abab', 'qbzza']) expect(answer(everyString, good)).toBe(1);
    // missing a, missing b, contains c, too short, too long, a non-letter, empty
    for (const bad of ['bdd', 'adzz', 'abc', 'ab', 'abzzzz', 'ab+', ''])
      expect([bad, answer(everyString, bad)]).toEqual([bad, 0]);
  });

  it('the hidden lexicon keeps lexicon_density of the strings and depends on its seed', () => {
    const rng = new Rng('l');
    const strings = Array.from({ length: 20000 }, () => randomString(rng));
    const words = strings.filter((s) => env.inLexicon(s));
    expect(words.length / strings.length).toBeGreaterThan(0.09);
    expect(words.length / strings.length).toBeLessThan(0.11);
    const other = new WordHuntEnv(wordHuntSchema.parse({ lexicon_seed: 1 }));
    const shared = words.filter((w) => other.inLexicon(w)).length / words.length;
    expect(shared).toBeLessThan(0.2);
    // a word meeting the constraints is rewarded, the same letters as a non-word are not
    const meeting = strings.map((s) => `ab${s.replaceAll('c', 'd')}`.slice(0, 5));
    const word = meeting.find((w) => env.inLexicon(w))!;
    const nonWord = meeting.find((w) => !env.inLexicon(w))!;
    expect(answer(env, word)).toBe(1);
    expect(answer(env, nonWord)).toBe(0);
  });

  it('train and test prompts are disjoint, seeded and stable, with thousands of prompts', () => {
    const rng = new Rng('s');
    const test = new Set(Array.from({ length: 2000 }, () => env.samplePrompt(rng, 'test').id));
    const train = new Set(Array.from({ length: 4000 }, () => env.samplePrompt(rng, 'train').id));
    expect([...test].filter((id) => train.has(id))).toEqual([]);
    expect(test.size).toBeGreaterThan(700);
    expect(train.size).toBeGreaterThan(2000);
    for (const id of test) expect(id).toMatch(/^\+([a-z])([a-z])-([a-z])$/);
    const other = new WordHuntEnv(wordHuntSchema.parse({ split_seed: 1 }));
    expect([...test].filter((id) => other.splitOf({ id }) === 'test').length).toBeLessThan(test.size * 0.5);
  });

  it('the same seed gives the same prompts and the same demonstrations', () => {
    const run = (seed: string) => {
      const rng = new Rng(seed);
      return Array.from({ length: 20 }, () => {
        const p = env.samplePrompt(rng, 'train');
        return [p.id, demonstrate(env, p, rng, rng.next() < 0.3).actions.join(',')];
      });
    };
    expect(run('a')).toEqual(run('a'));
    expect(run('a')).not.toEqual(run('b'));
  });

  it('expert demonstrations are valid, diverse and fit the context; wrong ones are rewarded 0', () => {
    const rng = new Rng('d');
    const maxLength = env.observation.kind === 'tokens' ? env.observation.maxLength : 0;
    for (let i = 0; i < 50; i++) {
      const p = env.samplePrompt(rng, i % 2 ? 'test' : 'train');
      const right = demonstrate(env, p, rng, false);
      expect(right.success).toBe(true);
      for (const o of right.observations) expect(o.length).toBeLessThanOrEqual(maxLength);
      expect(demonstrate(env, p, rng, true).reward).toBe(0);
    }
    const answers = new Set<string>();
    for (let i = 0; i < 40; i++) answers.add(env.tokenizer.decode(demonstrate(env, prompt, rng, false).actions, true));
    expect(answers.size).toBeGreaterThan(35);
    for (const a of answers) expect(answer(env, a)).toBe(1);
  });

  it('with every string a word, a wrong demonstration is still found (spoilt), not searched for forever', () => {
    const rng = new Rng('w');
    for (let i = 0; i < 20; i++) {
      const p = everyString.samplePrompt(rng, 'train');
      expect(demonstrate(everyString, p, rng, true).reward).toBe(0);
      expect(demonstrate(everyString, p, rng, false).reward).toBe(1);
    }
  });

  it('a lexicon too sparse for the constraints is one UserError naming the keys, not an endless search', () => {
    // 4 letters, 2-letter words: a prompt's candidates are the 2 orders of its required letters
    const sparse = new WordHuntEnv(
      wordHuntSchema.parse({ alphabet: 'abcd', min_length: 2, max_length: 2, lexicon_density: 1e-12 }),
    );
    const rng = new Rng('sparse');
    const p = sparse.samplePrompt(rng, 'train');
    expect(() => demonstrate(sparse, p, rng, false)).toThrow(
      /expert drew 100000 candidates .*without finding a lexicon word: raise env\.lexicon_density/,
    );
    // a wrong demonstration (a non-word) is still found at once
    expect(demonstrate(sparse, p, rng, true).reward).toBe(0);
  });

  it('refuses a bad config with the key named', () => {
    expect(() => wordHuntSchema.parse({ alphabet: 'aabc' })).toThrow('letters must be distinct');
    expect(() => wordHuntSchema.parse({ min_length: 5, max_length: 3 })).toThrow('min_length must be <= max_length');
    expect(() => wordHuntSchema.parse({ lexicon_density: 0 })).toThrow();
  });

  it('the shipped GRPO config warm-starts from its SFT run and logs pass@1, 16 and 64 from 64 samples on held-out prompts', () => {
    const config = loadConfig('configs/text-word-hunt.yaml');
    expect(config.init_from).toBe('runs/sft-word-hunt');
    expect(config.env).toEqual(loadConfig('configs/sft-word-hunt.yaml').env);
    expect(config.eval).toMatchObject({ samples: 64, log_pass_k: [1, 16, 64] });
    expect(config.eval.every).toBeGreaterThan(0);
  });
});
