/**
 * How an export failed, in the terms the Collector's exporterhelper retries by: a retryable failure (connection
 * refused, timeout, HTTP 429/502/503/504, gRPC UNAVAILABLE or RESOURCE_EXHAUSTED with RetryInfo) is tried again
 * after a back-off, honouring the server's hint; a permanent one (any other 4xx, gRPC INVALID_ARGUMENT, a partial
 * success's rejected records) is counted as rejected and never retried.
 */

/** The two kinds of export failure. */
export type ExportFailureKind = 'retryable' | 'permanent';

/** Options of an {@link ExportError}. */
export interface ExportErrorOptions {
  /** How long the server asked the client to wait before retrying (HTTP `Retry-After`, gRPC `RetryInfo`), in ms. */
  readonly retryAfterMs?: number;
  /** Records of the batch the server rejected for good (OTLP partial success `rejected_log_records`). */
  readonly rejectedRecords?: number;
  /** The underlying error. */
  readonly cause?: unknown;
}

/** An export failure that says whether to retry it; exporters reject with it so that queues can decide. */
export class ExportError extends Error {
  override readonly name = 'ExportError';
  /** Whether the batch may be sent again. */
  readonly kind: ExportFailureKind;
  /** The server's retry hint in milliseconds, when it gave one. */
  readonly retryAfterMs: number | undefined;
  /** Records the server rejected for good, when it said how many. */
  readonly rejectedRecords: number | undefined;

  constructor(kind: ExportFailureKind, message: string, options: ExportErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.retryAfterMs = options.retryAfterMs;
    this.rejectedRecords = options.rejectedRecords;
  }
}

/** Whether an export error may be retried: an {@link ExportError} says so; anything else (a network error) may. */
export function isRetryable(error: unknown): boolean {
  return !(error instanceof ExportError) || error.kind === 'retryable';
}
