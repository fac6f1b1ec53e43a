import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';

import { SENSOR_RECORD, validateRecord } from '@egressguard/schema';

import { falcoFormat, parseFdTuple } from '../../src/formats/falco.ts';
import { namedHostOptions } from '../feed-parser.ts';
import { FIXTURES, readAll, view } from '../read-all.ts';

describe('falco format', () => {
  it('reads network alerts field by field and counts the rest', async () => {
    const { records, errors, summary } = await readAll(path.join(FIXTURES, 'falco-alerts.jsonl'), 'falco');
    assert.equal(errors.length, 1);
    assert.equal(errors[0].line, 4);
    assert.match(errors[0].reason, /not valid JSON/);
    assert.deepEqual(records.map(view), [
      {
        // Nanosecond time kept exactly; container.id "host" means no container.
        eventName: 'egressguard.connection',
        time: [1764460920, 123_456_789],
        host: 'web-01',
        'process.pid': 4242,
        'process.parent_pid': 812,
        'process.executable.path': '/tmp/.x/kworkerd',
        'process.executable.name': 'kworkerd',
        'process.command_line': 'kworkerd --beacon -i 60',
        'process.user.id': 1000,
        'process.owner': 'deploy',
        'network.transport': 'tcp',
        'network.type': 'ipv4',
        'source.address': '10.0.0.5',
        'source.port': 51544,
        'destination.address': '93.184.216.34',
        'destination.port': 80,
        'egressguard.connection.outcome': 'unknown',
        'egressguard.source.format': 'falco',
      },
      {
        // Bracketed IPv6 tuple; proc.exe that is not a path is not an executable path.
        eventName: 'egressguard.connection',
        time: [1764460921, 1],
        host: 'web-01',
        'process.pid': 3120,
        'process.executable.name': 'node',
        'process.command_line': 'node server.js',
        'container.id': '0a1b2c3d4e5f',
        'network.type': 'ipv6',
        'source.address': '2001:db8::5',
        'source.port': 51000,
        'destination.address': '2001:db8::80',
        'destination.port': 443,
        'egressguard.connection.outcome': 'unknown',
        'egressguard.source.format': 'falco',
      },
      {
        eventName: 'egressguard.connection',
        time: [1764460924, 500_000_000],
        host: 'db-03',
        'process.pid': 1301,
        'process.executable.path': '/usr/bin/python3.11',
        'process.executable.name': 'python3',
        'process.command_line': 'python3 poll.py',
        'process.user.id': 33,
        'process.owner': 'www-data',
        'network.transport': 'tcp',
        'network.type': 'ipv4',
        'source.address': '10.0.3.9',
        'source.port': 40100,
        'destination.address': '203.0.113.50',
        'destination.port': 8080,
        'egressguard.connection.outcome': 'failed',
        'egressguard.source.format': 'falco',
      },
    ]);
    assert.equal(summary.parserCounters.ignored_without_ip_tuple, 1);
    assert.equal(summary.parserCounters.ignored_inbound, 1);
    for (const r of records) assert.deepEqual(validateRecord(r, SENSOR_RECORD), []);
  });

  it('reads an alert that carries a top-level field named error like any other', () => {
    const alert = {
      hostname: 'web-01',
      time: '2025-11-30T00:02:00.123456789Z',
      rule: 'Outbound connection',
      error: 'a field of the event, not a parse failure',
      output_fields: {
        'fd.name': '10.0.0.5:51544->93.184.216.34:80',
        'proc.pid': 4242,
        'proc.exepath': '/tmp/.x/kworkerd',
        'evt.type': 'connect',
      },
    };
    const parser = falcoFormat.createParser(namedHostOptions('default-host'));
    const out = parser.push(JSON.stringify(alert), 1);
    assert.deepEqual(out.errors, []);
    assert.equal(out.records.length, 1);
    assert.equal(out.records[0].attributes['destination.address'], '93.184.216.34');
  });

  it('parses fd.name tuples with and without IPv6 brackets, and rejects non-IP fds', () => {
    assert.deepEqual(parseFdTuple('::1:34567->::1:80')?.server, {
      ip: { address: '::1', type: 'ipv6' },
      port: 80,
    });
    assert.deepEqual(parseFdTuple('10.0.0.1:34567->93.184.216.34:80')?.client, {
      ip: { address: '10.0.0.1', type: 'ipv4' },
      port: 34567,
    });
    assert.equal(parseFdTuple('/var/run/docker.sock'), undefined);
    assert.equal(parseFdTuple('a:1->b:2'), undefined);
  });
});
