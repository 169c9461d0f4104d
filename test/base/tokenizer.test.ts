import { describe, expect, it } from 'vitest';
import { BOS, EOS, PAD, SEP, Tokenizer } from '../../src/base/tokenizer.ts';

describe('tokenizer', () => {
  it('round-trips text and JSON, with specials first', () => {
    const tok = new Tokenizer('9+0-1');
    expect(tok.tokens).toEqual(['<pad>', '<bos>', '<eos>', '<sep>', '+', '-', '0', '1', '9']);
    expect([PAD, BOS, EOS, SEP]).toEqual([0, 1, 2, 3]);
    const ids = tok.encode('19-0+1');
    expect(ids).toEqual([7, 8, 5, 6, 4, 7]);
    expect(tok.decode(ids)).toBe('19-0+1');
    expect(tok.decode([BOS, ...ids, EOS])).toBe('<bos>19-0+1<eos>');
    expect(tok.decode([BOS, ...ids, EOS], true)).toBe('19-0+1');
    const back = Tokenizer.fromJSON(JSON.parse(JSON.stringify(tok.toJSON())));
    expect(back.equals(tok)).toBe(true);
    expect(back.encode('10')).toEqual(tok.encode('10'));
    expect(new Tokenizer('ab').equals(tok)).toBe(false);
  });

  it('rejects characters outside the vocabulary and malformed saved vocabularies', () => {
    const tok = new Tokenizer('ab');
    expect(() => tok.encode('abc')).toThrow(/'c' is not in the tokenizer vocabulary/);
    expect(() => Tokenizer.fromJSON({ tokens: ['a', 'b'] })).toThrow(/expected '<pad>'/);
    expect(() => Tokenizer.fromJSON(null)).toThrow(/missing or malformed/);
  });
});
