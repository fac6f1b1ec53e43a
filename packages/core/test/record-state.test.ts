import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { PipelineRecord, createResource, type RecordResource } from '@egressguard/schema';
import { recordFromState, recordStateSchema, recordToState } from '@egressguard/core';

const resource = createResource({ 'host.name': 'web-1' });

function record(attributes: PipelineRecord['attributes']): PipelineRecord {
  return new PipelineRecord({
    eventName: 'egressguard.connection',
    hrTime: [1_764_460_800, 5],
    hrTimeObserved: [1_764_460_801, 7],
    attributes,
    body: { line: 'type=SYSCALL', fields: [1, 'a'] },
    severityNumber: 9,
    resource,
    instrumentationScope: { name: 'sensor', version: '1.0' },
  });
}

describe('records in a snapshot', () => {
  it('round-trip through JSON, validated by the schema, with every field', () => {
    const before = record({ 'process.pid': 42, 'destination.address': '203.0.113.9', ok: true });
    const json = JSON.parse(JSON.stringify(recordToState(before))) as unknown;
    const after = recordFromState(recordStateSchema.parse(json));
    assert.equal(after.eventName, before.eventName);
    assert.deepEqual(after.hrTime, before.hrTime);
    assert.deepEqual(after.hrTimeObserved, before.hrTimeObserved);
    assert.deepEqual(after.attributes, before.attributes);
    assert.deepEqual(after.body, before.body);
    assert.equal(after.severityNumber, 9);
    assert.equal(after.severityText, undefined);
    assert.deepEqual(after.resource.attributes, before.resource.attributes);
    assert.deepEqual(after.instrumentationScope, before.instrumentationScope);
  });

  it('writes 64-bit integers as decimal strings and bytes as base64, which JSON can carry', () => {
    const state = recordToState(record({ big: 2n ** 63n - 1n, raw: new Uint8Array([1, 2, 3]) }));
    assert.equal(state.attributes.big, '9223372036854775807');
    assert.equal(state.attributes.raw, 'AQID');
  });

  it('gives records that shared a resource one resource again', () => {
    const resources = new Map<string, RecordResource>();
    const a = recordFromState(recordToState(record({ n: 1 })), resources);
    const b = recordFromState(recordToState(record({ n: 2 })), resources);
    assert.equal(a.resource, b.resource);
  });

  it('refuses a state without its times, naming the key', () => {
    const state = { ...recordToState(record({})), hrTime: 'soon' };
    const result = recordStateSchema.safeParse(state);
    assert.equal(result.success, false);
    assert.deepEqual(result.error?.issues[0]?.path, ['hrTime']);
  });
});
