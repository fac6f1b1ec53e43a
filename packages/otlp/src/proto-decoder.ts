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
import type { AnyValue, HrTime, SpanContext } from '@opentelemetry/api';
import {
  PipelineRecord,
  createResource,
  type RecordAttributes,
  type RecordResource,
  type RecordScope,
} from '@egressguard/schema';
import protobuf from 'protobufjs/minimal.js';

import { OtlpDecodeError, type DecodedLogs } from './decoded-logs.ts';
import { setDecodedKey } from './internal/attribute-key.ts';
import { checkTimes, fixed64ToHrTime } from './internal/fixed64-time.ts';
import { makeScope } from './internal/scope.ts';
import { FIELD, WIRE } from './internal/otlp-logs-descriptor.ts';

type Reader = protobuf.Reader;

/** How deep arrays and kvlists may nest inside one value; deeper is a rejected record, not a stack overflow. */
export const MAX_VALUE_DEPTH = 64;

const UNSET_TIME: HrTime = [0, 0];

const tag = (field: number, wire: number): number => (field << 3) | wire;

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

const AV = FIELD.AnyValue;
const T_STRING = tag(AV.string_value, WIRE.LEN);
const T_BOOL = tag(AV.bool_value, WIRE.VARINT);
const T_INT = tag(AV.int_value, WIRE.VARINT);
const T_DOUBLE = tag(AV.double_value, WIRE.I64);
const T_ARRAY = tag(AV.array_value, WIRE.LEN);
const T_KVLIST = tag(AV.kvlist_value, WIRE.LEN);
const T_BYTES = tag(AV.bytes_value, WIRE.LEN);

const T_KV_KEY = tag(FIELD.KeyValue.key, WIRE.LEN);
const T_KV_VALUE = tag(FIELD.KeyValue.value, WIRE.LEN);
const T_VALUES = tag(FIELD.ArrayValue.values, WIRE.LEN);

/** Known fields per message, with their expected wire type, to tell a wrong wire type from an unknown field. */
const KNOWN: Record<string, ReadonlyMap<number, number>> = {
  ExportLogsServiceRequest: new Map([[FIELD.ExportLogsServiceRequest.resource_logs, WIRE.LEN]]),
  ResourceLogs: new Map([
    [FIELD.ResourceLogs.resource, WIRE.LEN],
    [FIELD.ResourceLogs.scope_logs, WIRE.LEN],
    [FIELD.ResourceLogs.schema_url, WIRE.LEN],
  ]),
  ScopeLogs: new Map([
    [FIELD.ScopeLogs.scope, WIRE.LEN],
    [FIELD.ScopeLogs.log_records, WIRE.LEN],
    [FIELD.ScopeLogs.schema_url, WIRE.LEN],
  ]),
  LogRecord: new Map([
    [LR.time_unix_nano, WIRE.I64],
    [LR.observed_time_unix_nano, WIRE.I64],
    [LR.severity_number, WIRE.VARINT],
    [LR.severity_text, WIRE.LEN],
    [LR.body, WIRE.LEN],
    [LR.attributes, WIRE.LEN],
    [LR.dropped_attributes_count, WIRE.VARINT],
    [LR.flags, WIRE.I32],
    [LR.trace_id, WIRE.LEN],
    [LR.span_id, WIRE.LEN],
    [LR.event_name, WIRE.LEN],
  ]),
  Resource: new Map([
    [FIELD.Resource.attributes, WIRE.LEN],
    [FIELD.Resource.dropped_attributes_count, WIRE.VARINT],
  ]),
  InstrumentationScope: new Map([
    [FIELD.InstrumentationScope.name, WIRE.LEN],
    [FIELD.InstrumentationScope.version, WIRE.LEN],
    [FIELD.InstrumentationScope.attributes, WIRE.LEN],
    [FIELD.InstrumentationScope.dropped_attributes_count, WIRE.VARINT],
  ]),
  AnyValue: new Map([
    [AV.string_value, WIRE.LEN],
    [AV.bool_value, WIRE.VARINT],
    [AV.int_value, WIRE.VARINT],
    [AV.double_value, WIRE.I64],
    [AV.array_value, WIRE.LEN],
    [AV.kvlist_value, WIRE.LEN],
    [AV.bytes_value, WIRE.LEN],
  ]),
  KeyValue: new Map([
    [FIELD.KeyValue.key, WIRE.LEN],
    [FIELD.KeyValue.value, WIRE.LEN],
  ]),
  ArrayValue: new Map([[FIELD.ArrayValue.values, WIRE.LEN]]),
};

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
  const attributes: RecordAttributes = {};
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

function readTime(reader: Reader): HrTime {
  const lo = reader.fixed32();
  const hi = reader.fixed32();
  return lo === 0 && hi === 0 ? UNSET_TIME : fixed64ToHrTime(lo, hi);
}

function readId(reader: Reader, end: number, size: number, field: string): string {
  const idEnd = messageEnd(reader, end);
  const length = idEnd - reader.pos;
  if (length === 0) return '';
  if (length !== size) throw new Error(`${field} must be ${size} bytes, got ${length}`);
  const hex = (reader.buf as Buffer).toString('hex', reader.pos, idEnd);
  reader.pos = idEnd;
  return hex;
}

