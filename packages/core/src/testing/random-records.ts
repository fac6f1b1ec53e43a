/**
 * Random record sequences for the conformance suite's property tests: every event name of the schema
 * (connections, process execs and exits, HTTP flows, detections, coverage), foreign log records (other event names,
 * no event name, odd bodies), malformed ones (wrong attribute types, no `host.name`, NaN and negative numbers), and
 * the processor's own sample records. A sequence is plain data: records are built afresh for every run, because
 * processors enrich records in place.
 */
import fc from 'fast-check';

import {
  ConnectionAttr,
  CoverageAttr,
  DetectionAttr,
  EventName,
  FlowAttr,
  NetworkAttr,
  NoveltyAttr,
  ProcessAttr,
  ProvenanceAttr,
  UnreadableInputAttr,
  cloneRecord,
  createResource,
  msToHrTime,
  type PipelineRecord,
  type RecordAttributes,
} from '@egressguard/schema';
import type { AnyValue } from '@opentelemetry/api';

import { hostResource, makeRecord } from './records.ts';

/** Start of the event-time range the records are dated in (2025-11-30T00:00:00Z). */
export const RANDOM_T0 = 1_764_460_800_000;
/** The range spans an hour, so ten-minute windows and periods open and close within one sequence. */
const SPAN_MS = 3_600_000;

/** One record of a random sequence, as data. */
export interface RecordSpec {
  readonly kind:
    | 'connection'
    | 'exec'
    | 'exit'
    | 'flow'
    | 'detection'
    | 'coverage'
    | 'unreadable'
    | 'foreign'
    | 'no_event_name'
    | 'raw_body'
    | 'sample';
  /** Event time offset from {@link RANDOM_T0} in ms; `null`: the record carries no time. */
  readonly offsetMs: number | null;
  /** `null`: the resource has no `host.name`. */
  readonly host: string | null;
  /** Attribute values, some of the wrong type. */
  readonly pid: AnyValue;
  readonly exe: AnyValue;
  readonly destination: AnyValue;
  readonly port: AnyValue;
  readonly outcome: AnyValue;
  readonly bytesSent: AnyValue;
  readonly bytesReceived: AnyValue;
  readonly count: AnyValue;
  readonly body: AnyValue;
  /** Index into the processor's sample records (kind `sample`). */
  readonly sample: number;
}

const nan = Number.NaN;
const oneOf = <T>(...values: T[]) => fc.constantFrom(...values);

/** A number of the expected kind most of the time, sometimes NaN, negative, a string or missing. */
const numberish = (...good: number[]) =>
  fc.oneof(
    { weight: 6, arbitrary: oneOf(...good) },
    { weight: 1, arbitrary: oneOf<AnyValue>(nan, -5, '80', undefined, Number.POSITIVE_INFINITY) },
  );

const body: fc.Arbitrary<AnyValue> = fc.oneof(
  fc.string({ maxLength: 40 }),
  oneOf<AnyValue>(
    'type=SYSCALL msg=audit(1764460800.000:1): arch=c000003e syscall=42 success=yes exit=0 pid=4242',
    'Nov 30 00:00:00 host kernel: just a syslog line',
    '{"not":"a sensor"}',
    '',
    null,
    undefined,
    42,
    true,
    new Uint8Array([1, 2, 3]),
    ['an', 'array'],
    { nested: { map: [1, 2] } },
  ),
);

