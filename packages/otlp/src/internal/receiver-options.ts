/**
 * What the OTLP/HTTP and OTLP/gRPC receivers share in their options: the limits' defaults and the checks made at
 * construction, so that both name a bad value the same way.
 */

/** Largest request body accepted (after decompression), in bytes. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;
/** Requests handled at once before the receiver answers saturated. */
export const DEFAULT_MAX_IN_FLIGHT = 8;

/** The options both receivers check the same way. */
interface CommonReceiverOptions {
  readonly port: number;
  readonly maxBodyBytes: number;
  readonly maxInFlightRequests: number;
  readonly retryAfterSeconds: number;
  readonly onRecords: unknown;
}

/** Throws a `RangeError` (or `TypeError`) prefixed with `component` naming the first bad option. */
export function checkCommonReceiverOptions(component: string, o: CommonReceiverOptions): void {
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535)
    throw new RangeError(`${component}: port must be an integer 0..65535, got ${o.port}`);
  if (!Number.isInteger(o.maxBodyBytes) || o.maxBodyBytes < 1)
    throw new RangeError(`${component}: maxBodyBytes must be a positive integer, got ${o.maxBodyBytes}`);
  if (!Number.isInteger(o.maxInFlightRequests) || o.maxInFlightRequests < 1)
    throw new RangeError(
      `${component}: maxInFlightRequests must be a positive integer, got ${o.maxInFlightRequests}`,
    );
  if (!(o.retryAfterSeconds >= 0))
    throw new RangeError(`${component}: retryAfterSeconds must be >= 0, got ${o.retryAfterSeconds}`);
  if (typeof o.onRecords !== 'function') throw new TypeError(`${component}: onRecords must be a function`);
}
