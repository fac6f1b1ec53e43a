/**
 * Records for the codec and receiver tests: two resources (one with a schema URL), three scopes (one with
 * attributes and a schema URL), every AnyValue kind, trace context, exact nanosecond times.
 */
import assert from 'node:assert/strict';
import {
  ConnectionAttr,
  EventName,
  NetworkAttr,
  PipelineRecord,
  ProcessAttr,
  ResourceAttr,
  createResource,
  type RecordScope,
} from '@egressguard/schema';

export const RESOURCE_A = createResource(
  { [ResourceAttr.HOST_NAME]: 'web-01', 'host.id': 'a1b2', 'egressguard.host.roles': ['web', 'edge'] },
  'https://opentelemetry.io/schemas/1.30.0',
);
export const RESOURCE_B = createResource({ [ResourceAttr.HOST_NAME]: 'db-02' });
export const SCOPE_SENSOR: RecordScope = {
  name: 'egressguard.sensor.bpftrace',
  version: '0.3.1',
  attributes: { 'sensor.kind': 'ebpf', 'sensor.build': 7 },
  schemaUrl: 'https://opentelemetry.io/schemas/1.29.0',
};
export const SCOPE_AUDIT: RecordScope = { name: 'egressguard.sensor.auditd' };
export const SCOPE_PLAIN: RecordScope = { name: 'egressguard.detector', version: '1' };

/** n connection records over the two resources and three scopes, each different. */
export function sampleRecords(n = 6): PipelineRecord[] {
  const out: PipelineRecord[] = [];
  for (let i = 0; i < n; i++) {
    const onA = i % 2 === 0;
    const scope = onA ? (i % 4 === 0 ? SCOPE_SENSOR : SCOPE_PLAIN) : SCOPE_AUDIT;
    out.push(
      new PipelineRecord({
        // 19-digit nanosecond times, beyond 2^53: the decoders must keep every digit.
        hrTime: [1_764_460_800 + i, 123_456_789 + i],
        hrTimeObserved: [1_764_460_801 + i, 999_999_999 - i],
        ...(i % 3 === 0
          ? {
              spanContext: {
                traceId: `0af7651916cd43dd8448eb211c8031${(10 + i).toString(16).padStart(2, '0')}`,
                spanId: 'b7ad6b7169203331',
                traceFlags: 1,
              },
            }
          : {}),
        severityNumber: 9,
        severityText: 'INFO',
        body:
          i % 2 === 0
            ? `connect #${i}`
            : { msg: 'connect', seq: i, tags: ['a', 'b'], raw: new Uint8Array([i, 0, 255]) },
        eventName: EventName.CONNECTION,
        attributes: {
          [ProcessAttr.PID]: 4000 + i,
          [ProcessAttr.EXECUTABLE_PATH]: `/tmp/.x/kworkerd${i}`,
          [NetworkAttr.DESTINATION_ADDRESS]: '203.0.113.7',
          [NetworkAttr.DESTINATION_PORT]: 443,
          [ConnectionAttr.BYTES_SENT]: 1_000_000_000_000 + i,
          [ConnectionAttr.BYTES_RECEIVED]: -(i + 1),
          'egressguard.test.ratio': 0.25 + i,
          'egressguard.test.ok': i % 2 === 0,
          'egressguard.test.bytes': new Uint8Array([0xde, 0xad, 0xbe, 0xef, i]),
          'egressguard.test.list': ['x', i, false, [1.5, 'nested']],
          'egressguard.test.map': {
            a: 1,
            b: { c: 'd', e: [true] },
            ['__proto__']: 'kept as a key',
          },
          'egressguard.test.empty': '',
        },
        droppedAttributesCount: i,
        resource: onA ? RESOURCE_A : RESOURCE_B,
        instrumentationScope: scope,
      }),
    );
  }
  return out;
}

/** Asserts that decoded records equal the originals field by field, resources and scopes included. */
export function assertSameRecords(
  actual: readonly PipelineRecord[],
  expected: readonly PipelineRecord[],
): void {
  assert.equal(actual.length, expected.length, 'record count');
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    assert.deepEqual(a.hrTime, e.hrTime, `record ${i} hrTime`);
    assert.deepEqual(a.hrTimeObserved, e.hrTimeObserved, `record ${i} hrTimeObserved`);
    assert.deepEqual(a.spanContext, e.spanContext, `record ${i} spanContext`);
    assert.equal(a.severityNumber, e.severityNumber, `record ${i} severityNumber`);
    assert.equal(a.severityText, e.severityText, `record ${i} severityText`);
    assert.deepEqual(a.body, e.body, `record ${i} body`);
    assert.equal(a.eventName, e.eventName, `record ${i} eventName`);
    assert.deepEqual(a.attributes, e.attributes, `record ${i} attributes`);
    assert.equal(a.droppedAttributesCount, e.droppedAttributesCount, `record ${i} droppedAttributesCount`);
    assert.deepEqual(a.resource.attributes, e.resource.attributes, `record ${i} resource attributes`);
    assert.equal(a.resource.schemaUrl, e.resource.schemaUrl, `record ${i} resource schemaUrl`);
    assert.deepEqual(a.instrumentationScope, e.instrumentationScope, `record ${i} scope`);
  }
}

/** Asserts that records sharing a resource (scope) object in `expected` share one in `actual`, and only those. */
export function assertSameGrouping(
  actual: readonly PipelineRecord[],
  expected: readonly PipelineRecord[],
): void {
  for (let i = 0; i < expected.length; i++) {
    for (let j = i + 1; j < expected.length; j++) {
      assert.equal(
        actual[i].resource === actual[j].resource,
        expected[i].resource === expected[j].resource,
        `resource identity ${i}/${j}`,
      );
      assert.equal(
        actual[i].instrumentationScope === actual[j].instrumentationScope,
        expected[i].instrumentationScope === expected[j].instrumentationScope,
        `scope identity ${i}/${j}`,
      );
    }
  }
}