/** Reads one KeyValue message (ending at `end`) into `target`. */
function readKeyValueInto(
  reader: Reader,
  end: number,
  target: Record<string, AnyValue>,
  depth: number,
): void {
  let key = '';
  let value: AnyValue = null;
  let valueStart = -1;
  let valueEnd = -1;
  while (reader.pos < end) {
    const t = nextTag(reader);
    if (t === T_KV_KEY) {
      key = reader.string();
    } else if (t === T_KV_VALUE) {
      // The key may follow the value on the wire; read the value once the key is known, for the error message.
      valueEnd = messageEnd(reader, end);
      valueStart = reader.pos;
      reader.pos = valueEnd;
    } else {
      skipField(reader, t, 'KeyValue');
    }
  }
  checkEnd(reader, end);
  if (valueStart >= 0) {
    reader.pos = valueStart;
    try {
      value = readAnyValue(reader, valueEnd, depth);
    } catch (error) {
      // The path is built only when something failed: formatting it for every attribute would cost more than decoding.
      throw new Error(`[${JSON.stringify(key)}]${pathJoin(error)}`, { cause: error });
    }
    reader.pos = end;
  }
  setDecodedKey(target, key, value);
}

/**
 * Reads an AnyValue message ending at `end`. An empty AnyValue ("it is valid for all values to be unspecified in
 * which case this AnyValue is considered to be empty") is `null`; int64 becomes a number (exact up to 2^53).
 */
function readAnyValue(reader: Reader, end: number, depth: number): AnyValue {
  if (depth > MAX_VALUE_DEPTH) throw new Error(`: value nested deeper than ${MAX_VALUE_DEPTH} levels`);
  let value: AnyValue = null;
  {
    while (reader.pos < end) {
      const t = nextTag(reader);
      switch (t) {
        case T_STRING:
          value = reader.string();
          break;
        case T_BOOL:
          value = reader.bool();
          break;
        case T_INT:
          value = readInt64(reader);
          break;
        case T_DOUBLE:
          value = reader.double();
          break;
        case T_ARRAY: {
          const arrayEnd = messageEnd(reader, end);
          const values: AnyValue[] = [];
          while (reader.pos < arrayEnd) {
            const at = nextTag(reader);
            if (at !== T_VALUES) {
              skipField(reader, at, 'ArrayValue');
              continue;
            }
            try {
              values.push(readAnyValue(reader, messageEnd(reader, arrayEnd), depth + 1));
            } catch (error) {
              throw new Error(`[${values.length}]${pathJoin(error)}`, { cause: error });
            }
          }
          checkEnd(reader, arrayEnd);
          value = values;
          break;
        }
        case T_KVLIST: {
          const listEnd = messageEnd(reader, end);
          const object: Record<string, AnyValue> = {};
          while (reader.pos < listEnd) {
            const lt = nextTag(reader);
            if (lt === T_VALUES) readKeyValueInto(reader, messageEnd(reader, listEnd), object, depth + 1);
            else skipField(reader, lt, 'KeyValueList');
          }
          checkEnd(reader, listEnd);
          value = object;
          break;
        }
        case T_BYTES: {
          const bytesEnd = messageEnd(reader, end);
          // A copy: a view would keep the whole request body alive as long as the record lives.
          value = new Uint8Array(reader.buf.subarray(reader.pos, bytesEnd));
          reader.pos = bytesEnd;
          break;
        }
        default:
          skipField(reader, t, 'AnyValue');
      }
    }
    checkEnd(reader, end);
  }
  return value;
}

/** The message of an error from inside a value, as the rest of a path (`[0]["k"]: why`). */
function pathJoin(error: unknown): string {
  const text = message(error);
  return text.startsWith('[') || text.startsWith(':') ? text : `: ${text}`;
}

/** Reads a varint as a signed int64 into a number (two's complement; exact up to 2^53). */
function readInt64(reader: Reader): number {
  const buf = reader.buf;
  const len = reader.len;
  let pos = reader.pos;
  let lo = 0;
  let b = 0;
  for (let shift = 0; shift < 28; shift += 7) {
    if (pos >= len) throw new RangeError('varint runs past the end');
    b = buf[pos++]!;
    lo |= (b & 127) << shift;
    if (b < 128) {
      reader.pos = pos;
      return lo;
    }
  }
  if (pos >= len) throw new RangeError('varint runs past the end');
  b = buf[pos++]!;
  lo = (lo | ((b & 127) << 28)) >>> 0;
  let hi = (b & 127) >> 4;
  if (b < 128) {
    reader.pos = pos;
    return hi * 4294967296 + lo;
  }
  for (let shift = 3; shift < 35; shift += 7) {
    if (pos >= len) throw new RangeError('varint runs past the end');
    b = buf[pos++]!;
    hi |= (b & 127) << shift;
    if (b < 128) {
      reader.pos = pos;
      return (hi | 0) * 4294967296 + lo;
    }
  }
  throw new Error('invalid varint encoding');
}

function nextTag(reader: Reader): number {
  const t = reader.uint32();
  if (t >>> 3 === 0) throw new Error(`invalid field number 0 at offset ${reader.pos}`);
  return t;
}

/** Reads a length prefix and returns where the field ends, refusing one that runs past its enclosing message. */
function messageEnd(reader: Reader, limit: number): number {
  const length = reader.uint32();
  const end = reader.pos + length;
  if (end > limit)
    throw new RangeError(`field of ${length} bytes at offset ${reader.pos} runs past its enclosing message`);
  return end;
}

function checkEnd(reader: Reader, end: number): void {
  if (reader.pos !== end)
    throw new RangeError(
      `a field runs past its enclosing message (offset ${reader.pos}, message ends at ${end})`,
    );
}

function skipField(reader: Reader, t: number, messageName: string): void {
  const field = t >>> 3;
  const wire = t & 7;
  const expected = KNOWN[messageName]?.get(field);
  if (expected !== undefined && expected !== wire) {
    throw new Error(`${messageName} field ${field} has wire type ${wire}, expected ${expected}`);
  }
  reader.skipType(wire, 0, field);
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
