/**
 * Builds the `egressguard.connection` records of the Zeek, Auditbeat, tcplife and ss parsers: one place that decides
 * the scope, the event name and how times are written, so the four formats agree.
 */
import type { AnyValue, HrTime } from '@opentelemetry/api';
import {
  EventName,
  NetworkAttr,
  PipelineRecord,
  parseAddress,
  type RecordAttributes,
  type RecordResource,
} from '@egressguard/schema';

import { NORMALIZE_SCOPE, definedAttributes } from '../../internal/record-builder.ts';

/** Times of a connection record; an omitted time stays unset (`[0, 0]`, OTLP's "unknown"). */
export interface ConnectionTimes {
  /** When the connection started. */
  readonly time?: HrTime;
  /** When the sensor saw it (reported it). */
  readonly observed?: HrTime;
}

/**
 * A new connection record with the given attributes; undefined and empty values are left out (missing means
 * unknown), and the start and observed times are set separately because these sensors report a connection after
 * it started. Addresses are written in the schema's canonical form (an IPv4-mapped address as IPv4, with
 * `network.type` following the destination); text that is not an IP address is kept as the sensor wrote it.
 */
export function connectionRecord(
  resource: RecordResource,
  times: ConnectionTimes,
  attributes: Readonly<Record<string, AnyValue>>,
): PipelineRecord {
  const attrs = canonicalAddresses(definedAttributes(attributes));
  return new PipelineRecord({
    ...(times.time ? { hrTime: times.time } : {}),
    ...(times.observed ? { hrTimeObserved: times.observed } : {}),
    eventName: EventName.CONNECTION,
    attributes: attrs,
    resource,
    instrumentationScope: NORMALIZE_SCOPE,
  });
}

function canonicalAddresses(attrs: RecordAttributes): RecordAttributes {
  const source = attrs[NetworkAttr.SOURCE_ADDRESS];
  const sourceAddress = typeof source === 'string' ? parseAddress(source) : undefined;
  if (sourceAddress) attrs[NetworkAttr.SOURCE_ADDRESS] = sourceAddress.address;
  const destination = attrs[NetworkAttr.DESTINATION_ADDRESS];
  const destinationAddress = typeof destination === 'string' ? parseAddress(destination) : undefined;
  if (destinationAddress) {
    attrs[NetworkAttr.DESTINATION_ADDRESS] = destinationAddress.address;
    attrs[NetworkAttr.TYPE] = destinationAddress.type;
  }
  return attrs;
}

/** `ipv6` when the address contains a colon, `ipv4` when it is dotted-quad, else undefined. */
export function ipNetworkType(address: string | undefined): 'ipv4' | 'ipv6' | undefined {
  if (address === undefined) return undefined;
  if (address.includes(':')) return 'ipv6';
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(address) ? 'ipv4' : undefined;
}

const SECONDS = /^(\d+)(?:\.(\d{1,9}))?$/;

/**
 * Decimal Unix seconds (`"1517422326.539915"`, as Zeek writes `time` values) to `HrTime`, exactly: the string is
 * split rather than multiplied so microseconds survive. Undefined when the text is not a non-negative decimal.
 */
export function decimalSecondsToHrTime(text: string): HrTime | undefined {
  const m = SECONDS.exec(text);
  if (!m) return undefined;
  const frac = (m[2] ?? '').padEnd(9, '0');
  return [Number(m[1]), Number(frac)];
}

/** An ISO 8601 date-time to `HrTime` (millisecond precision, as `Date` parses it); undefined when unreadable. */
export function isoToHrTime(text: string): HrTime | undefined {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) return undefined;
  const seconds = Math.floor(ms / 1000);
  return [seconds, (ms - seconds * 1000) * 1_000_000];
}
