/**
 * The reference decoder: protobufjs reflection (`Type.decode`) over {@link OTLP_LOGS_DESCRIPTOR}, then conversion of
 * the message objects into records. Not used by the receiver; the tests check the fast decoder against it and the
 * benchmark measures the fast decoder against it.
 */
import type { AnyValue, HrTime } from '@opentelemetry/api';
import { PipelineRecord, createResource, nanosToHrTime, type RecordAttributes } from '@egressguard/schema';
import protobuf from 'protobufjs';

import { setDecodedKey } from './attribute-key.ts';
import { makeScope } from './scope.ts';
import { OTLP_LOGS_DESCRIPTOR } from './otlp-logs-descriptor.ts';

interface LongLike {
  low: number;
  high: number;
  unsigned: boolean;
  toString(): string;
  toNumber(): number;
}
interface AnyValueMessage {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: LongLike | number;
  doubleValue?: number;
  arrayValue?: { values: AnyValueMessage[] };
  kvlistValue?: { values: KeyValueMessage[] };
  bytesValue?: Uint8Array;
  value?: string;
}
interface KeyValueMessage {
  key: string;
  value?: AnyValueMessage | null;
}
interface LogRecordMessage {
  timeUnixNano: LongLike | number;
  observedTimeUnixNano: LongLike | number;
  severityNumber: number;
  severityText: string;
  body?: AnyValueMessage | null;
  attributes: KeyValueMessage[];
  droppedAttributesCount: number;
  flags: number;
  traceId: Uint8Array;
  spanId: Uint8Array;
  eventName: string;
}
interface RequestMessage {
  resourceLogs: {
    resource?: { attributes: KeyValueMessage[] } | null;
    schemaUrl: string;
    scopeLogs: {
      scope?: {
        name: string;
        version: string;
        attributes: KeyValueMessage[];
        droppedAttributesCount: number;
      } | null;
      schemaUrl: string;
      logRecords: LogRecordMessage[];
    }[];
  }[];
}

const root = protobuf.Root.fromJSON(OTLP_LOGS_DESCRIPTOR as unknown as protobuf.INamespace);
const requestType = root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest');

/** Decodes with protobufjs reflection and converts to records (all records; no per-record rejection). */
export function decodeLogsProtoReflection(body: Uint8Array): PipelineRecord[] {
  const request = requestType.decode(body) as unknown as RequestMessage;
  const records: PipelineRecord[] = [];
  for (const rl of request.resourceLogs) {
    const resource = createResource(attributesOf(rl.resource?.attributes ?? []), rl.schemaUrl || undefined);
    for (const sl of rl.scopeLogs) {
      const s = sl.scope;
      const scope = makeScope(
        s?.name ?? '',
        s?.version ?? '',
        s && s.attributes.length > 0 ? attributesOf(s.attributes) : undefined,
        s?.droppedAttributesCount ?? 0,
        sl.schemaUrl,
      );
      for (const lr of sl.logRecords) {
        const traceId = Buffer.from(lr.traceId).toString('hex');
        const spanId = Buffer.from(lr.spanId).toString('hex');
        const traceFlags = lr.flags & 0xff;
        records.push(
          new PipelineRecord({
            hrTime: time(lr.timeUnixNano),
            hrTimeObserved: time(lr.observedTimeUnixNano),
            ...(traceId || spanId || traceFlags ? { spanContext: { traceId, spanId, traceFlags } } : {}),
            ...(lr.severityText ? { severityText: lr.severityText } : {}),
            ...(lr.severityNumber ? { severityNumber: lr.severityNumber } : {}),
            body: lr.body ? (anyValue(lr.body) ?? undefined) : undefined,
            ...(lr.eventName ? { eventName: lr.eventName } : {}),
            attributes: attributesOf(lr.attributes),
            droppedAttributesCount: lr.droppedAttributesCount,
            resource,
            instrumentationScope: scope,
          }),
        );
      }
    }
  }
  return records;
}

function time(value: LongLike | number): HrTime {
  if (typeof value === 'number') return nanosToHrTime(BigInt(value));
  return nanosToHrTime(BigInt(value.toString()));
}

function attributesOf(list: KeyValueMessage[]): RecordAttributes {
  const out: RecordAttributes = {};
  for (const kv of list) setDecodedKey(out, kv.key, kv.value ? anyValue(kv.value) : null);
  return out;
}

function anyValue(v: AnyValueMessage): AnyValue {
  switch (v.value) {
    case 'stringValue':
      return v.stringValue!;
    case 'boolValue':
      return v.boolValue!;
    case 'intValue':
      return typeof v.intValue === 'number' ? v.intValue : v.intValue!.toNumber();
    case 'doubleValue':
      return v.doubleValue!;
    case 'bytesValue':
      return new Uint8Array(v.bytesValue!);
    case 'arrayValue':
      return v.arrayValue!.values.map(anyValue);
    case 'kvlistValue':
      return attributesOf(v.kvlistValue!.values);
    default:
      return null;
  }
}
