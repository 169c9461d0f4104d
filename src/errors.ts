// One error type for mistakes a user can fix (bad config key, missing file, NaN loss).
// The CLI prints its message on one line and exits non-zero; anything else is a bug.
export class UserError extends Error {
  constructor(message: string, readonly where?: string) {
    super(where ? `${where}: ${message}` : message);
    this.name = 'UserError';
  }
}
