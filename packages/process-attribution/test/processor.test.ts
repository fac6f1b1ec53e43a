/**
 * The enricher's rules on records: the process table across pid reuse, the join across sensor formats (with the
 * ambiguous case), records that wait for their partner, and the rule that a sensor's value is never overwritten.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { getErrorHandler, setErrorHandler, type ReportedError } from '@egressguard/core';
import { makeConnection, makeProcessExec, makeRecord } from '@egressguard/core/testing';
import {
  AttributionAttr,
  AttributionMethod,
  EventName,
  NetworkAttr,
  ProcessAttr,
  ProvenanceAttr,
  type PipelineRecord,
  type RecordAttributes,
} from '@egressguard/schema';

import { ATTRIBUTION_CONFIDENCE, processAttributionFactory } from '../src/index.ts';

const T0 = Date.parse('2025-11-30T10:00:00Z');
const HOST = 'web-1';

function create(config: unknown = {}, now: () => number = () => T0) {
  return processAttributionFactory.create(processAttributionFactory.config.parse(config), {
    id: 'process_attribution/test',
    now,
  });
}

const at = (ms: number, host = HOST) => ({ timeMs: T0 + ms, host });
const exec = (pid: number, path: string, startMs: number, extra: RecordAttributes = {}) =>
  makeProcessExec(
    {
      [ProcessAttr.PID]: pid,
      [ProcessAttr.EXECUTABLE_PATH]: path,
      [ProcessAttr.COMMAND_LINE]: path,
      [ProcessAttr.CREATION_TIME]: new Date(T0 + startMs).toISOString(),
      [ProvenanceAttr.SOURCE_FORMAT]: 'auditd',
      ...extra,
    },
    at(startMs),
  );
const exit = (pid: number, ms: number) =>
  makeRecord(
    EventName.PROCESS_EXIT,
    { [ProcessAttr.PID]: pid, [ProvenanceAttr.SOURCE_FORMAT]: 'auditd' },
    at(ms),
  );
/** A connection the way bcc's tcpconnect or ss report it: a pid, no executable path. */
const pidOnly = (pid: number, ms: number) =>
  makeConnection(
    {
      [ProcessAttr.PID]: pid,
      [NetworkAttr.DESTINATION_ADDRESS]: '203.0.113.7',
      [NetworkAttr.DESTINATION_PORT]: 80,
    },
    at(ms),
  );
const attrs = (records: PipelineRecord[]) => records.map((r) => r.attributes);

