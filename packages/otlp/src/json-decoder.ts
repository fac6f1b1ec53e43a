/**
 * OTLP/JSON logs decoding straight into {@link PipelineRecord}s, by the OTLP/JSON rules of the OTLP specification
 * ("JSON Protobuf Encoding"):
 * - trace and span ids are hex strings (not base64 as proto3 JSON would have them); other bytes are base64;
 * - int64/fixed64 values (times, `intValue`) may be decimal strings or numbers; times become exact `HrTime`s;
 * - enums (`severityNumber`) are integers; the enum's value names are accepted too, as proto3 JSON parsers do;
 * - keys are lowerCamelCase. The specification calls the original snake_case names "not valid"; protobuf's own JSON
 *   parsers and the Collector accept them anyway, and accepting them cannot misread a valid payload, so we do too
 *   (lowerCamelCase wins when both are present);
 * - "OTLP/JSON receivers MUST ignore message fields with unknown names": unknown keys are ignored; `null` means unset.
 *
 * `intValue` becomes a number: exact up to 2^53, rounded beyond (JavaScript attributes have no int64).
 * A broken record is rejected on its own; a body that is not JSON, not an object, or whose `resourceLogs`,
 * `scopeLogs` or `logRecords` is not an array throws {@link OtlpDecodeError}.
 */
import type { AnyValue, HrTime, SpanContext } from '@opentelemetry/api';
import {
  PipelineRecord,
  attributeDictionaryMaker,
  createResource,
  type RecordAttributes,
  type RecordResource,
  type RecordScope,
} from '@egressguard/schema';

import { OtlpDecodeError, type DecodedLogs } from './decoded-logs.ts';
import { setDecodedKey } from './internal/attribute-key.ts';
import { checkTimes, jsonNanosToHrTime } from './internal/fixed64-time.ts';
import { makeScope } from './internal/scope.ts';
import { MAX_VALUE_DEPTH } from './proto-decoder.ts';

type JsonObject = Record<string, unknown>;

/** Record attribute dictionaries of this decoder (see `attributeDictionaryMaker`). */
const newAttributeDictionary = attributeDictionaryMaker();

const UNSET_TIME: HrTime = [0, 0];
const utf8 = new TextDecoder('utf-8', { fatal: true });

const SEVERITY_NAMES: ReadonlyMap<string, number> = new Map(
  [
    'UNSPECIFIED',
    'TRACE',
    'TRACE2',
    'TRACE3',
    'TRACE4',
    'DEBUG',
    'DEBUG2',
    'DEBUG3',
    'DEBUG4',
    'INFO',
    'INFO2',
    'INFO3',
    'INFO4',
    'WARN',
    'WARN2',
    'WARN3',
    'WARN4',
    'ERROR',
    'ERROR2',
    'ERROR3',
    'ERROR4',
    'FATAL',
    'FATAL2',
    'FATAL3',
    'FATAL4',
  ].map((name, i) => [`SEVERITY_NUMBER_${name}`, i]),
);

const HEX = /^[0-9a-fA-F]*$/;
const INT = /^-?\d+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;
const BASE64_URL = /^[A-Za-z0-9_-]*={0,2}$/;

/**
 * Decodes an OTLP/JSON `ExportLogsServiceRequest`.
 *
 * @throws {OtlpDecodeError} when the body is not an OTLP/JSON logs request; broken records are returned in `rejected`.
 */
