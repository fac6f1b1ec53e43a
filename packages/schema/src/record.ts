/**
 * The one in-memory record representation of the whole chain.
 *
 * Why this shape: a {@link PipelineRecord} has exactly the fields of the OpenTelemetry JS SDK's `ReadableLogRecord`
 * (`hrTime`, `hrTimeObserved`, `attributes`, `resource`, `instrumentationScope`, …). So:
 * - the OTLP exporters (`@opentelemetry/exporter-logs-otlp-http` and `-proto`) serialise our records directly, with
 *   no copy; they group records into `ResourceLogs`/`ScopeLogs` by the *identity* of `resource` and
 *   `instrumentationScope`, which is exactly how we keep each incoming resource and scope intact: every record of
 *   one incoming `ResourceLogs` points to the same resource object;
 * - inside an SDK pipeline the adapter forwards records to the next `LogRecordProcessor` without conversion;
 * - a record is one object with a fixed set of fields (one hidden class in V8) and one attribute dictionary; stages
 *   add keys to that dictionary in place instead of copying records, and the resource and scope are shared
 *   references, so a batch of N records from one resource costs N objects plus their attributes, not 3N.
 * Times are `HrTime` (`[seconds, nanoseconds]`), the SDK's own exact representation of nanosecond timestamps;
 * {@link eventTimeMs} turns them into the milliseconds stateful stages compute with.
 */
import type { AnyValue, HrTime, SpanContext } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';

import { ResourceAttr } from './names.ts';

/** Attribute dictionary of a record: OpenTelemetry `AnyValue`s by key. */
export type RecordAttributes = Record<string, AnyValue>;
/** The read-only view of an attribute dictionary. */
export type ReadonlyRecordAttributes = Readonly<Record<string, AnyValue>>;

/** The instrumentation scope of a record, with the attributes OTLP allows on a scope. */
export type RecordScope = InstrumentationScope & {
  attributes?: RecordAttributes;
  droppedAttributesCount?: number;
};

/** The resource of a record: the SDK's `Resource`, so exporters and SDK processors accept it as it is. */
export type RecordResource = Resource;

/** What a record is built from; omitted times are "unset" (`[0, 0]`, as OTLP's 0). */
export interface PipelineRecordInit {
  hrTime?: HrTime;
  hrTimeObserved?: HrTime;
  spanContext?: SpanContext;
  severityText?: string;
  severityNumber?: number;
  body?: AnyValue;
  eventName?: string;
  attributes?: RecordAttributes;
  droppedAttributesCount?: number;
  resource: RecordResource;
  instrumentationScope: RecordScope;
}

const UNSET_TIME: HrTime = [0, 0];

/** A log record as it moves through the chain; structurally an SDK `ReadableLogRecord` with writable attributes. */
export class PipelineRecord {
  hrTime: HrTime;
  hrTimeObserved: HrTime;
  spanContext: SpanContext | undefined;
  severityText: string | undefined;
  severityNumber: number | undefined;
  body: AnyValue;
  eventName: string | undefined;
  attributes: RecordAttributes;
  droppedAttributesCount: number;
  resource: RecordResource;
  instrumentationScope: RecordScope;

  constructor(init: PipelineRecordInit) {
    this.hrTime = init.hrTime ?? UNSET_TIME;
    this.hrTimeObserved = init.hrTimeObserved ?? UNSET_TIME;
    this.spanContext = init.spanContext;
    this.severityText = init.severityText;
    this.severityNumber = init.severityNumber;
    this.body = init.body;
    this.eventName = init.eventName;
    this.attributes = init.attributes ?? {};
    this.droppedAttributesCount = init.droppedAttributesCount ?? 0;
    this.resource = init.resource;
    this.instrumentationScope = init.instrumentationScope;
  }
}

/** The read-only view of a record, for code that must not change it. */
export interface ReadonlyPipelineRecord {
  readonly hrTime: Readonly<HrTime>;
  readonly hrTimeObserved: Readonly<HrTime>;
  readonly spanContext: SpanContext | undefined;
  readonly severityText: string | undefined;
  readonly severityNumber: number | undefined;
  readonly body: AnyValue;
  readonly eventName: string | undefined;
  readonly attributes: ReadonlyRecordAttributes;
  readonly droppedAttributesCount: number;
  readonly resource: RecordResource;
  readonly instrumentationScope: Readonly<RecordScope>;
}

