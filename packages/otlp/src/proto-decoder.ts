/**
 * OTLP/protobuf logs decoding straight into {@link PipelineRecord}s with protobufjs's wire `Reader`.
 *
 * Why not protobufjs message objects: reflection decoding builds an object per message (request, resource logs,
 * scope logs, record, key-value, any-value) and a `Long` per 64-bit field, which then have to be converted into
 * records; reading the wire format directly builds only the record, its attribute dictionary and its values
 * (`bench/run.ts` measures the difference against `Type.decode` + conversion in the same run).
 *
 * Structure: each length-delimited message is checked against its enclosing message before it is entered. A broken
 * log record (a bad attribute value, a wrong wire type, a trace id of the wrong length, a field running past the
 * record) is rejected on its own and decoding goes on with the next record; a broken resource or scope rejects the
 * records under it. Only broken framing of the request itself throws {@link OtlpDecodeError}.
 *
 * Unknown fields are skipped, as proto3 requires ("unknown fields … are ignored"), and so are the profiling-only
 * `AnyValue.string_value_strindex` and `KeyValue.key_strindex`: a string-table index means nothing outside a
 * profiles payload.
 */
import type { AnyValue, SpanContext } from '@opentelemetry/api';
import {
  PipelineRecord,
  attributeDictionaryMaker,
  createResource,
  type RecordAttributes,
  type RecordResource,
  type RecordScope,
} from '@egressguard/schema';
import protobuf from 'protobufjs/minimal.js';

import { OtlpDecodeError, type DecodedLogs } from './decoded-logs.ts';
import { checkTimes } from './internal/fixed64-time.ts';
import { makeScope } from './internal/scope.ts';
import { FIELD, WIRE } from './internal/otlp-logs-descriptor.ts';
import {
  MAX_VALUE_DEPTH,
  checkEnd,
  messageEnd,
  nextTag,
  readAnyValue,
  readId,
  readKeyValueInto,
  readTime,
  skipField,
  tag,
  message,
  pathJoin,
  UNSET_TIME,
  type Reader,
} from './internal/proto-wire.ts';

export { MAX_VALUE_DEPTH };

/** Record attribute dictionaries of this decoder (see `attributeDictionaryMaker`). */
const newAttributeDictionary = attributeDictionaryMaker();

const LR = FIELD.LogRecord;
const T_TIME = tag(LR.time_unix_nano, WIRE.I64);
const T_OBSERVED = tag(LR.observed_time_unix_nano, WIRE.I64);
const T_SEVERITY_NUMBER = tag(LR.severity_number, WIRE.VARINT);
const T_SEVERITY_TEXT = tag(LR.severity_text, WIRE.LEN);
const T_BODY = tag(LR.body, WIRE.LEN);
const T_ATTRIBUTES = tag(LR.attributes, WIRE.LEN);
const T_DROPPED = tag(LR.dropped_attributes_count, WIRE.VARINT);
const T_FLAGS = tag(LR.flags, WIRE.I32);
const T_TRACE_ID = tag(LR.trace_id, WIRE.LEN);
const T_SPAN_ID = tag(LR.span_id, WIRE.LEN);
const T_EVENT_NAME = tag(LR.event_name, WIRE.LEN);

/**
 * Decodes an OTLP/protobuf `ExportLogsServiceRequest`.
 *
 * @throws {OtlpDecodeError} when the request's own framing is broken; broken records are returned in `rejected`.
 */
export function decodeLogsProto(body: Uint8Array): DecodedLogs {
  // A Buffer gets protobufjs's BufferReader, whose strings decode with Node's native UTF-8 decoder.
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const reader = protobuf.Reader.create(buf);
  const out: DecodedLogs = { records: [], rejected: [] };
  const counter = { index: 0 };
  let resourceLogs = 0;
  try {
    while (reader.pos < reader.len) {
      const t = nextTag(reader);
      if (t === tag(FIELD.ExportLogsServiceRequest.resource_logs, WIRE.LEN)) {
        const end = messageEnd(reader, reader.len);
        decodeResourceLogs(reader, end, out, counter, `resource_logs[${resourceLogs}]`);
        resourceLogs += 1;
        reader.pos = end;
      } else {
        skipField(reader, t, 'ExportLogsServiceRequest');
      }
    }
  } catch (error) {
    if (error instanceof OtlpDecodeError) throw error;
    throw new OtlpDecodeError(`not an OTLP/protobuf ExportLogsServiceRequest: ${message(error)}`, {
      cause: error,
    });
  }
  return out;
}

