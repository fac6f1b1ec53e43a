/**
 * The line format of the golden files: one JSON object per record with its event name, event time in Unix ms,
 * resource attributes and attributes. Observed time is left out (an emitted flow's observed time is the wall clock
 * at emission), and so is the scope (every test record has the same one).
 */
import { TEST_SCOPE, hostResource } from '@egressguard/core/testing';
import {
  PipelineRecord,
  ResourceAttr,
  hrTimeToMs,
  msToHrTime,
  type RecordAttributes,
  type ReadonlyPipelineRecord,
} from '@egressguard/schema';

/** One record of a golden file. */
export interface GoldenRecord {
  readonly eventName?: string;
  readonly time: number;
  readonly resource: RecordAttributes;
  readonly attributes: RecordAttributes;
}

/** Builds a record from a golden line; records of one host share one resource, as a decoder would make them. */
export function toRecord(line: GoldenRecord): PipelineRecord {
  const { [ResourceAttr.HOST_NAME]: host, ...extra } = line.resource;
  return new PipelineRecord({
    hrTime: msToHrTime(line.time),
    hrTimeObserved: msToHrTime(line.time),
    ...(line.eventName !== undefined ? { eventName: line.eventName } : {}),
    attributes: { ...line.attributes },
    resource: hostResource(String(host), extra),
    instrumentationScope: TEST_SCOPE,
  });
}

/** The golden line of a record, attributes in name order so that expected files read well. */
export function fromRecord(record: ReadonlyPipelineRecord): GoldenRecord {
  const sorted = (attrs: Readonly<RecordAttributes>) =>
    Object.fromEntries(Object.entries(attrs).sort(([a], [b]) => a.localeCompare(b)));
  return {
    ...(record.eventName !== undefined ? { eventName: record.eventName } : {}),
    time: hrTimeToMs(record.hrTime),
    resource: sorted(record.resource.attributes),
    attributes: sorted(record.attributes),
  };
}

/** Parses a JSON-lines file's text. */
export function parseLines(text: string): GoldenRecord[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => {
      try {
        return JSON.parse(line) as GoldenRecord;
      } catch (error) {
        throw new Error(`line ${i + 1}: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
}

/**
 * Deep equality where numbers may differ by a relative 1e-9 (floating-point sums in another order), with the path
 * of the first difference in the message.
 */
export function diff(actual: unknown, expected: unknown, path = ''): string | undefined {
  if (typeof actual === 'number' && typeof expected === 'number') {
    const tolerance = 1e-9 * Math.max(1, Math.abs(expected));
    return Math.abs(actual - expected) <= tolerance
      ? undefined
      : `${path}: ${actual} != expected ${expected}`;
  }
  if (Array.isArray(actual) && Array.isArray(expected)) {
    if (actual.length !== expected.length)
      return `${path}: length ${actual.length} != expected ${expected.length}`;
    for (let i = 0; i < actual.length; i++) {
      const d = diff(actual[i], expected[i], `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (actual && expected && typeof actual === 'object' && typeof expected === 'object') {
    const a = actual as Record<string, unknown>;
    const e = expected as Record<string, unknown>;
    for (const key of new Set([...Object.keys(a), ...Object.keys(e)])) {
      if (!(key in a)) return `${path}.${key}: missing, expected ${JSON.stringify(e[key])}`;
      if (!(key in e)) return `${path}.${key}: unexpected ${JSON.stringify(a[key])}`;
      const d = diff(a[key], e[key], `${path}.${key}`);
      if (d) return d;
    }
    return undefined;
  }
  return Object.is(actual, expected)
    ? undefined
    : `${path}: ${JSON.stringify(actual)} != expected ${JSON.stringify(expected)}`;
}