void describe('process table: pid reuse', () => {
  void it('gives two processes with the same pid at different times their own identities', async () => {
    // join.wait_ms 0: every answer now, without waiting for an exec that may still come.
    const p = create({ process_table: { exit_retention_ms: 60_000 }, join: { wait_ms: 0 } });
    // Connections first in the batch: the table is fed before any record is attributed.
    const out = attrs(
      await p.process([
        pidOnly(4242, 5_000),
        pidOnly(4242, 90_000),
        exit(4242, 10_000),
        exec(4242, '/tmp/.x/kworkerd', 60_000),
        exec(4242, '/usr/bin/curl', 0),
        pidOnly(4242, 30_000),
      ]),
    );
    const conns = out.filter((a) => a[AttributionAttr.METHOD] !== undefined);
    assert.equal(conns[0][ProcessAttr.EXECUTABLE_PATH], '/usr/bin/curl');
    assert.equal(conns[0][ProcessAttr.CREATION_TIME], new Date(T0).toISOString());
    assert.equal(conns[0][AttributionAttr.METHOD], AttributionMethod.EVENT);
    assert.equal(conns[0][AttributionAttr.CONFIDENCE], ATTRIBUTION_CONFIDENCE.TABLE_LIFETIME);
    assert.equal(conns[1][ProcessAttr.EXECUTABLE_PATH], '/tmp/.x/kworkerd');
    assert.equal(conns[1][ProcessAttr.EXECUTABLE_NAME], 'kworkerd');
    assert.equal(conns[1][ProcessAttr.CREATION_TIME], new Date(T0 + 60_000).toISOString());
    // Between curl's exit and kworkerd's start nobody we know held the pid.
    assert.equal(conns[2][AttributionAttr.METHOD], AttributionMethod.NONE);
    assert.equal(conns[2][AttributionAttr.REASON], 'process_gone');
    assert.equal(conns[2][ProcessAttr.EXECUTABLE_PATH], undefined);

    // kworkerd exits; a connection after exit + retention is not given to it, and then the entry is gone.
    await p.process([exit(4242, 120_000)]);
    const [late] = attrs(await p.process([pidOnly(4242, 300_000)]));
    assert.equal(late[AttributionAttr.REASON], 'process_gone');
    assert.equal(late[ProcessAttr.EXECUTABLE_PATH], undefined);
    const [later] = attrs(await p.process([pidOnly(4242, 400_000)]));
    assert.equal(later[AttributionAttr.REASON], 'no_match');
    assert.ok(p.counters().events.process_table_expired >= 2);
    await p.shutdown();
  });

  void it('matches the creation time exactly when the record carries one', async () => {
    const p = create();
    await p.process([exec(7, '/usr/bin/apt', 0), exec(7, '/usr/bin/wget', 50_000)]);
    const conn = pidOnly(7, 60_000);
    conn.attributes[ProcessAttr.CREATION_TIME] = new Date(T0).toISOString();
    const [out] = attrs(await p.process([conn]));
    // The record says which process: the first one, although the second held the pid at 60 s.
    assert.equal(out[ProcessAttr.EXECUTABLE_PATH], '/usr/bin/apt');
    assert.equal(out[AttributionAttr.CONFIDENCE], ATTRIBUTION_CONFIDENCE.TABLE_EXACT);
    await p.shutdown();
  });

  void it('never overwrites what the sensor reported, and calls a record with pid and executable `event`', async () => {
    const p = create();
    await p.process([
      exec(99, '/usr/bin/python3', 0, { [ProcessAttr.OWNER]: 'www-data', [ProcessAttr.USER_ID]: 33 }),
    ]);
    const conn = makeConnection(
      {
        [ProcessAttr.PID]: 99,
        [ProcessAttr.EXECUTABLE_PATH]: '/usr/bin/python3.12',
        [ProcessAttr.USER_ID]: 0,
        [NetworkAttr.DESTINATION_ADDRESS]: '169.254.169.254',
        [NetworkAttr.DESTINATION_PORT]: 80,
      },
      at(1_000),
    );
    const [out] = attrs(await p.process([conn]));
    assert.equal(out[ProcessAttr.EXECUTABLE_PATH], '/usr/bin/python3.12', 'the sensor path stays');
    assert.equal(out[ProcessAttr.USER_ID], 0, 'the sensor uid stays');
    assert.equal(out[ProcessAttr.OWNER], 'www-data', 'missing fields are filled');
    assert.equal(out[ProcessAttr.COMMAND_LINE], '/usr/bin/python3');
    assert.equal(out[AttributionAttr.METHOD], AttributionMethod.EVENT);
    assert.equal(out[AttributionAttr.CONFIDENCE], 1);
    await p.shutdown();
  });

  void it('leaves a record alone when an earlier enricher already attributed it', async () => {
    const p = create();
    const conn = pidOnly(1, 0);
    conn.attributes[AttributionAttr.METHOD] = AttributionMethod.JOIN;
    const [out] = attrs(await p.process([conn]));
    assert.deepEqual(out, conn.attributes);
    assert.equal(out[AttributionAttr.CONFIDENCE], undefined);
    await p.shutdown();
  });
});

/** Zeek conn.log: the full 5-tuple and bytes, no process. */
const zeek = (ms: number, sourcePort: number, dst = '198.51.100.20', host = HOST) =>
  makeConnection(
    {
      [ProvenanceAttr.SOURCE_FORMAT]: 'zeek.conn',
      [ProvenanceAttr.SOURCE_ID]: `C${sourcePort}`,
      [NetworkAttr.TRANSPORT]: 'tcp',
      [NetworkAttr.SOURCE_ADDRESS]: '10.0.0.5',
      [NetworkAttr.SOURCE_PORT]: sourcePort,
      [NetworkAttr.DESTINATION_ADDRESS]: dst,
      [NetworkAttr.DESTINATION_PORT]: 80,
      'egressguard.connection.bytes_sent': 700,
      'egressguard.connection.bytes_received': 120,
    },
    at(ms, host),
  );
