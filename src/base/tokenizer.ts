// Character-level tokenizer for the text environments: four special tokens, then one token per
// character of the task's alphabet. It is saved with the checkpoint (`describe()`), so a policy
// restored later reads and writes the same ids.
import { UserError } from './errors.ts';

export const PAD = 0;
/** Start of the dialogue. */
export const BOS = 1;
/** End of the policy's turn (the "end-of-turn" action). */
export const EOS = 2;
/** Separates the prompt (or the env's feedback) from the policy's answer. */
export const SEP = 3;
export const SPECIAL_TOKENS = ['<pad>', '<bos>', '<eos>', '<sep>'] as const;

export class Tokenizer {
  /** Token strings by id: the four specials, then single characters. */
  readonly tokens: readonly string[];
  private readonly ids: Map<string, number>;

  constructor(chars: Iterable<string>) {
    const unique = [...new Set(chars)].sort();
    for (const c of unique) {
      if ([...c].length !== 1) throw new Error(`tokenizer characters must be single characters, got '${c}'`);
    }
    this.tokens = [...SPECIAL_TOKENS, ...unique];
    this.ids = new Map(unique.map((c, i) => [c, i + SPECIAL_TOKENS.length]));
  }

  get vocabSize(): number {
    return this.tokens.length;
  }

  /** Ids of the characters of `text` (no specials added). */
  encode(text: string): number[] {
    return [...text].map((c) => {
      const id = this.ids.get(c);
      if (id === undefined)
        throw new UserError(
          `character '${c}' is not in the tokenizer vocabulary (${this.tokens.slice(SPECIAL_TOKENS.length).join('')})`,
        );
      return id;
    });
  }

  /** Text of the ids; specials are written as `<eos>` etc. unless `skipSpecial`. */
  decode(ids: ArrayLike<number>, skipSpecial = false): string {
    let out = '';
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (id < SPECIAL_TOKENS.length && skipSpecial) continue;
      out += this.tokens[id] ?? `<${id}?>`;
    }
    return out;
  }

  isSpecial(id: number): boolean {
    return id < SPECIAL_TOKENS.length;
  }

  toJSON(): { tokens: string[] } {
    return { tokens: [...this.tokens] };
  }

  static fromJSON(json: unknown): Tokenizer {
    const tokens = (json as { tokens?: unknown })?.tokens;
    if (!Array.isArray(tokens) || tokens.some((t) => typeof t !== 'string'))
      throw new UserError('checkpoint tokenizer is missing or malformed');
    SPECIAL_TOKENS.forEach((s, i) => {
      if (tokens[i] !== s) throw new UserError(`checkpoint tokenizer: token ${i} is '${tokens[i]}', expected '${s}'`);
    });
    return new Tokenizer(tokens.slice(SPECIAL_TOKENS.length) as string[]);
  }

  /** True when both map every token to the same id. */
  equals(other: Tokenizer): boolean {
    return this.tokens.length === other.tokens.length && this.tokens.every((t, i) => t === other.tokens[i]);
  }
}
