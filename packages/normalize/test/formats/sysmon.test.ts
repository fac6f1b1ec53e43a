import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';

import { SENSOR_RECORD, validateRecord } from '@egressguard/schema';

import { sysmonFormat } from '../../src/formats/sysmon.ts';
import { namedHostOptions } from '../feed-parser.ts';
import { FIXTURES, readAll, view } from '../read-all.ts';

describe('sysmon format', () => {
  it('reads EventID 1 and outbound EventID 3 field by field', async () => {
    const { records, errors, summary } = await readAll(path.join(FIXTURES, 'sysmon-events.log'), 'sysmon');
    assert.deepEqual(errors, [
      { line: 6, reason: 'truncated Sysmon XML: no </Event> (syslog line length limit?)' },
    ]);
    assert.deepEqual(records.map(view), [
      {
        eventName: 'egressguard.process.exec',
        time: [1764460865, 120_000_000],
        host: 'web-01',
        'process.pid': 4242,
        'process.executable.path': '/tmp/.x/kworkerd',
        'process.executable.name': 'kworkerd',
        'process.owner': 'deploy',
        'egressguard.source.format': 'sysmon',
        'egressguard.source.id': '{4d1a7c2e-6b10-674a-1c2d-3e4f50600000}',
        // XML entities decoded.
        'process.command_line': '/tmp/.x/kworkerd --beacon -i 60 --tag a&b',
        'process.parent_pid': 812,
      },
      {
        eventName: 'egressguard.connection',
        time: [1764460866, 250_000_000],
        host: 'web-01',
        'process.pid': 4242,
        'process.executable.path': '/tmp/.x/kworkerd',
        'process.executable.name': 'kworkerd',
        'process.owner': 'deploy',
        'egressguard.source.format': 'sysmon',
        'egressguard.source.id': '{4d1a7c2e-6b10-674a-1c2d-3e4f50600000}',
        'network.transport': 'tcp',
        'network.type': 'ipv4',
        'source.address': '10.0.0.5',
        'source.port': 51544,
        'destination.address': '93.184.216.34',
        'destination.port': 80,
        'egressguard.connection.outcome': 'unknown',
      },
      {
        // Missing Image and User are tolerated; IPv6 written canonically.
        eventName: 'egressguard.connection',
        time: [1764460868, 500_000_000],
        host: 'web-01',
        'process.pid': 5150,
        'egressguard.source.format': 'sysmon',
        'egressguard.source.id': '{00000000-0000-0000-0000-000000000000}',
        'network.transport': 'udp',
        'network.type': 'ipv6',
        'source.address': '2001:db8::5',
        'source.port': 40000,
        'destination.address': '2001:db8::53',
        'destination.port': 53,
        'egressguard.connection.outcome': 'unknown',
      },
    ]);
    // Initiated=false (inbound) and EventID 5 are counted, not emitted.
    assert.equal(summary.parserCounters.ignored_inbound, 1);
    assert.equal(summary.parserCounters.ignored_event_ids, 1);
    for (const r of records) assert.deepEqual(validateRecord(r, SENSOR_RECORD), []);
  });

  it('falls back to the syslog host when the XML has no Computer', () => {
    const p = sysmonFormat.createParser(namedHostOptions('unnamed'));
    const out = p.push(
      '<134>Nov 30 00:01:05 edge-7 sysmon: <Event><System><EventID>3</EventID></System><EventData><Data Name="UtcTime">2025-11-30 00:01:05.000</Data><Data Name="ProcessId">1</Data><Data Name="Initiated">true</Data><Data Name="DestinationIp">192.0.2.1</Data><Data Name="DestinationPort">80</Data></EventData></Event>',
      1,
    );
    assert.deepEqual(out.errors, []);
    assert.equal(out.records[0].resource.attributes['host.name'], 'edge-7');
  });
});
