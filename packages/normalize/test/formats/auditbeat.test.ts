import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  BytesKind,
  ConnectionAttr,
  EventName,
  NetworkAttr,
  Outcome,
  ProcessAttr,
  ProvenanceAttr,
  hrTimeToMs,
} from '@egressguard/schema';

import { auditbeatFormat } from '../../src/formats/auditbeat.ts';
import { feed, namedHostOptions } from '../feed-parser.ts';
import { fixtureLines, sharedSampleText } from '../read-all.ts';

const options = namedHostOptions('unnamed');
const parse = (lines: readonly (string | Record<string, unknown>)[]) =>
  feed(auditbeatFormat.createParser(options), lines);

describe('auditbeat format', () => {
  const lines = fixtureLines('auditbeat-socket.ndjson');
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
  const text = sharedSampleText('auditbeat', 'socket-network_flow-curl-example.json');
  const doc = text === undefined ? undefined : (JSON.parse(text) as Record<string, unknown>);
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