/** Tetragon process_connect: the pid, the binary and the full 5-tuple. */
const tetragon = (ms: number, pid: number, binary: string, sourcePort: number) =>
  makeConnection(
    {
      [ProvenanceAttr.SOURCE_FORMAT]: 'tetragon',
      [ProcessAttr.PID]: pid,
      [ProcessAttr.EXECUTABLE_PATH]: binary,
      [NetworkAttr.SOURCE_ADDRESS]: '10.0.0.5',
      [NetworkAttr.SOURCE_PORT]: sourcePort,
      [NetworkAttr.DESTINATION_ADDRESS]: '198.51.100.20',
      [NetworkAttr.DESTINATION_PORT]: 80,
    },
    at(ms),
  );
/** auditd SYSCALL connect + SOCKADDR: pid, exe, uid and the destination; no source address or port. */
const auditd = (ms: number, pid: number, exe: string, dst = '198.51.100.20') =>
  makeConnection(
    {
      [ProvenanceAttr.SOURCE_FORMAT]: 'auditd',
      [ProcessAttr.PID]: pid,
      [ProcessAttr.EXECUTABLE_PATH]: exe,
      [ProcessAttr.USER_ID]: 1000,
      [NetworkAttr.DESTINATION_ADDRESS]: dst,
      [NetworkAttr.DESTINATION_PORT]: 80,
    },
    at(ms),
  );