function decodeResourceLogs(
  reader: Reader,
  end: number,
  out: DecodedLogs,
  counter: { index: number },
  where: string,
): void {
  // Fields may come in any order on the wire; the resource needs schema_url and every record needs the resource, so
  // the first pass only locates the parts.
  let resourceStart = -1;
  let resourceEnd = -1;
  let schemaUrl = '';
  const scopes: number[] = [];
  try {
    while (reader.pos < end) {
      const t = nextTag(reader);
      switch (t) {
        case tag(FIELD.ResourceLogs.resource, WIRE.LEN):
          resourceEnd = messageEnd(reader, end);
          resourceStart = reader.pos;
          reader.pos = resourceEnd;
          break;
        case tag(FIELD.ResourceLogs.scope_logs, WIRE.LEN): {
          const scopeEnd = messageEnd(reader, end);
          scopes.push(reader.pos, scopeEnd);
          reader.pos = scopeEnd;
          break;
        }
        case tag(FIELD.ResourceLogs.schema_url, WIRE.LEN):
          schemaUrl = reader.string();
          break;
        default:
          skipField(reader, t, 'ResourceLogs');
      }
    }
    checkEnd(reader, end);
  } catch (error) {
    throw new OtlpDecodeError(`${where}: ${message(error)}`, { cause: error });
  }

  let resource: RecordResource | undefined;
  let resourceProblem: string | undefined;
  try {
    const attributes: RecordAttributes = {};
    if (resourceStart >= 0) {
      reader.pos = resourceStart;
      while (reader.pos < resourceEnd) {
        const t = nextTag(reader);
        if (t === tag(FIELD.Resource.attributes, WIRE.LEN))
          readKeyValueInto(reader, messageEnd(reader, resourceEnd), attributes, 0);
        else skipField(reader, t, 'Resource');
      }
      checkEnd(reader, resourceEnd);
    }
    resource = createResource(attributes, schemaUrl || undefined);
  } catch (error) {
    resourceProblem = `${where}.resource: ${message(error)}`;
  }

  for (let i = 0; i < scopes.length; i += 2) {
    decodeScopeLogs(
      reader,
      scopes[i],
      scopes[i + 1],
      resource,
      resourceProblem,
      out,
      counter,
      `${where}.scope_logs[${i / 2}]`,
    );
  }
}

function decodeScopeLogs(
  reader: Reader,
  start: number,
  end: number,
  resource: RecordResource | undefined,
  resourceProblem: string | undefined,
  out: DecodedLogs,
  counter: { index: number },
  where: string,
): void {
  reader.pos = start;
  let scopeStart = -1;
  let scopeEnd = -1;
  let schemaUrl = '';
  const records: number[] = [];
  try {
    while (reader.pos < end) {
      const t = nextTag(reader);
      switch (t) {
        case tag(FIELD.ScopeLogs.scope, WIRE.LEN):
          scopeEnd = messageEnd(reader, end);
          scopeStart = reader.pos;
          reader.pos = scopeEnd;
          break;
        case tag(FIELD.ScopeLogs.log_records, WIRE.LEN): {
          const recordEnd = messageEnd(reader, end);
          records.push(reader.pos, recordEnd);
          reader.pos = recordEnd;
          break;
        }
        case tag(FIELD.ScopeLogs.schema_url, WIRE.LEN):
          schemaUrl = reader.string();
          break;
        default:
          skipField(reader, t, 'ScopeLogs');
      }
    }
    checkEnd(reader, end);
  } catch (error) {
    throw new OtlpDecodeError(`${where}: ${message(error)}`, { cause: error });
  }

  let problem = resourceProblem;
  let scope: RecordScope | undefined;
  if (problem === undefined) {
    try {
      scope = readScope(reader, scopeStart, scopeEnd, schemaUrl);
    } catch (error) {
      problem = `${where}.scope: ${message(error)}`;
    }
  }

  for (let i = 0; i < records.length; i += 2) {
    const index = counter.index++;
    if (problem !== undefined || resource === undefined || scope === undefined) {
      out.rejected.push({ index, reason: problem ?? `${where}: unreadable` });
      continue;
    }
    try {
      out.records.push(readLogRecord(reader, records[i], records[i + 1], resource, scope));
    } catch (error) {
      out.rejected.push({ index, reason: `${where}.log_records[${i / 2}]: ${message(error)}` });
    }
  }
}

