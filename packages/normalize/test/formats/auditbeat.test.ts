import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

import {
  BytesKind,
  ConnectionAttr,
  EventName,
  NetworkAttr,
  Outcome,
  ProcessAttr,
  ProvenanceAttr,
  createResource,
  hrTimeToMs,
  type PipelineRecord,
  type RecordResource,
} from '@egressguard/schema';

import type { ParseError, ParserOptions } from '../../src/format.ts';
import { auditbeatFormat } from '../../src/formats/auditbeat.ts';

const FIXTURES = path.resolve(import.meta.dirname, '..', 'fixtures');
const fallback = createResource({ 'host.name': 'unnamed' });
const hosts = new Map<string, RecordResource>();
const options: ParserOptions = {
  defaultResource: fallback,
  resourceFor: (name) => {
    let r = hosts.get(name);
    if (!r) hosts.set(name, (r = createResource({ 'host.name': name })));
    return r;
  },
};

function parse(lines: readonly (string | Record<string, unknown>)[]) {
  const parser = auditbeatFormat.createParser(options);
  const records: PipelineRecord[] = [];
  const errors: ParseError[] = [];
  lines.forEach((l, i) => {
    const out = parser.push(l, i + 1);
    records.push(...out.records);
    errors.push(...out.errors);
  });
  records.push(...parser.end().records);
  return { records, errors, counters: parser.counters?.() };
}

describe('auditbeat format', () => {
  const lines = readFileSync(path.join(FIXTURES, 'auditbeat-socket.ndjson'), 'utf8').split('\n');
  const { records, errors, counters } = parse(lines);

  it('maps an outbound network_flow field by field', () => {
    const r = records[0];
    assert.equal(r.eventName, EventName.CONNECTION);
    assert.equal(r.resource, options.resourceFor('build-07'), 'host from host.name, shared resource');
    assert.equal(hrTimeToMs(r.hrTime), Date.parse('2025-11-30T10:15:01.900Z'), 'time = event.start');
    assert.equal(
      hrTimeToMs(r.hrTimeObserved),
      Date.parse('2025-11-30T10:15:02.250Z'),
      'observed = @timestamp',
    );
    assert.deepEqual(r.attributes, {
      [NetworkAttr.TRANSPORT]: 'tcp',
      [NetworkAttr.TYPE]: 'ipv4',
      [NetworkAttr.SOURCE_ADDRESS]: '10.20.0.15',
      [NetworkAttr.SOURCE_PORT]: 51544,
      [NetworkAttr.DESTINATION_ADDRESS]: '198.51.100.23',
      [NetworkAttr.DESTINATION_PORT]: 80,
      [NetworkAttr.SERVER_ADDRESS]: 'telemetry.example.org',
      [ConnectionAttr.BYTES_SENT]: 5231,
      [ConnectionAttr.BYTES_RECEIVED]: 889,
      [ConnectionAttr.DURATION_MS]: 340.125,
      [ConnectionAttr.OUTCOME]: Outcome.COMPLETED,
      [ProcessAttr.PID]: 23817,
      [ProcessAttr.EXECUTABLE_PATH]: '/tmp/.x/kworkerd',
      [ProcessAttr.EXECUTABLE_NAME]: 'kworkerd',
      [ProcessAttr.COMMAND_LINE]: '/tmp/.x/kworkerd --interval 30',
      [ProcessAttr.CREATION_TIME]: '2025-11-30T09:58:44.120Z',
      [ProcessAttr.USER_ID]: 1001,
      [ProcessAttr.OWNER]: 'svc-build',
      [ProvenanceAttr.SOURCE_FORMAT]: 'auditbeat.socket',
      [ProvenanceAttr.BYTES_KIND]: BytesKind.WIRE,
    });
  });

  it('reads the 8.x dataset name and egress direction; an interim report is open', () => {
    const r = records[1];
    assert.equal(r.resource, options.resourceFor('web-02'));
    assert.equal(r.attributes[NetworkAttr.TYPE], 'ipv6');
    assert.equal(r.attributes[ConnectionAttr.OUTCOME], Outcome.OPEN);
    assert.equal(r.attributes[ConnectionAttr.DURATION_MS], 30_000);
    assert.equal(r.attributes[ProcessAttr.USER_ID], 0);
  });

  it('calls a final TCP flow without a packet back failed, and leaves unknowns missing', () => {
    const failed = records[2].attributes;
    assert.equal(failed[ConnectionAttr.OUTCOME], Outcome.FAILED);
    assert.equal(failed[ConnectionAttr.BYTES_RECEIVED], 0);
    const udp = records[3].attributes;
    assert.equal(udp[ConnectionAttr.OUTCOME], Outcome.UNKNOWN);
    assert.equal(ConnectionAttr.BYTES_RECEIVED in udp, false);
    assert.equal(ConnectionAttr.DURATION_MS in udp, false);
    assert.equal(ProcessAttr.USER_ID in udp, false);
  });

  it('counts inbound flows and other datasets instead of emitting them, and reports the broken line', () => {
    assert.equal(records.length, 4);
    assert.deepEqual(counters, { inbound_ignored: 1, other_datasets_ignored: 1 });
    assert.deepEqual(errors, [{ line: 7, reason: 'not a JSON object' }]);
  });

  it('names a missing destination', () => {
    const { errors: e } = parse([
      {
        '@timestamp': '2025-11-30T10:00:00Z',
        event: { dataset: 'system.socket', action: 'network_flow' },
        network: { direction: 'egress' },
      },
    ]);
    assert.deepEqual(e, [{ line: 1, reason: 'network_flow: destination.ip or destination.port missing' }]);
  });

  it('recognises socket documents only', () => {
    assert.equal(auditbeatFormat.recognize(lines[0]), true);
    assert.equal(auditbeatFormat.recognize(lines[4]), false);
    assert.equal(auditbeatFormat.recognize('{"ts":1,"uid":"C1","id.orig_h":"10.0.0.1"}'), false);
  });
});

describe('auditbeat format on the shared sample', () => {
  let doc: Record<string, unknown> | undefined;
  try {
    const file = path.resolve(
      import.meta.dirname,
      '..',
      '..',
      '..',
      '..',
      '..',
      'shared',
      'fixtures',
      'telemetry',
      'auditbeat',
      'socket-network_flow-curl-example.json',
    );
    doc = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    doc = undefined;
  }
  it(
    'reads the documented curl flow',
    { skip: doc === undefined ? 'shared telemetry samples not present' : false },
    () => {
      const { records } = parse([doc!]);
      assert.equal(records.length, 1);
      const a = records[0].attributes;
      assert.equal(a[ConnectionAttr.BYTES_SENT], 294);
      assert.equal(a[ConnectionAttr.BYTES_RECEIVED], 437);
      assert.equal(a[ProcessAttr.COMMAND_LINE], 'curl http://elastic.co/ -o /dev/null');
      assert.equal(records[0].resource.attributes['host.name'], 'stretch');
    },
  );
});