void describe('join across sensor formats', () => {
  void it("dates a record without a time at its host's latest event time, not the wall clock", async () => {
    // A replay: the wall clock is ten minutes past the recorded events. Batching must not matter either.
    const untimed = () => {
      const z = zeek(0, 40_300);
      return makeConnection({ ...z.attributes }, { timeMs: 0, host: HOST });
    };
    for (const batches of [
      [[auditd(0, 812, '/usr/bin/curl'), untimed()]],
      [[auditd(0, 812, '/usr/bin/curl')], [untimed()]],
    ]) {
      const p = create({ join: { wait_ms: 0 } }, () => T0 + 600_000);
      const out: PipelineRecord[] = [];
      for (const batch of batches) out.push(...(await p.process(batch)));
      const z = out.find((r) => r.attributes[ProvenanceAttr.SOURCE_FORMAT] === 'zeek.conn')!.attributes;
      assert.equal(z[AttributionAttr.METHOD], AttributionMethod.JOIN);
      assert.equal(z[ProcessAttr.PID], 812);
      await p.shutdown();
    }
  });

  void it('joins Zeek to Tetragon by 5-tuple and time', async () => {
    const p = create({ join: { wait_ms: 0 } });
    const out = await p.process([tetragon(0, 3100, '/tmp/.x/kworkerd', 51_000), zeek(40, 51_000)]);
    const z = out[1].attributes;
    assert.equal(z[AttributionAttr.METHOD], AttributionMethod.JOIN);
    assert.equal(z[AttributionAttr.CONFIDENCE], ATTRIBUTION_CONFIDENCE.JOIN_FIVE_TUPLE);
    assert.equal(z[ProcessAttr.PID], 3100);
    assert.equal(z[ProcessAttr.EXECUTABLE_PATH], '/tmp/.x/kworkerd');
    assert.equal(z[ProvenanceAttr.SOURCE_FORMAT], 'zeek.conn', 'the record keeps its own provenance');
    assert.equal(out[0].attributes[AttributionAttr.METHOD], AttributionMethod.EVENT);
    await p.shutdown();
  });

  void it("gives each joined record its own partner's process when one pid's connections change process or host", async () => {
    const p = create({ join: { wait_ms: 0 } });
    const withUid = tetragon(150, 3100, '/usr/bin/curl', 51_004);
    withUid.attributes[ProcessAttr.USER_ID] = 0;
    const otherHost = makeConnection(
      { ...tetragon(0, 3100, '/opt/agent/bin/agent', 51_003).attributes },
      at(300, 'web-2'),
    );
    const partners = [
      tetragon(0, 3100, '/usr/bin/curl', 51_000),
      tetragon(100, 3100, '/usr/bin/curl', 51_001),
      withUid,
      // The same pid after an exec: another executable.
      tetragon(200, 3100, '/tmp/.x/kworkerd', 51_002),
      otherHost,
    ];
    const out = await p.process([
      ...partners,
      zeek(400, 51_000),
      zeek(400, 51_001),
      zeek(400, 51_004),
      zeek(400, 51_002),
      zeek(400, 51_003, '198.51.100.20', 'web-2'),
    ]);
    const joined = out.slice(partners.length).map((r) => r.attributes);
    assert.deepEqual(
      joined.map((z) => [z[AttributionAttr.METHOD], z[ProcessAttr.EXECUTABLE_PATH], z[ProcessAttr.USER_ID]]),
      [
        [AttributionMethod.JOIN, '/usr/bin/curl', undefined],
        [AttributionMethod.JOIN, '/usr/bin/curl', undefined],
        [AttributionMethod.JOIN, '/usr/bin/curl', 0],
        [AttributionMethod.JOIN, '/tmp/.x/kworkerd', undefined],
        [AttributionMethod.JOIN, '/opt/agent/bin/agent', undefined],
      ],
    );
    await p.shutdown();
  });

  void it('joins Zeek to auditd by host, destination and time, with a lower confidence', async () => {
    const p = create({ join: { wait_ms: 0 } });
    const out = await p.process([auditd(0, 812, '/usr/bin/curl'), zeek(300, 40_100)]);
    const z = out[1].attributes;
    assert.equal(z[AttributionAttr.METHOD], AttributionMethod.JOIN);
    assert.equal(z[AttributionAttr.CONFIDENCE], ATTRIBUTION_CONFIDENCE.JOIN_DESTINATION);
    assert.ok(ATTRIBUTION_CONFIDENCE.JOIN_DESTINATION < ATTRIBUTION_CONFIDENCE.JOIN_FIVE_TUPLE);
    assert.equal(z[ProcessAttr.EXECUTABLE_PATH], '/usr/bin/curl');
    assert.equal(z[ProcessAttr.USER_ID], 1000);
    await p.shutdown();
  });

  void it('treats pid 0 and negative pids as no pid: such records are joined, never joined to', async () => {
    const p = create({ join: { wait_ms: 0 } });
    // A close event seen in softirq context carries pid 0 and the bytes; Tetragon saw the connect itself.
    const kernel = zeek(40, 51_000);
    kernel.attributes[ProcessAttr.PID] = 0;
    const negative = zeek(45, 51_000);
    negative.attributes[ProcessAttr.PID] = -1;
    const out = await p.process([tetragon(0, 3100, '/tmp/.x/kworkerd', 51_000), kernel, negative]);
    for (const r of out.slice(1)) {
      assert.equal(r.attributes[AttributionAttr.METHOD], AttributionMethod.JOIN);
      assert.equal(r.attributes[ProcessAttr.PID], 3100);
      assert.equal(r.attributes[ProcessAttr.EXECUTABLE_PATH], '/tmp/.x/kworkerd');
    }
    assert.equal(p.counters().events.pid_not_a_process, 2);

    const q = create({ join: { wait_ms: 0 } });
    const idle = zeek(0, 52_000);
    idle.attributes[ProcessAttr.PID] = 0;
    const [, other] = await q.process([idle, zeek(10, 52_000)]);
    assert.equal(
      other.attributes[AttributionAttr.METHOD],
      AttributionMethod.NONE,
      'pid 0 is no join partner',
    );
    assert.equal(other.attributes[ProcessAttr.PID], undefined);
    await p.shutdown();
    await q.shutdown();
  });

  void it('joins IPv4-mapped IPv6 addresses to their IPv4 form', async () => {
    const p = create({ join: { wait_ms: 0 } });
    const mapped = zeek(40, 51_000);
    mapped.attributes[NetworkAttr.SOURCE_ADDRESS] = '::ffff:10.0.0.5';
    mapped.attributes[NetworkAttr.DESTINATION_ADDRESS] = '::FFFF:c633:6414';
    const out = await p.process([tetragon(0, 3100, '/tmp/.x/kworkerd', 51_000), mapped]);
    assert.equal(out[1].attributes[AttributionAttr.CONFIDENCE], ATTRIBUTION_CONFIDENCE.JOIN_FIVE_TUPLE);
    assert.equal(out[1].attributes[ProcessAttr.PID], 3100);
    await p.shutdown();
  });

  void it('reports two processes connecting to the same destination at once as ambiguous, and names none', async () => {
    const p = create({ join: { wait_ms: 0 } });
    const out = await p.process([
      auditd(0, 812, '/usr/bin/curl'),
      auditd(500, 2333, '/tmp/.x/kworkerd'),
      // The same connect reported twice (two sensors) is one candidate, not an ambiguity.
      auditd(510, 2333, '/tmp/.x/kworkerd'),
      zeek(300, 40_100),
    ]);
    const z = out[3].attributes;
    assert.equal(z[AttributionAttr.METHOD], AttributionMethod.NONE);
    assert.equal(z[AttributionAttr.REASON], 'ambiguous');
    assert.equal(z[AttributionAttr.CANDIDATES], 2);
    assert.equal(z[AttributionAttr.CONFIDENCE], 0);
    assert.equal(z[ProcessAttr.PID], undefined);
    assert.equal(z[ProcessAttr.EXECUTABLE_PATH], undefined);
    await p.shutdown();
  });

  void it('prefers a 5-tuple match over the looser destination match', async () => {
    const p = create({ join: { wait_ms: 0 } });
    const out = await p.process([
      auditd(0, 812, '/usr/bin/curl'),
      tetragon(10, 2333, '/opt/agent/bin/agent', 40_100),
      zeek(20, 40_100),
    ]);
    assert.equal(out[2].attributes[ProcessAttr.PID], 2333);
    assert.equal(out[2].attributes[AttributionAttr.CONFIDENCE], ATTRIBUTION_CONFIDENCE.JOIN_FIVE_TUPLE);
    await p.shutdown();
  });

  void it('does not join outside the tolerance, nor across hosts', async () => {
    const p = create({ join: { wait_ms: 0, tolerance_ms: 2_000 } });
    const out = await p.process([
      auditd(0, 812, '/usr/bin/curl'),
      zeek(2_500, 40_100),
      zeek(100, 40_200, undefined, 'db-1'),
    ]);
    assert.equal(out[1].attributes[AttributionAttr.REASON], 'no_match');
    assert.equal(out[2].attributes[AttributionAttr.REASON], 'no_match');
    await p.shutdown();
  });

  void it('with scope global, joins a full 5-tuple reported under a network sensor host name', async () => {
    const p = create({ join: { wait_ms: 0, scope: 'global' } });
    const out = await p.process([
      tetragon(0, 3100, '/tmp/.x/kworkerd', 51_000),
      zeek(40, 51_000, undefined, 'zeek-sensor'),
    ]);
    assert.equal(out[1].attributes[ProcessAttr.PID], 3100);
    await p.shutdown();
  });

  void it('holds a record that arrives before its partner, and joins it when the partner comes in a later batch', async () => {
    const p = create({ join: { wait_ms: 5_000 } });
    const first = await p.process([zeek(300, 40_100)]);
    assert.deepEqual(first, [], 'the Zeek record waits for a partner');
    assert.equal(p.counters().state.entries, 1);
    const second = await p.process([auditd(0, 812, '/usr/bin/curl')]);
    // The watermark (300 ms) has not passed 300 + 5000 yet: still waiting, the auditd record passes at once.
    assert.equal(second.length, 1);
    const third = await p.process([auditd(6_000, 9, '/usr/sbin/ntpd', '192.0.2.1')]);
    assert.equal(third.length, 2, 'the watermark passed: the held record is released with the batch');
    const z = third.find((r) => r.attributes[ProvenanceAttr.SOURCE_FORMAT] === 'zeek.conn')!.attributes;
    assert.equal(z[AttributionAttr.METHOD], AttributionMethod.JOIN);
    assert.equal(z[ProcessAttr.PID], 812);
    await p.shutdown();
  });

  void it('releases a record that never finds a partner on flush, as no_match', async () => {
    const p = create({ join: { wait_ms: 5_000 } });
    assert.deepEqual(await p.process([zeek(0, 40_100)]), []);
    const flushed = await p.flush();
    assert.equal(flushed.length, 1);
    assert.equal(flushed[0].attributes[AttributionAttr.REASON], 'no_match');
    await p.shutdown();
  });

  void it('releases held records after the processing-time cap, through the timer', async () => {
    let now = T0;
    const emitted: PipelineRecord[] = [];
    const p = processAttributionFactory.create(
      processAttributionFactory.config.parse({ join: { wait_ms: 60_000, max_wait_processing_ms: 20 } }),
      { id: 'process_attribution/timer', now: () => now, emit: (records) => emitted.push(...records) },
    );
    await p.process([zeek(0, 40_100)]);
    now += 1_000;
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(emitted.length, 1);
    assert.equal(emitted[0].attributes[AttributionAttr.REASON], 'no_match');
    await p.shutdown();
  });

  void it('keeps held records across snapshot and restore', async () => {
    const a = create({ join: { wait_ms: 5_000 } });
    await a.process([auditd(0, 812, '/usr/bin/curl'), exec(812, '/usr/bin/curl', -1_000)]);
    const b = create({ join: { wait_ms: 5_000 } });
    await b.process([zeek(300, 40_100)]);
    b.restore(JSON.parse(JSON.stringify({ ...a.snapshot()!, held: b.snapshot()!.held })) as never);
    const [z] = await b.flush();
    assert.equal(z.attributes[ProcessAttr.PID], 812);
    assert.equal(z.attributes[ProcessAttr.COMMAND_LINE], '/usr/bin/curl');
    await a.shutdown();
    await b.shutdown();
  });
});

