/**
 * Builds the records a parser emits: one instrumentation scope for everything this package writes, attributes
 * without `undefined` values ("missing means unknown": an absent value is never written as 0 or "").
 */
import type { AnyValue, HrTime } from '@opentelemetry/api';
import {
  PipelineRecord,
  attributeDictionaryMaker,
  type RecordAttributes,
  type RecordResource,
  type RecordScope,
} from '@egressguard/schema';

/** The instrumentation scope of records written by the normalizers. */
export const NORMALIZE_SCOPE: RecordScope = { name: '@egressguard/normalize', version: '0.1.0' };

/**
 * The parsers' records' attribute dictionaries: stages downstream add to them (process attribution adds the
 * process's attributes to a connection), so they are made with room (see `attributeDictionaryMaker`).
 */
const newAttributeDictionary = attributeDictionaryMaker();

/** Attributes with `undefined`, `null`, `NaN` and empty-string values left out. */
export function definedAttributes(entries: Readonly<Record<string, AnyValue>>): RecordAttributes {
  const out = newAttributeDictionary();
  for (const key of Object.keys(entries)) {
    const value = entries[key];
    if (value === undefined || value === null || value === '') continue;
    if (typeof value === 'number' && !Number.isFinite(value)) continue;
    out[key] = value;
  }
  return out;
}

/** A record with event time `time` (also its observed time: when the sensor saw it). */
export function buildRecord(
  eventName: string,
  time: HrTime,
  attributes: Readonly<Record<string, AnyValue>>,
  resource: RecordResource,
): PipelineRecord {
  return new PipelineRecord({
    hrTime: time,
    hrTimeObserved: [time[0], time[1]],
    eventName,
    attributes: definedAttributes(attributes),
    resource,
    instrumentationScope: NORMALIZE_SCOPE,
  });
}

/** The last path segment of an executable path (`/usr/bin/curl` → `curl`). */
export function baseName(path: string | undefined): string | undefined {
  if (path === undefined || path === '') return undefined;
  const slash = path.lastIndexOf('/');
  const name = slash === -1 ? path : path.slice(slash + 1);
  return name === '' ? undefined : name;
}
