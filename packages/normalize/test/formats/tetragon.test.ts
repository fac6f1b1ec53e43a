import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';

import { SENSOR_RECORD, validateRecord } from '@egressguard/schema';

import { createTetragonFormat, tetragonFormat } from '../../src/formats/tetragon.ts';
import { namedHostOptions } from '../feed-parser.ts';
import { FIXTURES, readAll, view } from '../read-all.ts';

const PROCESS = {
  'process.pid': 4242,
  'process.parent_pid': 812,
  'process.executable.path': '/tmp/.x/kworkerd',
  'process.executable.name': 'kworkerd',
  'process.command_line': '/tmp/.x/kworkerd --beacon -i 60',
  'process.user.id': 1000,
  'process.creation.time': '2025-11-30T00:00:00.500000000Z',
  'container.id': '3f1e2d4c5b6a79880a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071',
  'egressguard.source.format': 'tetragon',
  'egressguard.source.id': 'd2ViLTAxOjE3NjQ0NjA3OTkwMDA6NDI0Mg==',
};
const TCP = { 'network.transport': 'tcp', 'network.type': 'ipv4', 'source.address': '10.0.0.5' };

describe('tetragon format', () => {
  it('pairs connect, sendmsg and close into one record per connection, field by field', async () => {
    const { records, errors, summary } = await readAll(
      path.join(FIXTURES, 'tetragon-events.jsonl'),
      'tetragon',
    );
    assert.deepEqual(errors, [
      { line: 10, reason: 'JSON object cut short: a new object starts before it closes' },
    ]);
    assert.deepEqual(records.map(view), [
      { eventName: 'egressguard.process.exec', time: [1764460800, 500_000_000], host: 'web-01', ...PROCESS },
      {
        // tcp_connect at 1.000, two tcp_sendmsg (310 + 120), tcp_close in ESTABLISHED at 1.750.
        eventName: 'egressguard.connection',
        time: [1764460801, 0],
        host: 'web-01',
        ...PROCESS,
        ...TCP,
        'source.port': 51544,
        'destination.address': '93.184.216.34',
        'destination.port': 80,
        'egressguard.connection.bytes_sent': 430,
        'egressguard.bytes.kind': 'payload',
        'egressguard.connection.duration_ms': 750,
        'egressguard.connection.outcome': 'completed',
      },
      {
        // Closed while still in SYN_SENT: never connected.
        eventName: 'egressguard.connection',
        time: [1764460802, 0],
        host: 'web-01',
        ...PROCESS,
        ...TCP,
        'source.port': 51546,
        'destination.address': '203.0.113.50',
        'destination.port': 8080,
        'egressguard.connection.bytes_sent': 0,
        'egressguard.bytes.kind': 'payload',
        'egressguard.connection.duration_ms': 3000,
        'egressguard.connection.outcome': 'failed',
      },
      {
        // process_connect + process_close with stats (decimal strings).
        eventName: 'egressguard.connection',
        time: [1764460806, 0],
        host: 'web-01',
        ...PROCESS,
        ...TCP,
        'source.port': 51550,
        'destination.address': '198.51.100.7',
        'destination.port': 443,
        'egressguard.connection.bytes_sent': 4096,
        'egressguard.connection.bytes_received': 512,
        'egressguard.bytes.kind': 'payload',
        'egressguard.connection.duration_ms': 3500,
        'egressguard.connection.outcome': 'completed',
      },
      {
        eventName: 'egressguard.process.exit',
        time: [1764460812, 0],
        host: 'web-01',
        ...PROCESS,
        'process.exit.time': '2025-11-30T00:00:12.000000000Z',
        'process.exit.code': 0,
      },
      {
        // Never closed: reported as open at the end of input.
        eventName: 'egressguard.connection',
        time: [1764460810, 0],
        host: 'web-01',
        ...PROCESS,
        ...TCP,
        'source.port': 51560,
        'destination.address': '192.0.2.7',
        'destination.port': 443,
        'egressguard.connection.bytes_sent': 0,
        'egressguard.bytes.kind': 'payload',
        'egressguard.connection.outcome': 'open',
      },
    ]);
    assert.equal(summary.parserCounters.ignored_kprobes, 1);
    for (const r of records) assert.deepEqual(validateRecord(r, SENSOR_RECORD), []);
  });

  it('does not invent bytes_sent when tcp_sendmsg is not traced, and bounds held connections', () => {
    const options = namedHostOptions('h');
    const p = createTetragonFormat({ maxOpenConnections: 1 }).createParser(options);
    const connect = (sport: number) => ({
      process_kprobe: {
        process: { pid: 1, binary: '/usr/bin/curl', exec_id: 'e1' },
        function_name: 'tcp_connect',
        args: [
          {
            sock_arg: {
              family: 'AF_INET',
              saddr: '10.0.0.1',
              sport,
              daddr: '192.0.2.1',
              dport: 80,
              state: 'TCP_SYN_SENT',
            },
          },
        ],
      },
      time: '2025-11-30T00:00:00Z',
    });
    assert.equal(p.push(connect(1000), 1).records.length, 0);
    const evicted = p.push(connect(1001), 2);
    assert.equal(evicted.records.length, 1);
    assert.equal(evicted.records[0].attributes['egressguard.connection.outcome'], 'open');
    assert.equal(evicted.records[0].attributes['egressguard.connection.bytes_sent'], undefined);
    assert.equal(p.counters!().connections_evicted, 1);
    const snap = JSON.parse(JSON.stringify(p.snapshot!())) as Parameters<NonNullable<typeof p.restore>>[0];
    const q = tetragonFormat.createParser(options);
    q.restore!(snap);
    assert.equal(q.end().records[0].attributes['source.port'], 1001);
  });

  it('reports a line with no Tetragon event key', () => {
    const p = tetragonFormat.createParser(namedHostOptions('h'));
    assert.deepEqual(p.push('{"hello":1}', 7).errors, [
      {
        line: 7,
        reason:
          'no Tetragon event key (process_exec, process_exit, process_kprobe, process_connect, process_close)',
      },
    ]);
  });
});