export function decodeLogsJson(body: string | Uint8Array): DecodedLogs {
  let text: string;
  let parsed: unknown;
  try {
    text = typeof body === 'string' ? body : utf8.decode(body);
  } catch (error) {
    throw new OtlpDecodeError('body is not valid UTF-8', { cause: error });
  }
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new OtlpDecodeError(`body is not JSON: ${(error as Error).message}`, { cause: error });
  }
  if (!isObject(parsed))
    throw new OtlpDecodeError(`body must be a JSON object (ExportLogsServiceRequest), got ${kind(parsed)}`);
  const out: DecodedLogs = { records: [], rejected: [] };
  const resourceLogs = list(parsed, 'resourceLogs', 'resource_logs', 'ExportLogsServiceRequest');
  let index = 0;
  for (let r = 0; r < resourceLogs.length; r++) {
    const where = `resourceLogs[${r}]`;
    const rl = resourceLogs[r];
    if (!isObject(rl)) throw new OtlpDecodeError(`${where} must be an object, got ${kind(rl)}`);
    const scopeLogs = list(rl, 'scopeLogs', 'scope_logs', where);
    let resource: RecordResource | undefined;
    let problem: string | undefined;
    try {
      resource = readResource(rl);
    } catch (error) {
      problem = `${where}.resource: ${(error as Error).message}`;
    }
    for (let s = 0; s < scopeLogs.length; s++) {
      const sWhere = `${where}.scopeLogs[${s}]`;
      const sl = scopeLogs[s];
      if (!isObject(sl)) throw new OtlpDecodeError(`${sWhere} must be an object, got ${kind(sl)}`);
      const logRecords = list(sl, 'logRecords', 'log_records', sWhere);
      let scope: RecordScope | undefined;
      let scopeProblem = problem;
      if (scopeProblem === undefined) {
        try {
          scope = readScope(sl);
        } catch (error) {
          scopeProblem = `${sWhere}.scope: ${(error as Error).message}`;
        }
      }
      for (let i = 0; i < logRecords.length; i++) {
        const recordIndex = index++;
        if (scopeProblem !== undefined || resource === undefined || scope === undefined) {
          out.rejected.push({ index: recordIndex, reason: scopeProblem ?? `${sWhere}: unreadable` });
          continue;
        }
        try {
          out.records.push(readLogRecord(logRecords[i], resource, scope));
        } catch (error) {
          out.rejected.push({
            index: recordIndex,
            reason: `${sWhere}.logRecords[${i}]: ${(error as Error).message}`,
          });
        }
      }
    }
  }
  return out;
}

function readResource(rl: JsonObject): RecordResource {
  const schemaUrl = optionalString(field(rl, 'schemaUrl', 'schema_url'), 'schemaUrl');
  const raw = rl['resource'];
  let attributes: RecordAttributes = {};
  if (raw !== undefined && raw !== null) {
    if (!isObject(raw)) throw new Error(`must be an object, got ${kind(raw)}`);
    attributes = readAttributes(raw['attributes'], 'attributes');
  }
  return createResource(attributes, schemaUrl || undefined);
}

function readScope(sl: JsonObject): RecordScope {
  const schemaUrl = optionalString(field(sl, 'schemaUrl', 'schema_url'), 'schemaUrl');
  const raw = sl['scope'];
  if (raw === undefined || raw === null) return makeScope('', '', undefined, 0, schemaUrl);
  if (!isObject(raw)) throw new Error(`must be an object, got ${kind(raw)}`);
  const attrs = raw['attributes'];
  if (attrs !== undefined && attrs !== null && !Array.isArray(attrs))
    throw new Error(`attributes must be an array, got ${kind(attrs)}`);
  return makeScope(
    optionalString(raw['name'], 'name'),
    optionalString(raw['version'], 'version'),
    Array.isArray(attrs) && attrs.length > 0 ? readAttributes(attrs, 'attributes') : undefined,
    uint32(field(raw, 'droppedAttributesCount', 'dropped_attributes_count'), 'droppedAttributesCount'),
    schemaUrl,
  );
}

