/**
 * OTLP encoding of records with `@opentelemetry/otlp-transformer`'s own serializers, the ones the OTLP exporters
 * use, so what we write and what the exporters send cannot differ.
 *
 * Records are grouped into one `ResourceLogs` per resource object and one `ScopeLogs` per scope object (identity, as
 * the transformer does): records decoded from one incoming `ResourceLogs`/`ScopeLogs` share those objects, so the
 * incoming structure, resource schema URL and scope attributes survive a decode/encode trip.
 *
 * What the serializers write (checked by the tests): hex trace and span ids and string nanosecond times in JSON;
 * integer-valued numbers as `intValue`, other numbers as `doubleValue`; `Uint8Array` as bytes (base64 in JSON);
 * arrays and plain objects as `arrayValue`/`kvlistValue`. Known limits of the serializers, left as they are: a
 * `bigint` value becomes an empty AnyValue; NaN and ±Infinity are written as `"doubleValue": null` in JSON
 * (protobuf keeps them); an integer-valued double (`1.0`) travels as `intValue`, since JavaScript cannot tell them
 * apart; a resource's `dropped_attributes_count` is always 0 (the SDK's Resource has none).
 */
import type { PipelineRecord } from '@egressguard/schema';
import { JsonLogsSerializer, ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';

const text = new TextDecoder();

/** The request of no records (the serializer gives no bytes for it). */
const EMPTY_REQUEST = '{"resourceLogs":[]}';

/**
 * Encodes records as one OTLP/JSON `ExportLogsServiceRequest`, UTF-8, on a single line (no trailing newline): the
 * serializer's own bytes, for whoever writes or sends bytes (an OTLP/HTTP body), without making them a string and
 * back.
 */
export function encodeLogsJsonBytes(records: readonly PipelineRecord[]): Uint8Array {
  return (
    JsonLogsSerializer.serializeRequest(records as readonly ReadableLogRecord[] as ReadableLogRecord[]) ??
    new TextEncoder().encode(EMPTY_REQUEST)
  );
}

/**
 * One OTLP/JSON line of a JSON lines file (the Collector's file exporter's format): {@link encodeLogsJsonBytes} and a
 * newline, in one buffer. JSON escapes every newline within strings, so the request is one line.
 */
export function encodeLogsJsonLine(records: readonly PipelineRecord[]): Uint8Array {
  const bytes = encodeLogsJsonBytes(records);
  const line = new Uint8Array(bytes.length + 1);
  line.set(bytes);
  line[bytes.length] = 0x0a;
  return line;
}

/** Encodes records as one OTLP/JSON `ExportLogsServiceRequest` on a single line (no trailing newline). */
export function encodeLogsJson(records: readonly PipelineRecord[]): string {
  return text.decode(encodeLogsJsonBytes(records));
}

/** Encodes records as one OTLP/protobuf `ExportLogsServiceRequest`. */
export function encodeLogsProto(records: readonly PipelineRecord[]): Uint8Array {
  const bytes = ProtobufLogsSerializer.serializeRequest(
    records as readonly ReadableLogRecord[] as ReadableLogRecord[],
  );
  // The protobuf serializer always returns bytes (an empty request is zero bytes); the type admits undefined.
  return bytes ?? new Uint8Array(0);
}
