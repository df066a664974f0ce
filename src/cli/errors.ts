/** A problem with what the user asked for (flags, files): printed as one line, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
