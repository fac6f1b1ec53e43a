/**
 * The wire-level readers of the OTLP/protobuf logs decoder: tags, values (AnyValue, KeyValue, arrays and kvlists
 * with a depth bound), ids, times, 64-bit integers, message bounds and the skipping of unknown fields, which are
 * told from known fields of the wrong wire type.
 */
import type { AnyValue, HrTime } from '@opentelemetry/api';
import type protobuf from 'protobufjs/minimal.js';

import { setDecodedKey } from './attribute-key.ts';
import { fixed64ToHrTime } from './fixed64-time.ts';
import { FIELD, WIRE } from './otlp-logs-descriptor.ts';

export type Reader = protobuf.Reader;

/** How deep arrays and kvlists may nest inside one value; deeper is a rejected record, not a stack overflow. */
export const MAX_VALUE_DEPTH = 64;

/** The time of a record that carries none. */
export const UNSET_TIME: HrTime = [0, 0];

/** The tag of a field: its number and wire type. */
export const tag = (field: number, wire: number): number => (field << 3) | wire;

const LR = FIELD.LogRecord;

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

export function readTime(reader: Reader): HrTime {
  const lo = reader.fixed32();
  const hi = reader.fixed32();
  return lo === 0 && hi === 0 ? UNSET_TIME : fixed64ToHrTime(lo, hi);
}

export function readId(reader: Reader, end: number, size: number, field: string): string {
  const idEnd = messageEnd(reader, end);
  const length = idEnd - reader.pos;
  if (length === 0) return '';
  if (length !== size) throw new Error(`${field} must be ${size} bytes, got ${length}`);
  const hex = (reader.buf as Buffer).toString('hex', reader.pos, idEnd);
  reader.pos = idEnd;
  return hex;
}

/** Reads one KeyValue message (ending at `end`) into `target`. */
export function readKeyValueInto(
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
export function readAnyValue(reader: Reader, end: number, depth: number): AnyValue {
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
export function pathJoin(error: unknown): string {
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

export function nextTag(reader: Reader): number {
  const t = reader.uint32();
  if (t >>> 3 === 0) throw new Error(`invalid field number 0 at offset ${reader.pos}`);
  return t;
}

/** Reads a length prefix and returns where the field ends, refusing one that runs past its enclosing message. */
export function messageEnd(reader: Reader, limit: number): number {
  const length = reader.uint32();
  const end = reader.pos + length;
  if (end > limit)
    throw new RangeError(`field of ${length} bytes at offset ${reader.pos} runs past its enclosing message`);
  return end;
}

export function checkEnd(reader: Reader, end: number): void {
  if (reader.pos !== end)
    throw new RangeError(
      `a field runs past its enclosing message (offset ${reader.pos}, message ends at ${end})`,
    );
}

export function skipField(reader: Reader, t: number, messageName: string): void {
  const field = t >>> 3;
  const wire = t & 7;
  const expected = KNOWN[messageName]?.get(field);
  if (expected !== undefined && expected !== wire) {
    throw new Error(`${messageName} field ${field} has wire type ${wire}, expected ${expected}`);
  }
  reader.skipType(wire, 0, field);
}

export function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