/** One random record spec. */
export const recordSpec: fc.Arbitrary<RecordSpec> = fc.record({
  kind: fc.oneof(
    { weight: 8, arbitrary: oneOf<RecordSpec['kind']>('connection') },
    { weight: 3, arbitrary: oneOf<RecordSpec['kind']>('exec', 'flow', 'sample') },
    {
      weight: 1,
      arbitrary: oneOf<RecordSpec['kind']>(
        'exit',
        'detection',
        'coverage',
        'unreadable',
        'foreign',
        'no_event_name',
        'raw_body',
      ),
    },
  ),
  offsetMs: fc.oneof(
    { weight: 20, arbitrary: fc.integer({ min: 0, max: SPAN_MS }) },
    { weight: 1, arbitrary: fc.constant(null) },
  ),
  host: fc.oneof(
    { weight: 10, arbitrary: oneOf<string | null>('h1', 'h2') },
    { weight: 1, arbitrary: fc.constant(null) },
  ),
  pid: numberish(4242, 812, 1, 0),
  exe: fc.oneof(
    { weight: 6, arbitrary: oneOf<AnyValue>('/usr/bin/curl', '/tmp/.x/kworkerd', '/opt/app-1.2.3/bin/app') },
    { weight: 1, arbitrary: oneOf<AnyValue>(42, '', undefined, ['/usr/bin/curl']) },
  ),
  destination: fc.oneof(
    { weight: 6, arbitrary: oneOf<AnyValue>('93.184.215.14', '198.51.100.20', '10.0.0.5', '2001:db8::1') },
    { weight: 1, arbitrary: oneOf<AnyValue>('not-an-ip', 7, undefined) },
  ),
  port: numberish(80, 443, 8080, 22),
  outcome: fc.oneof(
    { weight: 6, arbitrary: oneOf<AnyValue>('completed', 'failed', 'open', 'unknown') },
    { weight: 1, arbitrary: oneOf<AnyValue>(7, 'exploded', undefined) },
  ),
  bytesSent: numberish(0, 120, 300, 40_000),
  bytesReceived: numberish(0, 80, 150, 90_000),
  count: numberish(1, 3, 12, 40, 400),
  body,
  sample: fc.nat(),
});

/**
 * A random sequence of record specs and a way to cut it into batches: each cut is an index (modulo the length)
 * after which a batch ends.
 */
export const recordSequence = fc.record({
  specs: fc.array(recordSpec, { minLength: 1, maxLength: 40 }),
  cuts: fc.array(fc.nat(), { maxLength: 12 }),
});

const noHost = createResource({ 'service.name': 'no-host' });

function put(attrs: RecordAttributes, key: string, value: AnyValue): void {
  if (value !== undefined) attrs[key] = value;
}

