// The one place where a failure of any command becomes what the user sees: one line, never a
// stack trace. A UserError says what to fix; a failed system call (a path that is a file, not
// writable, too long) is the user's too and says which call on which path; a parser's error or
// input nested past the stack's depth is bad input as well. Anything else is a bug in entrolab:
// one line that says so, with the stack only on request (ENTROLAB_DEBUG=1).
import { USER_ERROR_EXIT_CODE, UserError } from '../base/errors.ts';

/** EX_SOFTWARE (sysexits.h): an internal error, told apart from the user's (1). */
export const INTERNAL_ERROR_EXIT_CODE = 70;

export interface FailureLine {
  line: string;
  exitCode: number;
}

/** `text` on one line: line breaks (a parser's excerpt of the input, yargs' lists) become '; '. */
export function joinLines(text: string): string {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .join('; ');
}

function isSystemError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && 'syscall' in e;
}

export function failureLine(e: unknown, debug = process.env.ENTROLAB_DEBUG === '1'): FailureLine {
  const user = (text: string) => ({ line: `entrolab: error: ${joinLines(text)}`, exitCode: USER_ERROR_EXIT_CODE });
  if (e instanceof UserError) return user(e.message);
  if (isSystemError(e)) return user(e.message);
  // yargs' own usage errors, and what a flag's coerce threw, wrapped
  if (e instanceof Error && e.name === 'YError') return user(e.message);
  if (e instanceof Error && /^YAML/.test(e.name)) return user(`invalid YAML: ${e.message.split('\n')[0]}`);
  if (e instanceof RangeError && /call stack/.test(e.message))
    return user('the input is nested too deeply to read (maximum call stack size exceeded)');
  const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  if (debug && e instanceof Error && e.stack) return { line: e.stack, exitCode: INTERNAL_ERROR_EXIT_CODE };
  return {
    line: `entrolab: internal error (a bug; ENTROLAB_DEBUG=1 shows where): ${joinLines(what)}`,
    exitCode: INTERNAL_ERROR_EXIT_CODE,
  };
}
