/**
 * The bodies the receiver answers with: `ExportLogsServiceResponse` on success (with `partial_success` when records
 * were rejected) and `google.rpc.Status` on failure, each in the request's encoding ("the server MUST use the same
 * Content-Type in the response as it received in the request").
 */
import protobuf from 'protobufjs/minimal.js';

import { FIELD, WIRE } from './otlp-logs-descriptor.ts';
import { int64Number } from './rpc-status.ts';

/** The two OTLP/HTTP encodings. */
export type OtlpEncoding = 'proto' | 'json';

/** `google.rpc.Code` values the receiver uses. */
export const RpcCode = {
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

const tag = (field: number, wire: number): number => (field << 3) | wire;

/** An `ExportLogsServiceResponse`; `partial_success` is set only when something was rejected. */
export function exportResponse(encoding: OtlpEncoding, rejected: number, errorMessage: string): Buffer {
  if (encoding === 'json') {
    // int64 is a decimal string in OTLP/JSON.
    const body =
      rejected > 0 ? { partialSuccess: { rejectedLogRecords: String(rejected), errorMessage } } : {};
    return Buffer.from(JSON.stringify(body));
  }
  const writer = protobuf.Writer.create();
  if (rejected > 0) {
    writer
      .uint32(tag(FIELD.ExportLogsServiceResponse.partial_success, WIRE.LEN))
      .fork()
      .uint32(tag(FIELD.ExportLogsPartialSuccess.rejected_log_records, WIRE.VARINT))
      .int64(rejected)
      .uint32(tag(FIELD.ExportLogsPartialSuccess.error_message, WIRE.LEN))
      .string(errorMessage)
      .ldelim();
  }
  return Buffer.from(writer.finish());
}

/** A `google.rpc.Status` with a code and a message. */
export function statusResponse(encoding: OtlpEncoding, code: number, message: string): Buffer {
  if (encoding === 'json') return Buffer.from(JSON.stringify({ code, message }));
  const writer = protobuf.Writer.create()
    .uint32(tag(FIELD.Status.code, WIRE.VARINT))
    .int32(code)
    .uint32(tag(FIELD.Status.message, WIRE.LEN))
    .string(message);
  return Buffer.from(writer.finish());
}

/** The Content-Type header of an encoding. */
export function contentType(encoding: OtlpEncoding): string {
  return encoding === 'json' ? 'application/json' : 'application/x-protobuf';
}

/** What an `ExportLogsServiceResponse` says: how many records the server rejected, and why. */
export interface PartialSuccess {
  readonly rejected: number;
  readonly message: string;
}

/**
 * Reads the `partial_success` of a protobuf `ExportLogsServiceResponse` (what exporters get back); an empty or
 * unreadable response means full success, as the specification's "if the field is not set, the request was fully
 * accepted" reads.
 */
export function readPartialSuccess(response: Uint8Array): PartialSuccess {
  let rejected = 0;
  let message = '';
  try {
    const reader = protobuf.Reader.create(response);
    while (reader.pos < reader.len) {
      const t = reader.uint32();
      if (t >>> 3 !== FIELD.ExportLogsServiceResponse.partial_success || (t & 7) !== WIRE.LEN) {
        reader.skipType(t & 7);
        continue;
      }
      const inner = protobuf.Reader.create(reader.bytes());
      while (inner.pos < inner.len) {
        const f = inner.uint32();
        if (f >>> 3 === FIELD.ExportLogsPartialSuccess.rejected_log_records && (f & 7) === WIRE.VARINT)
          rejected = int64Number(inner.int64());
        else if (f >>> 3 === FIELD.ExportLogsPartialSuccess.error_message && (f & 7) === WIRE.LEN)
          message = inner.string();
        else inner.skipType(f & 7);
      }
    }
  } catch {
    return { rejected: 0, message: '' };
  }
  return { rejected, message };
}
