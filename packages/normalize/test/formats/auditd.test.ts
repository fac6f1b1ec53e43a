import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';

import { SENSOR_RECORD, validateRecord } from '@egressguard/schema';

import { auditdFormat, createAuditdFormat } from '../../src/formats/auditd.ts';
import { namedHostOptions } from '../feed-parser.ts';
import { FIXTURES, readAll, view } from '../read-all.ts';

const T = 1764460800;
const parserOptions = () => namedHostOptions('default-host');

describe('auditd format', () => {
  it('reads the fixture field by field (interleaved serials, ENRICHED, hex, IPv6, aarch64, outcomes)', async () => {
    const { records, errors, summary } = await readAll(path.join(FIXTURES, 'auditd-events.log'), 'auditd');
    assert.deepEqual(errors, [
      {
        line: 23,
        reason: 'not an auditd record: expected "type=<TYPE> msg=audit(<seconds>.<millis>:<serial>):"',
      },
    ]);
    const got = records.map(view);
    assert.deepEqual(got, [
      {
        // 5001 and 5002 interleave line by line; EINPROGRESS proves a stream socket; owner from the 0x1D section;
        // hex PROCTITLE with NUL-separated arguments.
        eventName: 'egressguard.connection',
        time: [T, 101_000_000],
        host: 'web-01',
        'process.pid': 4242,
        'process.parent_pid': 812,
        'process.executable.path': '/tmp/.x/kworkerd',
        'process.executable.name': 'kworkerd',
        'process.command_line': '/tmp/.x/kworkerd --beacon -i 60',
        'process.user.id': 1000,
        'process.owner': 'deploy',
        'egressguard.source.format': 'auditd',
        'egressguard.source.id': '5001',
        'network.transport': 'tcp',
        'network.type': 'ipv4',
        'destination.address': '93.184.216.34',
        'destination.port': 80,
        'egressguard.connection.outcome': 'unknown',
      },
      {
        // execve: EXECVE arguments (one hex-encoded because it holds a space), euid and its ENRICHED name.
        eventName: 'egressguard.process.exec',
        time: [T, 102_000_000],
        host: 'web-01',
        'process.pid': 4300,
        'process.parent_pid': 900,
        'process.executable.path': '/usr/bin/curl',
        'process.executable.name': 'curl',
        'process.command_line': 'curl -s http://example.com/a b',
        'process.user.id': 0,
        'process.owner': 'root',
        'egressguard.source.format': 'auditd',
        'egressguard.source.id': '5002',
      },
      {
        // ECONNREFUSED: failed, and only TCP can be refused at connect(). RAW format: no owner; no node=: default host.
        eventName: 'egressguard.connection',
        time: [T, 250_000_000],
        host: 'replay-host',
        'process.pid': 1301,
        'process.parent_pid': 1200,
        'process.executable.path': '/usr/bin/python3.11',
        'process.executable.name': 'python3.11',
        'process.command_line': 'python3',
        'process.user.id': 33,
        'egressguard.source.format': 'auditd',
        'egressguard.source.id': '5003',
        'network.transport': 'tcp',
        'network.type': 'ipv4',
        'destination.address': '203.0.113.50',
        'destination.port': 8080,
        'egressguard.connection.outcome': 'failed',
      },
      {
        // IPv6, exit=0: transport not provable, outcome unknown.
        eventName: 'egressguard.connection',
        time: [T, 410_000_000],
        host: 'replay-host',
        'process.pid': 2002,
        'process.parent_pid': 2001,
        'process.executable.path': '/usr/bin/wget',
        'process.executable.name': 'wget',
        'process.user.id': 1000,
        'egressguard.source.format': 'auditd',
        'egressguard.source.id': '5005',
        'network.type': 'ipv6',
        'destination.address': '2001:db8::10',
        'destination.port': 443,
        'egressguard.connection.outcome': 'unknown',
      },
      {
        // IPv4-mapped IPv6 on an AF_INET6 socket: written as the IPv4 address on the wire.
        eventName: 'egressguard.connection',
        time: [T, 520_000_000],
        host: 'replay-host',
        'process.pid': 3100,
        'process.parent_pid': 1,
        'process.executable.path': '/usr/lib/jvm/java-17/bin/java',
        'process.executable.name': 'java',
        'process.user.id': 998,
        'egressguard.source.format': 'auditd',
        'egressguard.source.id': '5006',
        'network.transport': 'tcp',
        'network.type': 'ipv4',
        'destination.address': '198.51.100.7',
        'destination.port': 8443,
        'egressguard.connection.outcome': 'unknown',
      },
      {
        // No EOE: completed by a record 393 serials later. Hex exe with the kernel's " (deleted)" suffix.
        eventName: 'egressguard.connection',
        time: [T, 600_000_000],
        host: 'replay-host',
        'process.pid': 5150,
        'process.parent_pid': 1,
        'process.executable.path': '/tmp/.cache/upd',
        'process.executable.name': 'upd',
        'process.user.id': 0,
        'egressguard.process.executable.deleted': true,
        'egressguard.source.format': 'auditd',
        'egressguard.source.id': '5007',
        'network.type': 'ipv4',
        'destination.address': '192.0.2.7',
        'destination.port': 443,
        'egressguard.connection.outcome': 'unknown',
      },
      {
        // aarch64: connect is syscall 203.
        eventName: 'egressguard.connection',
        time: [T, 700_000_000],
        host: 'arm-02',
        'process.pid': 777,
        'process.parent_pid': 1,
        'process.executable.path': '/opt/agent/bin/agent',
        'process.executable.name': 'agent',
        'process.user.id': 0,
        'egressguard.source.format': 'auditd',
        'egressguard.source.id': '9001',
        'network.type': 'ipv4',
        'destination.address': '10.1.2.3',
        'destination.port': 80,
        'egressguard.connection.outcome': 'unknown',
      },
      {
        // aarch64 execve (221) without EOE: emitted at the end of input.
        eventName: 'egressguard.process.exec',
        time: [T, 800_000_000],
        host: 'arm-02',
        'process.pid': 778,
        'process.parent_pid': 777,
        'process.executable.path': '/usr/bin/dash',
        'process.executable.name': 'dash',
        'process.command_line': 'sh -c uname -a; id',
        'process.user.id': 0,
        'egressguard.source.format': 'auditd',
        'egressguard.source.id': '9002',
      },
    ]);
    // AF_UNIX is ignored and counted, never an error; the kernel's `type=UNKNOWN[1329] msg=?` is counted too.
    assert.equal(summary.parserCounters.ignored_af_unix, 1);
    assert.equal(summary.parserCounters.records_without_timestamp, 1);
    assert.equal(summary.parserCounters.events_completed_without_eoe, 1);
    for (const r of records) assert.deepEqual(validateRecord(r, SENSOR_RECORD), []);
    // auditd sees no bytes: never written, not even as 0.
    for (const r of records) {
      assert.equal(r.attributes['egressguard.connection.bytes_sent'], undefined);
      assert.equal(r.attributes['egressguard.bytes.kind'], undefined);
      assert.equal(r.attributes['source.port'], undefined);
    }
  });

  it('leaves out an id past 2^53 (a corrupt euid) rather than writing a rounded number', () => {
    const parser = auditdFormat.createParser(namedHostOptions('h'));
    const lines = [
      'type=SYSCALL msg=audit(1764460800.101:5001): arch=c000003e syscall=42 success=no exit=-115 a0=3 a1=7ffd1c2e5a40 a2=10 a3=0 items=0 ppid=812 pid=4242 auid=1000 uid=1000 gid=1000 euid=18446744073709551616 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=(none) ses=3 comm="kworkerd" exe="/tmp/.x/kworkerd" key="egress"',
      'type=SOCKADDR msg=audit(1764460800.101:5001): saddr=020000505DB8D8220000000000000000',
      'type=EOE msg=audit(1764460800.101:5001):',
    ];
    const records = lines.flatMap((l, i) => parser.push(l, i + 1).records);
    assert.equal(records.length, 1);
    assert.equal(records[0].attributes['process.user.id'], undefined);
    assert.equal(records[0].attributes['process.pid'], 4242);
    assert.deepEqual(validateRecord(records[0], SENSOR_RECORD), []);
  });

  it('keeps events open until EOE even when other events interleave, and bounds open events', () => {
    const parser = createAuditdFormat({ maxOpenEvents: 2 }).createParser(parserOptions());
    const line = (serial: number, type: string, rest: string) =>
      `type=${type} msg=audit(${T}.000:${serial}): ${rest}`;
    const sys = (serial: number, pid: number) =>
      line(
        serial,
        'SYSCALL',
        `arch=c000003e syscall=42 success=yes exit=0 ppid=1 pid=${pid} uid=0 euid=0 comm="c${pid}" exe="/bin/c${pid}"`,
      );
    const sock = (serial: number) => line(serial, 'SOCKADDR', 'saddr=020000500A0000010000000000000000');
    assert.equal(parser.push(sys(1, 10), 1).records.length, 0);
    assert.equal(parser.push(sys(2, 20), 2).records.length, 0);
    assert.equal(parser.push(sock(1), 3).records.length, 0);
    // A third open event passes the bound of 2: the oldest (serial 1, already complete in content) is emitted.
    const evicted = parser.push(sys(3, 30), 4);
    assert.deepEqual(
      evicted.records.map((r) => r.attributes['process.pid']),
      [10],
    );
    assert.equal(parser.counters!().events_evicted, 1);
    assert.equal(parser.push(sock(2), 5).records.length, 0);
    const done = parser.push(line(2, 'EOE', ''), 6);
    assert.deepEqual(
      done.records.map((r) => r.attributes['process.pid']),
      [20],
    );
  });

  it('snapshots open events and restores them into a new parser', () => {
    const a = auditdFormat.createParser(parserOptions());
    a.push(
      `node=n1 type=SYSCALL msg=audit(${T}.500:77): arch=c000003e syscall=42 success=no exit=-111 ppid=1 pid=9 uid=0 euid=0 comm="x" exe="/x"`,
      1,
    );
    a.push(`node=n1 type=SOCKADDR msg=audit(${T}.500:77): saddr=02001F90CB0071320000000000000000`, 2);
    const snap = JSON.parse(JSON.stringify(a.snapshot!())) as ReturnType<NonNullable<typeof a.snapshot>>;
    const b = auditdFormat.createParser(parserOptions());
    b.restore!(snap);
    const out = b.push(`node=n1 type=EOE msg=audit(${T}.500:77): `, 3);
    assert.equal(out.records.length, 1);
    assert.equal(out.records[0].attributes['egressguard.connection.outcome'], 'failed');
    assert.equal(out.records[0].resource.attributes['host.name'], 'n1');
    assert.throws(() => b.restore!({ version: 9 }), /version 9/);
  });

  it('treats failed execve, EALREADY repeats and other syscalls as counted non-records', () => {
    const p = auditdFormat.createParser(parserOptions());
    const rec = (serial: number, fields: string) =>
      p.push(
        `type=SYSCALL msg=audit(${T}.000:${serial}): arch=c000003e ${fields} ppid=1 pid=5 uid=0 euid=0 comm="sh" exe="/bin/sh"`,
        serial,
      );
    rec(1, 'syscall=59 success=no exit=-2');
    rec(2, 'syscall=42 success=no exit=-114');
    p.push(`type=SOCKADDR msg=audit(${T}.000:2): saddr=020000500A0000010000000000000000`, 3);
    rec(3, 'syscall=43 success=yes exit=4');
    const out = p.end();
    assert.equal(out.records.length, 0);
    assert.deepEqual(
      {
        failed: p.counters!().failed_exec,
        repeated: p.counters!().repeated_connect,
        other: p.counters!().events_other_syscalls,
      },
      { failed: 1, repeated: 1, other: 1 },
    );
  });

  it('takes a successful connect() after EINPROGRESS on the same socket as the same connection', () => {
    const p = auditdFormat.createParser(parserOptions());
    const records: unknown[] = [];
    const connect = (serial: number, ms: number, fd: string, exit: string, port = '0050') => {
      const success = exit === '0' ? 'yes' : 'no';
      records.push(
        ...p.push(
          `type=SYSCALL msg=audit(${T}.${ms}:${serial}): arch=c000003e syscall=42 success=${success} exit=${exit} a0=${fd} items=0 ppid=1 pid=77 uid=0 euid=0 comm="perl" exe="/usr/bin/perl"`,
          serial * 2,
        ).records,
        ...p.push(
          `type=SOCKADDR msg=audit(${T}.${ms}:${serial}): saddr=0200${port}CB0071070000000000000000`,
          serial * 2 + 1,
        ).records,
        ...p.push(`type=EOE msg=audit(${T}.${ms}:${serial}): `, serial * 2 + 1).records,
      );
    };
    connect(1, 100, '3', '-115'); // attempt on fd 3
    connect(2, 140, '3', '0'); // its completion: not a second connection
    connect(3, 200, '4', '0'); // a blocking connect on another socket: a connection
    connect(4, 300, '3', '0', '01BB'); // fd 3 reused for another destination: a connection
    records.push(...p.end().records);
    assert.equal(records.length, 3);
    assert.equal(p.counters!().repeated_connect, 1);
  });

  it('recognises audit lines only', () => {
    assert.equal(auditdFormat.recognize(`type=SYSCALL msg=audit(${T}.000:1): arch=c000003e`), true);
    assert.equal(auditdFormat.recognize(`node=a type=EOE msg=audit(${T}.000:1): `), true);
    assert.equal(auditdFormat.recognize('{"type":"SYSCALL"}'), false);
    assert.equal(auditdFormat.recognize({ type: 'SYSCALL' }), false);
  });
});
