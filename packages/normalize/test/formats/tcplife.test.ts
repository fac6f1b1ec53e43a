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

import type { SensorFormat } from '../../src/format.ts';
import { createTcplifeFormat, tcplifeFormat } from '../../src/formats/tcplife.ts';
import { feed, fixedHostOptions } from '../feed-parser.ts';
import { fixtureLines, sharedSampleText } from '../read-all.ts';

const options = fixedHostOptions('traced-host');
const host = options.defaultResource;

const parse = (file: string, format: SensorFormat = tcplifeFormat) =>
  feed(format.createParser(options), fixtureLines(file));

describe('tcplife format', () => {
  it('reads the default columns field by field; KiB become bytes * 1024', () => {
    const { records, errors, counters } = parse('tcplife-default.txt');
    const r = records[0];
    assert.equal(r.eventName, EventName.CONNECTION);
    assert.equal(r.resource, host);
    assert.deepEqual(r.attributes, {
      [NetworkAttr.TRANSPORT]: 'tcp',
      [NetworkAttr.TYPE]: 'ipv4',
      [NetworkAttr.SOURCE_ADDRESS]: '10.30.1.8',
      [NetworkAttr.SOURCE_PORT]: 50112,
      [NetworkAttr.DESTINATION_ADDRESS]: '203.0.113.45',
      [NetworkAttr.DESTINATION_PORT]: 80,
      [ConnectionAttr.BYTES_SENT]: 6 * 1024,
      [ConnectionAttr.BYTES_RECEIVED]: 0,
      [ConnectionAttr.DURATION_MS]: 812.44,
      [ConnectionAttr.OUTCOME]: Outcome.COMPLETED,
      [ProcessAttr.PID]: 41022,
      [ProcessAttr.EXECUTABLE_NAME]: 'kworkerd',
      [ProvenanceAttr.SOURCE_FORMAT]: 'tcplife',
      [ProvenanceAttr.BYTES_KIND]: BytesKind.ACKED_KIB,
    });
    assert.deepEqual(r.hrTime, [0, 0], 'no time column and no clock: start unknown');
    assert.ok(hrTimeToMs(r.hrTimeObserved) > 0, 'observed = when the parser read it');
    assert.equal(records[1].attributes[ProcessAttr.EXECUTABLE_NAME], 'Web Conten', 'a comm with a space');
    assert.equal(records[1].attributes[ConnectionAttr.BYTES_RECEIVED], 310 * 1024);
    const loop = records[2].attributes;
    assert.equal(loop[NetworkAttr.SOURCE_PORT], 42000, 'both ports ephemeral: the lower one is the server');
    assert.equal(
      loop[ConnectionAttr.OUTCOME],
      Outcome.UNKNOWN,
      '0 KiB both ways cannot tell a refused connection',
    );
    assert.equal(records.length, 3);
    assert.deepEqual(counters, { lines_without_time: 5, inbound_ignored: 2 });
    assert.deepEqual(errors, [{ line: 7, reason: 'PID: not a number (notapid)' }]);
  });

  it('reads -w (IP column, IPv6, 16-char comm)', () => {
    const { records, errors } = parse('tcplife-wide.txt');
    assert.deepEqual(errors, []);
    assert.equal(records.length, 1, 'the sshd session on port 22 is inbound');
    const a = records[0].attributes;
    assert.equal(a[ProcessAttr.EXECUTABLE_NAME], 'python3.11-agent');
    assert.equal(a[NetworkAttr.TYPE], 'ipv6');
    assert.equal(a[NetworkAttr.DESTINATION_ADDRESS], '2001:db8:ff::1');
    assert.equal(a[ConnectionAttr.BYTES_RECEIVED], 12 * 1024);
  });

  it('dates -T times from the clock marker and rolls over midnight', () => {
    const { records, errors } = parse('tcplife-T.txt', createTcplifeFormat({ utcOffsetMinutes: 0 }));
    assert.deepEqual(errors, []);
    // Marker 1764543590000 = 2025-11-30T22:59:50Z; 23:59:55 is the same day, 00:00:03 the next.
    assert.equal(hrTimeToMs(records[0].hrTimeObserved), Date.parse('2025-11-30T23:59:55Z'));
    assert.equal(hrTimeToMs(records[0].hrTime), Date.parse('2025-11-30T23:59:55Z') - 120);
    assert.equal(hrTimeToMs(records[1].hrTimeObserved), Date.parse('2025-12-01T00:00:03Z'));
  });

  it('honours the UTC offset of the printing host', () => {
    const { records } = parse('tcplife-T.txt', createTcplifeFormat({ utcOffsetMinutes: 60 }));
    // 23:59:55 at UTC+1 is 22:59:55Z, the nearest such time to the marker.
    assert.equal(hrTimeToMs(records[0].hrTimeObserved), Date.parse('2025-11-30T22:59:55Z'));
  });

  it('adds -t offsets to the reference time', () => {
    const { records } = parse('tcplife-t.txt', createTcplifeFormat({ referenceUnixMs: 1_764_460_800_000 }));
    assert.equal(hrTimeToMs(records[1].hrTimeObserved), 1_764_460_800_000 + 1500.25);
    assert.equal(records[1].attributes[NetworkAttr.DESTINATION_PORT], 8080);
  });

  it('reads -stT CSV, a comm with a comma, and names a bad field', () => {
    const { records, errors } = parse(
      'tcplife-csv.txt',
      createTcplifeFormat({ referenceUnixMs: Date.parse('2025-11-30T09:59:00Z'), utcOffsetMinutes: 0 }),
    );
    assert.equal(records.length, 2);
    assert.equal(records[0].attributes[ConnectionAttr.BYTES_SENT], 2048 * 1024);
    assert.equal(records[0].attributes[ConnectionAttr.DURATION_MS], 5012.77);
    assert.equal(hrTimeToMs(records[0].hrTimeObserved), Date.parse('2025-11-30T10:00:01Z'));
    assert.equal(records[1].attributes[ProcessAttr.EXECUTABLE_NAME], 'odd,name');
    assert.deepEqual(errors, [{ line: 4, reason: 'LPORT or RPORT: not a port' }]);
  });

  it('reads the stock tcplife.bt (KiB, integer ms) and the bytes variant (acked bytes, exact outcome)', () => {
    const kib = parse('tcplife-bpftrace.txt');
    assert.deepEqual(kib.errors, []);
    assert.equal(kib.records[0].attributes[ProvenanceAttr.BYTES_KIND], BytesKind.ACKED_KIB);
    assert.equal(kib.records[0].attributes[ConnectionAttr.DURATION_MS], 35);
    const bytes = parse('tcplife-bpftrace-bytes.txt');
    assert.deepEqual(bytes.errors, []);
    const [ok, failed] = bytes.records.map((r) => r.attributes);
    assert.equal(ok[ProvenanceAttr.BYTES_KIND], BytesKind.ACKED);
    assert.equal(ok[ConnectionAttr.BYTES_SENT], 412);
    assert.equal(ok[ConnectionAttr.BYTES_RECEIVED], 9031);
    assert.equal(ok[ConnectionAttr.OUTCOME], Outcome.COMPLETED);
    assert.equal(
      failed[ConnectionAttr.OUTCOME],
      Outcome.FAILED,
      'bytes_acked 0: the SYN was never acknowledged',
    );
  });

  it('recognises tcplife headers only', () => {
    assert.equal(
      tcplifeFormat.recognize('PID   COMM       LADDR           LPORT RADDR           RPORT TX_KB RX_KB MS'),
      true,
    );
    assert.equal(
      tcplifeFormat.recognize('TIME,TIME(s),PID,COMM,IP,LADDR,LPORT,RADDR,RPORT,TX_KB,RX_KB,MS'),
      true,
    );
    assert.equal(
      tcplifeFormat.recognize('PID    COMM         SADDR            DADDR            DPORT'),
      false,
    );
    assert.throws(
      () => createTcplifeFormat({ ephemeralPortRange: { low: 5000, high: 10 } }),
      /ephemeralPortRange/,
    );
  });
});