void describe('bounds', () => {
  void it('evicts the least recently used processes past max_entries and counts it', async () => {
    const p = create({ process_table: { max_entries: 2 }, join: { wait_ms: 0 } });
    await p.process([exec(1, '/a', 0), exec(2, '/b', 1), exec(3, '/c', 2)]);
    const c = p.counters();
    assert.equal(c.events.process_table_evicted, 1);
    const [out] = attrs(await p.process([pidOnly(1, 10)]));
    assert.equal(out[AttributionAttr.REASON], 'no_match');
    await p.shutdown();
  });

  void it('releases the oldest held record unattributed past join.max_held', async () => {
    const p = create({ join: { max_held: 1 } });
    await p.process([zeek(0, 1)]);
    const out = await p.process([zeek(1, 2)]);
    assert.equal(out.length, 1);
    assert.equal(out[0].attributes[NetworkAttr.SOURCE_PORT], 1);
    assert.equal(p.counters().events.join_hold_overflow, 1);
    await p.shutdown();
  });

  void it('counts and reports a malformed process record and goes on with the batch', async () => {
    const reported: ReportedError[] = [];
    const previous = getErrorHandler();
    setErrorHandler((e) => reported.push(e));
    try {
      const p = create({ join: { wait_ms: 0 } });
      const out = await p.process([makeProcessExec({ [ProcessAttr.EXECUTABLE_PATH]: '/x' }), pidOnly(1, 0)]);
      assert.equal(out.length, 2);
      assert.equal(p.counters().events.malformed_record, 1);
      assert.match(reported[0].message, /without process\.pid/);
      await p.shutdown();
    } finally {
      setErrorHandler(previous);
    }
  });

  void it('marks a process known without an executable path as such', async () => {
    const p = create();
    await p.process([
      makeProcessExec({ [ProcessAttr.PID]: 31, [ProcessAttr.EXECUTABLE_NAME]: 'kworkerd' }, at(0)),
    ]);
    const [out] = attrs(await p.process([pidOnly(31, 10)]));
    assert.equal(out[AttributionAttr.METHOD], AttributionMethod.EVENT);
    assert.equal(out[ProcessAttr.EXECUTABLE_NAME], 'kworkerd');
    assert.equal(out[ProcessAttr.EXECUTABLE_PATH], undefined);
    assert.equal(out[AttributionAttr.REASON], 'no_executable');
    await p.shutdown();
  });
});

