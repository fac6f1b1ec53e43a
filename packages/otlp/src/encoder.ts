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

/** Encodes records as one OTLP/JSON `ExportLogsServiceRequest` on a single line (no trailing newline). */
export function encodeLogsJson(records: readonly PipelineRecord[]): string {
  const bytes = JsonLogsSerializer.serializeRequest(
    records as readonly ReadableLogRecord[] as ReadableLogRecord[],
  );
  return bytes ? text.decode(bytes) : '{"resourceLogs":[]}';
}

/** Encodes records as one OTLP/protobuf `ExportLogsServiceRequest`. */
export function encodeLogsProto(records: readonly PipelineRecord[]): Uint8Array {
  const bytes = ProtobufLogsSerializer.serializeRequest(
    records as readonly ReadableLogRecord[] as ReadableLogRecord[],
  );
  // The protobuf serializer always returns bytes (an empty request is zero bytes); the type admits undefined.
  return bytes ?? new Uint8Array(0);
}