describe('tcplife format on the shared bcc sample', () => {
  const text = sharedSampleText('bcc', 'tcplife_example.txt');
  it(
    'reads the curl sessions of the tool example',
    { skip: text === undefined ? 'shared telemetry samples not present' : false },
    () => {
      const block = text!.split('\n').slice(5, 15);
      const { records } = feed(tcplifeFormat.createParser(options), block);
      const curl = records.filter((r) => r.attributes[ProcessAttr.EXECUTABLE_NAME] === 'curl');
      assert.equal(curl.length, 2);
      assert.equal(curl[0].attributes[NetworkAttr.DESTINATION_PORT], 80);
      assert.ok(
        records.every((r) => r.attributes[ProcessAttr.EXECUTABLE_NAME] !== 'redis-serv'),
        'server side dropped',
      );
    },
  );
});

describe('tcplife format: egressguard tracer output (START_UNIX, EST)', () => {
  it('dates each connection by its SYN and takes the outcome from EST', () => {
    const { records, errors } = parse('tcplife-egressguard-tracer.csv');
    assert.equal(records.length, 2);
    const [ok, refused] = records;
    assert.equal(hrTimeToMs(ok.hrTime), 1_764_460_800_250);
    assert.equal(hrTimeToMs(ok.hrTimeObserved), 1_764_460_800_262, 'observed at close: start + MS');
    assert.equal(ok.attributes[ConnectionAttr.BYTES_SENT], 89);
    assert.equal(ok.attributes[ConnectionAttr.BYTES_RECEIVED], 84);
    assert.equal(ok.attributes[ConnectionAttr.OUTCOME], Outcome.COMPLETED);
    assert.equal(ok.attributes[ProvenanceAttr.BYTES_KIND], BytesKind.ACKED);
    assert.equal(ok.attributes[ProcessAttr.EXECUTABLE_NAME], '.dbus-update');
    assert.equal(refused.attributes[ConnectionAttr.OUTCOME], Outcome.FAILED);
    assert.deepEqual(
      errors.map((e) => [e.line, e.reason]),
      [
        [5, 'MS: not a duration (x)'],
        [6, 'EST: not 0 or 1 (2)'],
      ],
    );
  });
});
