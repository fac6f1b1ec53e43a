/**
 * The bodies the receiver answers with: `ExportLogsServiceResponse` on success (with `partial_success` when records
 * were rejected) and `google.rpc.Status` on failure, each in the request's encoding ("the server MUST use the same
 * Content-Type in the response as it received in the request").
 */
import protobuf from 'protobufjs/minimal.js';

import { FIELD, WIRE } from './otlp-logs-descriptor.ts';

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