void describe('hashing by path', () => {
  void it('hashes the executable of a host process on this machine, not one in a container', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'egressguard-exe-'));
    const exe = join(dir, 'agent');
    writeFileSync(exe, 'binary one');
    const p = create({ hashing: { enabled: true }, procfs: { local_host_names: [HOST] } });
    const host = makeConnection({ [ProcessAttr.PID]: 5, [ProcessAttr.EXECUTABLE_PATH]: exe }, at(0));
    const contained = makeConnection(
      {
        [ProcessAttr.PID]: 6,
        [ProcessAttr.EXECUTABLE_PATH]: exe,
        [ProcessAttr.CONTAINER_ID]: 'c'.repeat(64),
      },
      at(0),
    );
    const remote = makeConnection(
      { [ProcessAttr.PID]: 7, [ProcessAttr.EXECUTABLE_PATH]: exe },
      at(0, 'db-1'),
    );
    const out = attrs(await p.process([host, contained, remote]));
    assert.equal(
      out[0][ProcessAttr.EXECUTABLE_SHA256],
      createHash('sha256').update('binary one').digest('hex'),
    );
    assert.equal(out[1][ProcessAttr.EXECUTABLE_SHA256], undefined);
    assert.equal(out[2][ProcessAttr.EXECUTABLE_SHA256], undefined);
    await p.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('a host whose clock is far ahead', () => {
  it('does not sweep the processes and join candidates of that host', async () => {
    const reasons: string[] = [];
    const previous = getErrorHandler();
    setErrorHandler((e) => reasons.push(e.reason));
    try {
      const p = create({}, () => T0 + 2_000);
      await p.process([exec(4242, '/usr/bin/curl', 0), exit(4242, 1_000)]);
      // A record of the same host from a clock in 2037, then the connection the exec explains.
      const future = makeConnection(
        { [NetworkAttr.DESTINATION_ADDRESS]: '203.0.113.5', [NetworkAttr.DESTINATION_PORT]: 80 },
        { timeMs: Date.UTC(2037, 0, 1), host: HOST },
      );
      await p.process([future]);
      const [conn] = await p.process([pidOnly(4242, 500)]);
      assert.equal(
        conn.attributes[ProcessAttr.EXECUTABLE_PATH],
        '/usr/bin/curl',
        'the exited process is still in the table',
      );
      assert.ok(reasons.includes('future_event_time'));
    } finally {
      setErrorHandler(previous);
    }
  });
});

describe('an exec that arrives after its connections', () => {
  it('fills the path of connections that named only the pid or the comm, once the exec comes in a later batch', async () => {
    const p = create();
    const comm = makeConnection(
      {
        [ProcessAttr.PID]: 777,
        [ProcessAttr.EXECUTABLE_NAME]: 'kworkerd',
        [NetworkAttr.DESTINATION_ADDRESS]: '203.0.113.7',
        [NetworkAttr.DESTINATION_PORT]: 80,
      },
      at(1_000),
    );
    assert.deepEqual(await p.process([comm, pidOnly(777, 1_200)]), [], 'both wait for the exec');
    // The exec, then the host's clock moves past join.wait_ms: the two are released with the path.
    const out = attrs(await p.process([exec(777, '/tmp/.x/kworkerd', 0), pidOnly(1, 10_000)]));
    const released = out.filter(
      (a) => a[ProcessAttr.PID] === 777 && a[NetworkAttr.DESTINATION_ADDRESS] !== undefined,
    );
    assert.equal(released.length, 2);
    for (const a of released) {
      assert.equal(a[ProcessAttr.EXECUTABLE_PATH], '/tmp/.x/kworkerd');
      assert.equal(a[AttributionAttr.METHOD], AttributionMethod.EVENT);
    }
    await p.shutdown();
  });

  it('gives up at flush with what the sensor said', async () => {
    const p = create();
    const comm = makeConnection(
      {
        [ProcessAttr.PID]: 778,
        [ProcessAttr.EXECUTABLE_NAME]: 'curl',
        [NetworkAttr.DESTINATION_ADDRESS]: '203.0.113.7',
        [NetworkAttr.DESTINATION_PORT]: 80,
      },
      at(1_000),
    );
    assert.deepEqual(await p.process([comm]), []);
    const [out] = attrs(await p.flush());
    assert.equal(out[AttributionAttr.METHOD], AttributionMethod.EVENT);
    assert.equal(out[ProcessAttr.EXECUTABLE_NAME], 'curl');
    assert.equal(out[AttributionAttr.REASON], 'no_executable');
    await p.shutdown();
  });
});