function readScope(reader: Reader, start: number, end: number, schemaUrl: string): RecordScope {
  let name = '';
  let version = '';
  let attributes: RecordAttributes | undefined;
  let dropped = 0;
  if (start >= 0) {
    reader.pos = start;
    while (reader.pos < end) {
      const t = nextTag(reader);
      switch (t) {
        case tag(FIELD.InstrumentationScope.name, WIRE.LEN):
          name = reader.string();
          break;
        case tag(FIELD.InstrumentationScope.version, WIRE.LEN):
          version = reader.string();
          break;
        case tag(FIELD.InstrumentationScope.attributes, WIRE.LEN):
          attributes ??= {};
          readKeyValueInto(reader, messageEnd(reader, end), attributes, 0);
          break;
        case tag(FIELD.InstrumentationScope.dropped_attributes_count, WIRE.VARINT):
          dropped = reader.uint32();
          break;
        default:
          skipField(reader, t, 'InstrumentationScope');
      }
    }
    checkEnd(reader, end);
  }
  return makeScope(name, version, attributes, dropped, schemaUrl);
}

function readLogRecord(
  reader: Reader,
  start: number,
  end: number,
  resource: RecordResource,
  scope: RecordScope,
): PipelineRecord {
  reader.pos = start;
  let hrTime = UNSET_TIME;
  let hrTimeObserved = UNSET_TIME;
  let severityNumber: number | undefined;
  let severityText: string | undefined;
  let body: AnyValue;
  const attributes: RecordAttributes = newAttributeDictionary();
  let dropped = 0;
  let flags = 0;
  let traceId = '';
  let spanId = '';
  let eventName: string | undefined;
  while (reader.pos < end) {
    const t = nextTag(reader);
    switch (t) {
      case T_TIME:
        hrTime = readTime(reader);
        break;
      case T_OBSERVED:
        hrTimeObserved = readTime(reader);
        break;
      case T_SEVERITY_NUMBER:
        severityNumber = reader.int32();
        break;
      case T_SEVERITY_TEXT:
        severityText = reader.string();
        break;
      case T_BODY: {
        const valueEnd = messageEnd(reader, end);
        try {
          body = readAnyValue(reader, valueEnd, 0);
        } catch (error) {
          throw new Error(`body${pathJoin(error)}`, { cause: error });
        }
        break;
      }
      case T_ATTRIBUTES:
        try {
          readKeyValueInto(reader, messageEnd(reader, end), attributes, 0);
        } catch (error) {
          throw new Error(`attributes${pathJoin(error)}`, { cause: error });
        }
        break;
      case T_DROPPED:
        dropped = reader.uint32();
        break;
      case T_FLAGS:
        flags = reader.fixed32();
        break;
      case T_TRACE_ID:
        traceId = readId(reader, end, 16, 'trace_id');
        break;
      case T_SPAN_ID:
        spanId = readId(reader, end, 8, 'span_id');
        break;
      case T_EVENT_NAME:
        eventName = reader.string();
        break;
      default:
        skipField(reader, t, 'LogRecord');
    }
  }
  checkEnd(reader, end);
  // "24 most significant bits are reserved … Readers … MUST correctly mask the bits when reading 8-bit trace flag".
  const traceFlags = flags & 0xff;
  let spanContext: SpanContext | undefined;
  if (traceId !== '' || spanId !== '' || traceFlags !== 0) spanContext = { traceId, spanId, traceFlags };
  checkTimes(hrTime, hrTimeObserved);
  return new PipelineRecord({
    hrTime,
    hrTimeObserved,
    spanContext,
    // proto3 defaults mean "unset": SEVERITY_NUMBER_UNSPECIFIED (0), "" text and "" event name.
    severityText: severityText || undefined,
    severityNumber: severityNumber || undefined,
    body,
    eventName: eventName || undefined,
    attributes,
    droppedAttributesCount: dropped,
    resource,
    instrumentationScope: scope,
  });
}
