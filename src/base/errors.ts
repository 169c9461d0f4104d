// One error type for mistakes a user can fix (bad config key, missing file, NaN loss).
// The CLI prints its message on one line and exits non-zero; anything else is a bug.
/** The exit status of a command that stopped on a UserError (any failure of the user's: one line on stderr). */
export const USER_ERROR_EXIT_CODE = 1;

export class UserError extends Error {
  constructor(
    message: string,
    readonly where?: string,
  ) {
    super(oneLine(where ? `${where}: ${message}` : message));
    this.name = 'UserError';
  }
}

/** Control characters (a parser quoting the bytes of a broken file) escaped, so the message stays one line. */
function oneLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: escaping control characters is the point
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
}