/** Builds a resource from attributes; records that share a resource must share this object. */
export function createResource(attributes: RecordAttributes, schemaUrl?: string): RecordResource {
  // The SDK's Resource type only admits primitive attribute values; OTLP resources may carry any AnyValue and the
  // exporter serialises whatever is there, so the cast only widens what the SDK type admits.
  return resourceFromAttributes(attributes, schemaUrl ? { schemaUrl } : undefined);
}

/** Milliseconds since the Unix epoch to `HrTime`. */
export function msToHrTime(ms: number): HrTime {
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}

/** `HrTime` to milliseconds since the Unix epoch (fractional below 1 ms). */
export function hrTimeToMs(time: Readonly<HrTime>): number {
  return time[0] * 1000 + time[1] / 1e6;
}

/** Nanoseconds since the Unix epoch (as OTLP carries them) to `HrTime`, exactly. */
export function nanosToHrTime(nanos: bigint): HrTime {
  return [Number(nanos / 1_000_000_000n), Number(nanos % 1_000_000_000n)];
}

/** `HrTime` to nanoseconds since the Unix epoch. */
export function hrTimeToNanos(time: Readonly<HrTime>): bigint {
  return BigInt(time[0]) * 1_000_000_000n + BigInt(time[1]);
}

/**
 * The earliest event time (Unix ms) a record may carry: 1970-01-01T00:00:00Z. Sensors and OTLP carry unsigned times,
 * so anything earlier is a misread value, not an event.
 */
export const EVENT_TIME_MIN_MS = 0;

/**
 * The latest event time (Unix ms) a record may carry: 2200-01-01T00:00:00Z. Far past any real clock, and far below the
 * magnitudes (2^53 ms and beyond) where adding or stepping by a window length no longer changes a number.
 */
export const EVENT_TIME_MAX_MS = Date.UTC(2200, 0, 1);

/** True when `ms` is a finite Unix time in [{@link EVENT_TIME_MIN_MS}, {@link EVENT_TIME_MAX_MS}]. */
export function isEventTimeInRange(ms: number): boolean {
  return Number.isFinite(ms) && ms >= EVENT_TIME_MIN_MS && ms <= EVENT_TIME_MAX_MS;
}

/**
 * What is wrong with a record's time or observed time, or `undefined` when both are unset (`[0, 0]`) or a sane
 * Unix time ({@link isEventTimeInRange}, nanoseconds an integer in [0, 1e9)).
 */
export function eventTimeProblem(record: ReadonlyPipelineRecord): string | undefined {
  return hrTimeProblem(record.hrTime, 'time') ?? hrTimeProblem(record.hrTimeObserved, 'observed time');
}

function hrTimeProblem(t: Readonly<HrTime>, what: string): string | undefined {
  if (t[0] === 0 && t[1] === 0) return undefined;
  if (!Number.isInteger(t[0]) || !Number.isInteger(t[1]) || t[1] < 0 || t[1] >= 1e9)
    return `${what} is not a valid [seconds, nanoseconds] pair ([${t[0]}, ${t[1]}])`;
  const ms = hrTimeToMs(t);
  if (!isEventTimeInRange(ms))
    return `${what} ${t[0]} s is outside 1970-01-01..2200-01-01 (a misread or corrupt timestamp)`;
  return undefined;
}

/**
 * The event time of a record in Unix milliseconds: its time when set, else its observed time (OTLP: "if unknown,
 * time_unix_nano is 0"), else `undefined`.
 */
export function eventTimeMs(record: ReadonlyPipelineRecord): number | undefined {
  const t = record.hrTime;
  if (t[0] !== 0 || t[1] !== 0) return hrTimeToMs(t);
  const o = record.hrTimeObserved;
  if (o[0] !== 0 || o[1] !== 0) return hrTimeToMs(o);
  return undefined;
}

