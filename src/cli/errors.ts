// The CLI's exit codes (docs/rollbackctl.md): 0 ok, 1 the workflow failed or refused, 2 a usage
// error. Errors carry their code so every command ends through one place.

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** A bad flag, argument or input: printed without a stack trace, exit 2. */
export class UsageError extends Error {
  readonly exitCode = EXIT_USAGE;
}

/** The workflow refused the request or failed: exit 1. */
export class FailedError extends Error {
  readonly exitCode = EXIT_FAILED;
}
