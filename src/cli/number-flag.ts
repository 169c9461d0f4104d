// Numeric flags, read from their text: yargs' own number type turns `--seed=` into 0 and `--episodes x`
// into NaN, so every numeric flag is a string checked here against the range it allows (an
// integer or not, a minimum and a maximum) and refused in one line naming the flag and the range.
import { UserError } from '../base/errors.ts';

export interface NumberRange {
  min: number;
  max: number;
  /** Whole numbers only (the default). */
  integer?: boolean;
}

/** `text` as a number within `range`, or a UserError naming `flag`. */
export function parseNumberFlag(text: unknown, flag: string, range: NumberRange): number {
  const integer = range.integer ?? true;
  const s = typeof text === 'string' ? text.trim() : String(text);
  const value = s === '' ? Number.NaN : Number(s);
  const ok =
    Number.isFinite(value) && (!integer || Number.isInteger(value)) && value >= range.min && value <= range.max;
  if (!ok) {
    const what = integer ? 'a whole number' : 'a number';
    throw new UserError(`expected ${what} from ${range.min} to ${range.max}, got ${JSON.stringify(text)}`, flag);
  }
  return value;
}

/** A yargs option for a numeric flag: read as text, coerced through parseNumberFlag (defaults too). */
export function numberOption(flag: string, describe: string, range: NumberRange, defaultValue?: number) {
  return {
    type: 'string' as const,
    describe,
    ...(defaultValue !== undefined && { default: String(defaultValue) as unknown as number }),
    coerce: (text: unknown) => parseNumberFlag(Array.isArray(text) ? text.at(-1) : text, `--${flag}`, range),
  };
}

/** Seeds: what the config's `seed` allows. */
export const SEED_RANGE: NumberRange = { min: 0, max: Number.MAX_SAFE_INTEGER };
/** Processes at once (workers, cluster tasks). */
export const WORKERS_RANGE: NumberRange = { min: 1, max: 1024 };
/** Evaluation episodes: what the config's `eval.episodes` allows. */
export const EPISODES_RANGE: NumberRange = { min: 1, max: 1_000_000 };