/** The record's `host.name` resource attribute, or `undefined`. */
export function hostName(record: ReadonlyPipelineRecord): string | undefined {
  const value = record.resource.attributes[ResourceAttr.HOST_NAME];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Objects a maker with room makes first: more than the few after which V8 trims a constructor's objects. */
const ROOM_PRIMING_OBJECTS = 16;
/** The placeholder attributes of those objects (a record with an attribute of one of these names only shares shapes). */
const ROOM_NAMES = Array.from({ length: 64 }, (_, i) => ` room ${i}`);

/**
 * A maker of empty record attribute dictionaries, for code that fills them with computed keys (a decoder, a stage
 * that builds records). A dictionary filled with computed keys stays a fast V8 object only while the attributes kept
 * outside the object itself number no more than those inside it (and at least a dozen); past that V8 turns it into a
 * hash dictionary, and every read and write of it, and every walk over it, is a hash lookup after that. A literal
 * `{}` has room for four inside: a sensor's connection record of about twenty attributes turns when a stage adds two.
 *
 * Each maker is a constructor of its own whose objects V8 first sizes for the 64 attributes its body could set (the
 * body never runs for a record: V8 sizes a constructor's objects from the properties its source assigns), then,
 * after the first few objects, trims to what those used. Without `room`, a maker's objects therefore hold as many
 * attributes inside as its first records had, and about twice that in all before they turn; attributes that later
 * stages add past that go to a separate array, which is copied each time it grows. With `room` (at most 64), the
 * maker first makes a few objects of `room` attributes itself, so that the trimming keeps room for that many inside:
 * for records whose later stages are known to add many (a flow record, which the novelty filter annotates). The
 * objects are plain: their prototype is `Object.prototype`, as a literal's is. Make one maker per kind of record (a
 * decoder's records, a stage's flows), at module level, and call it per record: empty, or with the attributes to
 * copy first (their own keys, in their order, as a spread would copy them).
 */
export function attributeDictionaryMaker(
  room?: number,
): (from?: Readonly<RecordAttributes>) => RecordAttributes {
  const AttributeDictionary = function AttributeDictionary(this: Record<string, unknown>, never?: true) {
    if (never === true) {
      // The 64 properties V8 sizes the first objects for; never set on a record (`never` is never passed).
      this.a00 = this.a01 = this.a02 = this.a03 = this.a04 = this.a05 = this.a06 = this.a07 = undefined;
      this.a10 = this.a11 = this.a12 = this.a13 = this.a14 = this.a15 = this.a16 = this.a17 = undefined;
      this.a20 = this.a21 = this.a22 = this.a23 = this.a24 = this.a25 = this.a26 = this.a27 = undefined;
      this.a30 = this.a31 = this.a32 = this.a33 = this.a34 = this.a35 = this.a36 = this.a37 = undefined;
      this.a40 = this.a41 = this.a42 = this.a43 = this.a44 = this.a45 = this.a46 = this.a47 = undefined;
      this.a50 = this.a51 = this.a52 = this.a53 = this.a54 = this.a55 = this.a56 = this.a57 = undefined;
      this.a60 = this.a61 = this.a62 = this.a63 = this.a64 = this.a65 = this.a66 = this.a67 = undefined;
      this.a70 = this.a71 = this.a72 = this.a73 = this.a74 = this.a75 = this.a76 = this.a77 = undefined;
    }
  } as unknown as new () => RecordAttributes;
  (AttributeDictionary as unknown as { prototype: object }).prototype = Object.prototype;
  if (room !== undefined) {
    // V8 trims after its first few objects (seven in the versions we run on) to the most attributes any object made
    // so far holds: objects of `room` placeholder attributes, made and dropped here, set that most.
    const size = Math.min(Math.max(0, Math.floor(room)), 64);
    for (let i = 0; i < ROOM_PRIMING_OBJECTS; i++) {
      const placeholder = new AttributeDictionary();
      for (let k = 0; k < size; k++) placeholder[ROOM_NAMES[k]] = undefined;
    }
  }
  return (from) => {
    const attributes = new AttributeDictionary();
    if (from !== undefined)
      for (const name in from) if (Object.hasOwn(from, name)) attributes[name] = from[name];
    return attributes;
  };
}

/**
 * Sets an attribute only when the record does not carry it yet: stages add, never overwrite a sensor's value.
 * Returns true when the value was written. `undefined` values are never written (missing means unknown).
 */
export function setIfAbsent(record: PipelineRecord, key: string, value: AnyValue): boolean {
  if (value === undefined) return false;
  const attrs = record.attributes;
  if (attrs[key] !== undefined) return false;
  attrs[key] = value;
  return true;
}

/** A shallow copy of a record with its own attribute dictionary; resource and scope stay shared. */
export function cloneRecord(record: ReadonlyPipelineRecord): PipelineRecord {
  return new PipelineRecord({
    hrTime: [record.hrTime[0], record.hrTime[1]],
    hrTimeObserved: [record.hrTimeObserved[0], record.hrTimeObserved[1]],
    ...(record.spanContext ? { spanContext: record.spanContext } : {}),
    ...(record.severityText !== undefined ? { severityText: record.severityText } : {}),
    ...(record.severityNumber !== undefined ? { severityNumber: record.severityNumber } : {}),
    body: record.body,
    ...(record.eventName !== undefined ? { eventName: record.eventName } : {}),
    attributes: { ...record.attributes },
    droppedAttributesCount: record.droppedAttributesCount,
    resource: record.resource,
    instrumentationScope: record.instrumentationScope,
  });
}
