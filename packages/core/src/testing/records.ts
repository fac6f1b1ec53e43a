/**
 * Record builders for tests: one shared resource per host (as a decoder would produce), event time in ms.
 */
import {
  EventName,
  PipelineRecord,
  ResourceAttr,
  createResource,
  msToHrTime,
  type RecordAttributes,
  type RecordResource,
  type RecordScope,
} from '@egressguard/schema';

const resources = new Map<string, RecordResource>();
/** The instrumentation scope test records carry. */
export const TEST_SCOPE: RecordScope = { name: 'egressguard.test', version: '1' };

/** The shared resource of a host (the same object for the same host name). */
export function hostResource(host: string, extra: RecordAttributes = {}): RecordResource {
  const key = `${host}\u0000${JSON.stringify(extra)}`;
  let resource = resources.get(key);
  if (!resource) {
    resource = createResource({ [ResourceAttr.HOST_NAME]: host, ...extra });
    resources.set(key, resource);
  }
  return resource;
}

/** Options of the record builders. */
export interface TestRecordOptions {
  /** Event time, Unix ms. Default 1,764,460,800,000 (2025-11-30T00:00:00Z). */
  readonly timeMs?: number;
  /** Host name of the resource. Default `test-host`. */
  readonly host?: string;
  /** A resource to use instead of the host's shared one. */
  readonly resource?: RecordResource;
}

/** A record with the given event name and attributes. */
export function makeRecord(
  eventName: string | undefined,
  attributes: RecordAttributes,
  options: TestRecordOptions = {},
): PipelineRecord {
  const time = msToHrTime(options.timeMs ?? 1_764_460_800_000);
  return new PipelineRecord({
    hrTime: time,
    hrTimeObserved: time,
    ...(eventName !== undefined ? { eventName } : {}),
    attributes: { ...attributes },
    resource: options.resource ?? hostResource(options.host ?? 'test-host'),
    instrumentationScope: TEST_SCOPE,
  });
}

/** An `egressguard.connection` record. */
export function makeConnection(
  attributes: RecordAttributes,
  options: TestRecordOptions = {},
): PipelineRecord {
  return makeRecord(EventName.CONNECTION, attributes, options);
}

/** An `egressguard.process.exec` record. */
export function makeProcessExec(
  attributes: RecordAttributes,
  options: TestRecordOptions = {},
): PipelineRecord {
  return makeRecord(EventName.PROCESS_EXEC, attributes, options);
}
