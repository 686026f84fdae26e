/** A user error: printed as one line (and logged), exit status 1, as runc does. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
