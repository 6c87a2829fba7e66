/**
 * The exit codes of `attune`. Scripts branch on them, so a code never changes meaning; new
 * conditions get new numbers.
 */
export const ExitCode = {
  Ok: 0,
  /** The execution did not succeed (failed, timeout, cancelled, abandoned), or an unexpected error. */
  Failed: 1,
  /** Bad arguments or options: nothing was sent to the server. */
  Usage: 2,
  /** Not logged in, wrong credentials, or the login expired and could not be refreshed. */
  Auth: 3,
  /** The execution, artifact, action or pack does not exist. */
  NotFound: 4,
  /** The server could not be reached, or a transfer broke off midway. */
  Unreachable: 5,
  /** A downloaded or uploaded file's SHA-256 did not match; nothing was kept. */
  Checksum: 6,
  /** Logged in, but the account lacks the role for this. */
  Forbidden: 7,
  /** The server refused the request as invalid or conflicting (400, 409, 413, 416, 422). */
  Rejected: 8,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export const EXIT_CODES_HELP = `Exit codes:
  0  success
  1  the execution did not succeed (failed, timeout, cancelled, abandoned), or an unexpected error
  2  usage error: bad arguments or options
  3  not logged in, wrong credentials, or the login expired (run \`attune login\`)
  4  not found: no such execution, artifact, action or pack
  5  the server could not be reached, or a transfer broke off
  6  checksum mismatch: the transferred bytes were not what the server recorded; nothing was kept
  7  permission denied: the account lacks the role
  8  the server refused the request as invalid or conflicting`;

/** An error meant for the user: its message is printed as is and the process exits with its code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue = ExitCode.Failed,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string) => new CliError(message, ExitCode.Usage);

/** The exit code for an HTTP error status from the API. */
export function exitCodeForStatus(status: number): ExitCodeValue {
  if (status === 401) return ExitCode.Auth;
  if (status === 403) return ExitCode.Forbidden;
  if (status === 404) return ExitCode.NotFound;
  if (status >= 400 && status < 500 && status !== 408 && status !== 429) return ExitCode.Rejected;
  return ExitCode.Failed;
}
