// chain-sum: only the answer after the last '|' is judged (a scratchpad of any form, or none), the
// answer cap fits the verbose scratchpad, the splits are disjoint, and the expert writes both
// scratchpad styles, right or with one carried slip.
import { describe, expect, it } from 'vitest';
import { answerPart, ChainSumEnv, chainSumSchema } from '../../envs/chain-sum.ts';
import { demonstrate } from '../../envs/text-env.ts';
import { Rng } from '../../src/base/rng.ts';
import { EOS } from '../../src/base/tokenizer.ts';

const env = new ChainSumEnv(chainSumSchema.parse({}));
const prompt = { id: '3+7+5', numbers: [3, 7, 5] };

function play(answer: string) {
  env.reset(prompt, new Rng('x'));
  let last = { reward: 0, success: false, done: false };
  for (const t of [...env.tokenizer.encode(answer), EOS]) {
    last = env.step(t);
    if (last.done) break;
  }
  return last;
}

describe('chain-sum', () => {
  it('judges the text after the last end-of-thinking mark, whatever the scratchpad', () => {
    expect(answerPart('3+7=10,10+5=15|15')).toBe('15');
    expect(answerPart('15')).toBe('15');
    expect(answerPart('1|2|15')).toBe('15');
    for (const right of ['3+7=10,10+5=15|15', '10,15|15', '99|15', '|15', '15'])
      expect(play(right), right).toMatchObject({ reward: 1, success: true, done: true });
    for (const wrong of ['10,15|16', '15|', '10,15|15,', '3+7+5'])
      expect(play(wrong), wrong).toMatchObject({ reward: 0, success: false, done: true });
  });

  it('the answer cap fits the longest verbose scratchpad, and one more token ends the turn unrewarded', () => {
    // 3 one-digit terms: sums up to 27; "a+b=s," per addition with two-digit sums: "18+9=27," (8)
    const longest = '9+9=18,18+9=27|27';
    const wide = new ChainSumEnv(chainSumSchema.parse({}));
    expect(wide.maxTokens).toBeGreaterThanOrEqual(longest.length + 1);
    env.reset({ id: '9+9+9', numbers: [9, 9, 9] }, new Rng('x'));
    let out = { reward: 0, done: false };
    for (let i = 0; i <= wide.maxTokens && !out.done; i++) out = env.step(env.tokenizer.encode('1')[0]);
    expect(out).toMatchObject({ reward: 0, done: true });
  });

  it('prompts: the configured number of terms and digits; train and test splits are disjoint', () => {
    const two = new ChainSumEnv(chainSumSchema.parse({ terms: 4, digits: 2 }));
    const rng = new Rng('s');
    const p = two.samplePrompt(rng, 'train');
    expect((p.numbers as number[]).length).toBe(4);
    expect(two.promptText(p)).toMatch(/^\d{1,2}(\+\d{1,2}){3}$/);
    const test = new Set(Array.from({ length: 200 }, () => env.samplePrompt(rng, 'test').id));
    const train = new Set(Array.from({ length: 600 }, () => env.samplePrompt(rng, 'train').id));
    expect([...test].filter((id) => train.has(id))).toEqual([]);
    expect(test.size).toBeGreaterThan(50);
  });

  it('the expert writes verbose and terse scratchpads; a wrong one slips once and carries the slip', () => {
    const rng = new Rng('d');
    const styles = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const p = env.samplePrompt(rng, 'train');
      const right = demonstrate(env, p, rng, false);
      expect(right.success).toBe(true);
      const text = env.tokenizer.decode(right.actions.slice(0, -1));
      styles.add(text.includes('=') ? 'verbose' : 'terse');
      // the running sums of the scratchpad end at the answer
      const sums = text
        .split('|')[0]
        .split(',')
        .map((s) => Number(s.split('=').pop()));
      expect(sums.at(-1)).toBe(Number(answerPart(text)));
      expect(demonstrate(env, p, rng, true).success).toBe(false);
    }
    expect(styles).toEqual(new Set(['verbose', 'terse']));
    const terse = new ChainSumEnv(chainSumSchema.parse({ verbose_fraction: 0 }));
    terse.reset(prompt, rng);
    expect(terse.expertAnswer(rng, false)).toBe('10,15|15');
    const verbose = new ChainSumEnv(chainSumSchema.parse({ verbose_fraction: 1 }));
    verbose.reset(prompt, rng);
    expect(verbose.expertAnswer(rng, false)).toBe('3+7=10,10+5=15|15');
  });
});