function readLogRecord(raw: unknown, resource: RecordResource, scope: RecordScope): PipelineRecord {
  if (!isObject(raw)) throw new Error(`must be an object, got ${kind(raw)}`);
  const time = field(raw, 'timeUnixNano', 'time_unix_nano');
  const observed = field(raw, 'observedTimeUnixNano', 'observed_time_unix_nano');
  const hrTime = time === undefined ? UNSET_TIME : jsonNanosToHrTime(time, 'timeUnixNano');
  const hrTimeObserved =
    observed === undefined ? UNSET_TIME : jsonNanosToHrTime(observed, 'observedTimeUnixNano');
  const severityNumber = severity(field(raw, 'severityNumber', 'severity_number'));
  const severityText = optionalString(field(raw, 'severityText', 'severity_text'), 'severityText');
  const eventName = optionalString(field(raw, 'eventName', 'event_name'), 'eventName');
  const rawBody = raw['body'];
  const body = rawBody === undefined || rawBody === null ? undefined : readAnyValue(rawBody, 0, 'body');
  const attributes = readAttributes(raw['attributes'], 'attributes');
  const dropped = uint32(
    field(raw, 'droppedAttributesCount', 'dropped_attributes_count'),
    'droppedAttributesCount',
  );
  const traceFlags = uint32(raw['flags'], 'flags') & 0xff;
  const traceId = hexId(field(raw, 'traceId', 'trace_id'), 32, 'traceId');
  const spanId = hexId(field(raw, 'spanId', 'span_id'), 16, 'spanId');
  let spanContext: SpanContext | undefined;
  if (traceId !== '' || spanId !== '' || traceFlags !== 0) spanContext = { traceId, spanId, traceFlags };
  checkTimes(hrTime, hrTimeObserved);
  return new PipelineRecord({
    hrTime,
    hrTimeObserved,
    spanContext,
    severityText: severityText || undefined,
    severityNumber: severityNumber || undefined,
    // An empty AnyValue body ({}) is no body, as an absent one.
    body: body === null ? undefined : body,
    eventName: eventName || undefined,
    attributes,
    droppedAttributesCount: dropped,
    resource,
    instrumentationScope: scope,
  });
}

function readAttributes(raw: unknown, where: string): RecordAttributes {
  const attributes: RecordAttributes = newAttributeDictionary();
  if (raw === undefined || raw === null) return attributes;
  if (!Array.isArray(raw)) throw new Error(`${where} must be an array, got ${kind(raw)}`);
  readKeyValues(raw, attributes, 0, where);
  return attributes;
}

function readKeyValues(
  list: unknown[],
  target: Record<string, AnyValue>,
  depth: number,
  where: string,
): void {
  for (let i = 0; i < list.length; i++) {
    const kv = list[i];
    if (!isObject(kv)) throw new Error(`${where}[${i}] must be a KeyValue object, got ${kind(kv)}`);
    const key = kv['key'];
    if (key !== undefined && key !== null && typeof key !== 'string')
      throw new Error(`${where}[${i}].key must be a string`);
    const name = key ?? '';
    const value = kv['value'];
    let decoded: AnyValue = null;
    if (value !== undefined && value !== null) {
      try {
        decoded = readAnyValue(value, depth, '');
      } catch (error) {
        // The path is built only when something failed: formatting it for every attribute would cost more than decoding.
        throw new Error(`${where}[${JSON.stringify(name)}]${(error as Error).message}`, { cause: error });
      }
    }
    setDecodedKey(target, name, decoded);
  }
}

/** Reads an OTLP/JSON AnyValue; the empty value (`{}`) is `null`. */
function readAnyValue(raw: unknown, depth: number, where: string): AnyValue {
  if (depth > MAX_VALUE_DEPTH)
    throw new Error(`${where}: value nested deeper than ${MAX_VALUE_DEPTH} levels`);
  if (!isObject(raw)) throw new Error(`${where}: must be an AnyValue object, got ${kind(raw)}`);
  let value: AnyValue = null;
  let set = 0;
  for (const key in raw) {
    const v = raw[key];
    if (v === null || v === undefined) continue;
    switch (key) {
      case 'stringValue':
      case 'string_value':
        if (typeof v !== 'string') throw new Error(`${where}.stringValue must be a string, got ${kind(v)}`);
        value = v;
        break;
      case 'boolValue':
      case 'bool_value':
        if (typeof v !== 'boolean') throw new Error(`${where}.boolValue must be a boolean, got ${kind(v)}`);
        value = v;
        break;
      case 'intValue':
      case 'int_value':
        value = int64(v, `${where}.intValue`);
        break;
      case 'doubleValue':
      case 'double_value':
        value = double(v, `${where}.doubleValue`);
        break;
      case 'bytesValue':
      case 'bytes_value':
        value = base64(v, `${where}.bytesValue`);
        break;
      case 'arrayValue':
      case 'array_value': {
        if (!isObject(v)) throw new Error(`${where}.arrayValue must be an object, got ${kind(v)}`);
        const values = v['values'] ?? [];
        if (!Array.isArray(values))
          throw new Error(`${where}.arrayValue.values must be an array, got ${kind(values)}`);
        const array: AnyValue[] = new Array<AnyValue>(values.length);
        for (let i = 0; i < values.length; i++) {
          const element: unknown = values[i];
          try {
            array[i] = element === null ? null : readAnyValue(element, depth + 1, '');
          } catch (error) {
            throw new Error(`${where}[${i}]${(error as Error).message}`, { cause: error });
          }
        }
        value = array;
        break;
      }
      case 'kvlistValue':
      case 'kvlist_value': {
        if (!isObject(v)) throw new Error(`${where}.kvlistValue must be an object, got ${kind(v)}`);
        const values = v['values'] ?? [];
        if (!Array.isArray(values))
          throw new Error(`${where}.kvlistValue.values must be an array, got ${kind(values)}`);
        const object: Record<string, AnyValue> = {};
        readKeyValues(values, object, depth + 1, where);
        value = object;
        break;
      }
      default:
        // Unknown keys, including the profiling-only stringValueStrindex, are ignored.
        continue;
    }
    set += 1;
  }
  if (set > 1) throw new Error(`${where} sets more than one of the AnyValue oneof fields`);
  return value;
}