/** Builds the record a spec describes; `samples` are the processor's own sample records (cloned). */
export function buildRecord(spec: RecordSpec, samples: readonly PipelineRecord[]): PipelineRecord {
  if (spec.kind === 'sample' && samples.length > 0) return cloneRecord(samples[spec.sample % samples.length]);
  const timeMs = RANDOM_T0 + (spec.offsetMs ?? 0);
  const resource = spec.host === null ? noHost : hostResource(spec.host);
  const attrs: RecordAttributes = {};
  let eventName: string | undefined;
  switch (spec.kind) {
    case 'connection':
      eventName = EventName.CONNECTION;
      put(attrs, ProcessAttr.PID, spec.pid);
      put(attrs, ProcessAttr.EXECUTABLE_PATH, spec.exe);
      put(attrs, NetworkAttr.DESTINATION_ADDRESS, spec.destination);
      put(attrs, NetworkAttr.DESTINATION_PORT, spec.port);
      put(attrs, NetworkAttr.SOURCE_ADDRESS, '10.0.0.9');
      put(attrs, NetworkAttr.SOURCE_PORT, typeof spec.count === 'number' ? 40_000 + spec.count : spec.count);
      put(attrs, ConnectionAttr.OUTCOME, spec.outcome);
      put(attrs, ConnectionAttr.BYTES_SENT, spec.bytesSent);
      put(attrs, ConnectionAttr.BYTES_RECEIVED, spec.bytesReceived);
      put(attrs, ProvenanceAttr.SOURCE_FORMAT, spec.pid === 0 ? 'zeek.conn' : 'tcplife');
      break;
    case 'exec':
    case 'exit':
      eventName = spec.kind === 'exec' ? EventName.PROCESS_EXEC : EventName.PROCESS_EXIT;
      put(attrs, ProcessAttr.PID, spec.pid);
      put(attrs, ProcessAttr.EXECUTABLE_PATH, spec.exe);
      put(attrs, ProcessAttr.COMMAND_LINE, typeof spec.exe === 'string' ? `${spec.exe} -q` : spec.exe);
      break;
    case 'flow': {
      eventName = EventName.HTTP_FLOW;
      const start = Math.floor(timeMs / 600_000) * 600_000;
      const n = spec.count;
      put(attrs, FlowAttr.KEY, typeof spec.exe === 'string' ? `${spec.host ?? ''}|${spec.exe}` : spec.exe);
      put(attrs, FlowAttr.WINDOW_START, start);
      put(attrs, FlowAttr.WINDOW_END, start + 600_000);
      put(attrs, FlowAttr.REVISION, 0);
      put(attrs, FlowAttr.CONNECTIONS, n);
      put(attrs, FlowAttr.EXTERNAL, n);
      put(attrs, FlowAttr.COMPLETED, spec.outcome === 'failed' ? 0 : n);
      put(attrs, FlowAttr.FAILED, spec.outcome === 'failed' ? n : 0);
      put(attrs, FlowAttr.EXTERNAL_COMPLETED, spec.outcome === 'failed' ? 0 : n);
      put(attrs, FlowAttr.EXTERNAL_FAILED, spec.outcome === 'failed' ? n : 0);
      put(attrs, FlowAttr.EXTERNAL_WITH_BYTES, spec.outcome === 'failed' ? 0 : n);
      put(attrs, FlowAttr.EXTERNAL_BYTES_SENT, spec.bytesSent);
      put(attrs, FlowAttr.EXTERNAL_BYTES_RECEIVED, spec.bytesReceived);
      put(attrs, FlowAttr.BYTES_SENT, spec.bytesSent);
      put(attrs, FlowAttr.BYTES_RECEIVED, spec.bytesReceived);
      put(attrs, FlowAttr.FIRST_SEEN, start + 1_000);
      put(attrs, FlowAttr.LAST_SEEN, start + 590_000);
      put(attrs, FlowAttr.INTERVAL_CV, 0.05);
      put(attrs, FlowAttr.INTERVAL_MEAN_MS, 3_000);
      put(attrs, ProcessAttr.EXECUTABLE_PATH, spec.exe);
      put(attrs, NoveltyAttr.STATUS, spec.kind === 'flow' && spec.pid === 1 ? 'known' : 'new');
      put(attrs, NoveltyAttr.CUSTOM, spec.exe === '/tmp/.x/kworkerd');
      break;
    }
    case 'detection':
      eventName = EventName.DETECTION;
      put(attrs, DetectionAttr.ID, `random-${spec.sample}`);
      put(attrs, DetectionAttr.ANALYTIC, 'AN0145');
      put(attrs, DetectionAttr.SCORE, spec.count);
      put(attrs, ProcessAttr.EXECUTABLE_PATH, spec.exe);
      break;
    case 'coverage':
      eventName = EventName.COVERAGE;
      put(attrs, CoverageAttr.CONNECTIONS, spec.count);
      put(attrs, CoverageAttr.WITH_PROCESS, spec.count);
      put(attrs, ProvenanceAttr.SOURCE_FORMAT, 'tcplife');
      break;
    case 'unreadable':
      eventName = EventName.UNREADABLE_INPUT;
      put(attrs, UnreadableInputAttr.COUNT, spec.count);
      put(attrs, ProvenanceAttr.SOURCE_FORMAT, 'auditd');
      break;
    case 'foreign':
      eventName = 'vendor.app.request';
      put(attrs, 'http.response.status_code', spec.port);
      put(attrs, ProcessAttr.PID, spec.pid);
      break;
    case 'no_event_name':
    case 'raw_body':
    case 'sample':
      put(attrs, 'log.file.name', 'app.log');
      break;
  }
  const record = makeRecord(eventName, attrs, { timeMs, resource });
  if (spec.kind === 'raw_body' || spec.kind === 'no_event_name' || spec.kind === 'foreign')
    record.body = spec.body;
  if (spec.offsetMs === null) {
    record.hrTime = [0, 0];
    record.hrTimeObserved = [0, 0];
  } else if (spec.kind === 'connection') {
    record.hrTimeObserved = msToHrTime(timeMs);
  }
  return record;
}

/** Cuts `records` into batches after the given indexes (taken modulo the length; duplicates ignored). */
export function splitBatches<T>(records: readonly T[], cuts: readonly number[]): T[][] {
  const ends = new Set(cuts.map((c) => (c % records.length) + 1));
  ends.add(records.length);
  const batches: T[][] = [];
  let start = 0;
  for (const end of [...ends].sort((a, b) => a - b)) {
    if (end > start) batches.push(records.slice(start, end));
    start = end;
  }
  return batches;
}
