/**
 * One replaceable error handler for everything that goes wrong per record or in the background (a timer, a
 * snapshot write): processors never throw into the pipeline's hot path, they report here and go on.
 */

/** A problem a component reports instead of throwing. */
export interface ReportedError {
  /** The component id (`type/name`) or package that reports. */
  readonly component: string;
  /** A short machine-readable reason (`malformed_record`, `snapshot_write_failed`, …), also used as a counter key. */
  readonly reason: string;
  /** What went wrong, for a person. */
  readonly message: string;
  /** The underlying error, when there is one. */
  readonly cause?: unknown;
}

/** Receives every reported error. */
export type ErrorHandler = (error: ReportedError) => void;

/** Writes one line per error to stderr; replace it with {@link setErrorHandler}. */
export const stderrErrorHandler: ErrorHandler = (error) => {
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  process.stderr.write(`egressguard: ${error.component}: ${error.reason}: ${error.message}${cause}\n`);
};

let handler: ErrorHandler = stderrErrorHandler;

/** Replaces the global error handler (the CLI collects errors into its summary; tests capture them). */
export function setErrorHandler(next: ErrorHandler): void {
  handler = next;
}

/** The current error handler. */
export function getErrorHandler(): ErrorHandler {
  return handler;
}

/** Reports an error; a handler that throws is itself contained. */
export function reportError(error: ReportedError): void {
  try {
    handler(error);
  } catch {
    // A broken handler must not take the pipeline down; there is nowhere left to report to.
  }
}

/** Thrown at construction when configuration is invalid; the message names the key path and the constraint. */
export class ConfigError extends Error {
  /** Each problem, with the dotted path of the key it is about. */
  readonly issues: readonly { readonly path: string; readonly message: string }[];

  constructor(issues: readonly { readonly path: string; readonly message: string }[]) {
    super(
      `egressguard: invalid configuration: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`,
    );
    this.name = 'ConfigError';
    this.issues = issues;
  }
}