function int64(v: unknown, where: string): number {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error(`${where} must be an integer, got ${v}`);
    return v;
  }
  if (typeof v === 'string' && INT.test(v)) return Number(v);
  throw new Error(
    `${where} must be an integer or a decimal string, got ${kind(v)} ${JSON.stringify(v)?.slice(0, 40)}`,
  );
}

function double(v: unknown, where: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    // proto3 JSON writes non-finite doubles as these strings and accepts numbers in strings.
    if (v === 'NaN') return NaN;
    if (v === 'Infinity') return Infinity;
    if (v === '-Infinity') return -Infinity;
    const n = Number(v);
    if (v.trim() !== '' && Number.isFinite(n)) return n;
  }
  throw new Error(`${where} must be a number, got ${kind(v)} ${JSON.stringify(v)?.slice(0, 40)}`);
}

function base64(v: unknown, where: string): Uint8Array {
  if (typeof v !== 'string' || !(BASE64.test(v) || BASE64_URL.test(v)))
    throw new Error(`${where} must be a base64 string`);
  const decoded = Buffer.from(v, BASE64.test(v) ? 'base64' : 'base64url');
  return new Uint8Array(decoded.buffer.slice(decoded.byteOffset, decoded.byteOffset + decoded.byteLength));
}

function hexId(v: unknown, length: number, where: string): string {
  if (v === undefined || v === '') return '';
  if (typeof v !== 'string' || v.length !== length || !HEX.test(v)) {
    throw new Error(`${where} must be ${length} hex digits, got ${JSON.stringify(v)?.slice(0, 40)}`);
  }
  return v.toLowerCase();
}

function severity(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string') {
    const n = SEVERITY_NAMES.get(v);
    if (n !== undefined) return n;
  }
  throw new Error(`severityNumber must be an integer, got ${JSON.stringify(v)?.slice(0, 40)}`);
}

function uint32(v: unknown, where: string): number {
  if (v === undefined) return 0;
  const n = typeof v === 'string' && INT.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new Error(`${where} must be an unsigned 32-bit integer, got ${JSON.stringify(v)?.slice(0, 40)}`);
  }
  return n;
}

function optionalString(v: unknown, where: string): string {
  if (v === undefined) return '';
  if (typeof v !== 'string') throw new Error(`${where} must be a string, got ${kind(v)}`);
  return v;
}

/** The value of a field by its lowerCamelCase name, else by its original name; `null` counts as unset. */
function field(o: JsonObject, camel: string, snake: string): unknown {
  return o[camel] ?? o[snake] ?? undefined;
}

function list(o: JsonObject, camel: string, snake: string, where: string): unknown[] {
  const v = field(o, camel, snake);
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new OtlpDecodeError(`${where}.${camel} must be an array, got ${kind(v)}`);
  return v;
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v;
}
