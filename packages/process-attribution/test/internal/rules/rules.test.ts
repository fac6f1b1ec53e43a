/**
 * The rules one by one, through their one interface: what each attributes, and what each leaves in the attempt
 * when it does not (the reason, the candidate count, whether a partner or an exec may still arrive).
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, describe, it } from 'node:test';

import { makeConnection } from '@egressguard/core/testing';
import { AttributionMethod, NetworkAttr, ProcessAttr, type RecordAttributes } from '@egressguard/schema';

import {
  ATTRIBUTION_CONFIDENCE,
  AttributionReason,
  PROCESS_KEYS,
} from '../../../src/internal/attribution.ts';
import { ConnectionJoinBuffer } from '../../../src/internal/connection-join.ts';
import { ProcessTable } from '../../../src/internal/process-table.ts';
import { ProcfsReader } from '../../../src/internal/procfs-reader.ts';
import { EventRule } from '../../../src/internal/rules/event-rule.ts';
import { JoinRule } from '../../../src/internal/rules/join-rule.ts';
import { PidRule } from '../../../src/internal/rules/pid-rule.ts';
import { ProcfsRule } from '../../../src/internal/rules/procfs-rule.ts';
import { newAttempt, resetAttempt, type RuleQuery } from '../../../src/internal/rules/rule.ts';
import { SocketRule } from '../../../src/internal/rules/socket-rule.ts';
import { FAKE_BTIME, fakeProcfs } from '../fake-procfs.ts';

const T0 = Date.parse('2025-11-30T10:00:00Z');
const HOST = 'web-1';

const table = () => {
  const t = new ProcessTable({ maxEntries: 100, exitRetentionMs: 60_000, lifetimeSlackMs: 1_000 });
  t.addExec(HOST, 42, T0, {
    [ProcessAttr.PID]: 42,
    [ProcessAttr.EXECUTABLE_PATH]: '/usr/bin/curl',
    [ProcessAttr.CREATION_TIME]: new Date(T0).toISOString(),
  });
  return t;
};
const joinBuffer = (maxBuffered = 100) =>
  new ConnectionJoinBuffer({ toleranceMs: 2_000, bufferMs: 60_000, maxBuffered, scope: 'host' });

const DESTINATION: RecordAttributes = {
  [NetworkAttr.DESTINATION_ADDRESS]: '198.51.100.20',
  [NetworkAttr.DESTINATION_PORT]: 80,
};
function query(attributes: RecordAttributes, ms: number, local = false): RuleQuery {
  const record = makeConnection({ ...DESTINATION, ...attributes }, { timeMs: T0 + ms, host: HOST });
  const pid = attributes[ProcessAttr.PID];
  return { record, host: HOST, timeMs: T0 + ms, pid: typeof pid === 'number' ? pid : undefined, local };
}

void describe('attribution rules', () => {
  void it('a reused attempt, reset, is a fresh one: nothing a rule noted on the last record is left', () => {
    const attempt = newAttempt(AttributionReason.PROCESS_GONE, 3);
    attempt.joinPending = true;
    attempt.tablePending = true;
    assert.equal(resetAttempt(attempt), attempt);
    assert.deepEqual(attempt, newAttempt());
  });

  void it('pid: the table finds the process in its lifetime, or says it is gone, or that its exec may come', () => {
    const t = table();
    t.addExit(HOST, 42, T0 + 10_000, undefined);
    const rule = new PidRule(t, 5_000);
    const found = query({ [ProcessAttr.PID]: 42 }, 5_000);
    assert.deepEqual(rule.attribute(found, newAttempt()), {
      method: AttributionMethod.EVENT,
      confidence: ATTRIBUTION_CONFIDENCE.TABLE_LIFETIME,
    });
    assert.equal(found.record.attributes[ProcessAttr.EXECUTABLE_PATH], '/usr/bin/curl');

    const gone = newAttempt();
    assert.equal(rule.attribute(query({ [ProcessAttr.PID]: 42 }, 30_000), gone), undefined);
    assert.equal(gone.failure, AttributionReason.PROCESS_GONE);
    assert.equal(gone.tablePending, false);

    const unknown = newAttempt();
    assert.equal(rule.attribute(query({ [ProcessAttr.PID]: 7 }, 5_000), unknown), undefined);
    assert.equal(unknown.tablePending, true);
    const noWait = newAttempt();
    new PidRule(t, 0).attribute(query({ [ProcessAttr.PID]: 7 }, 5_000), noWait);
    assert.equal(noWait.tablePending, false);

    assert.equal(rule.attribute(query({}, 5_000), newAttempt()), undefined);
  });

  void it('join: one partner attributes, canonical addresses meet, two are ambiguous and do not wait', () => {
    const t = table();
    const buffer = joinBuffer();
    const rule = new JoinRule(buffer, t, 5_000);
    const partner = makeConnection(
      {
        [NetworkAttr.DESTINATION_ADDRESS]: '::ffff:198.51.100.20',
        [NetworkAttr.DESTINATION_PORT]: 80,
        [ProcessAttr.PID]: 42,
      },
      { timeMs: T0 + 1_000, host: HOST },
    );
    rule.remember(partner, HOST, T0 + 1_000, 42);
    const q = query({}, 1_500);
    assert.deepEqual(rule.attribute(q, newAttempt()), {
      method: AttributionMethod.JOIN,
      confidence: ATTRIBUTION_CONFIDENCE.JOIN_DESTINATION,
    });
    assert.equal(q.record.attributes[ProcessAttr.PID], 42);
    assert.equal(q.record.attributes[ProcessAttr.EXECUTABLE_PATH], '/usr/bin/curl', 'filled from the table');

    const none = newAttempt();
    assert.equal(rule.attribute(query({}, 40_000), none), undefined);
    assert.equal(none.joinPending, true, 'a partner may still arrive');

    const other = makeConnection(
      { ...DESTINATION, [ProcessAttr.PID]: 43 },
      { timeMs: T0 + 1_200, host: HOST },
    );
    rule.remember(other, HOST, T0 + 1_200, 43);
    const ambiguous = newAttempt();
    assert.equal(rule.attribute(query({}, 1_500), ambiguous), undefined);
    assert.equal(ambiguous.failure, AttributionReason.AMBIGUOUS);
    assert.equal(ambiguous.candidates, 2);
    assert.equal(ambiguous.joinPending, false);

    assert.equal(
      rule.attribute(query({ [ProcessAttr.PID]: 42 }, 1_500), newAttempt()),
      undefined,
      'has a pid',
    );
  });

  void it('join: candidates of one process share its attributes and address forms, and keep their own values', () => {
    const buffer = joinBuffer(10_000);
    const rule = new JoinRule(buffer, table(), 0);
    const connect = (pid: number, ms: number, command: string, address = '::ffff:198.51.100.20') => {
      const attributes = {
        [NetworkAttr.DESTINATION_ADDRESS]: address,
        [NetworkAttr.DESTINATION_PORT]: 443,
        // Each record its own string, as a decoder makes them.
        [NetworkAttr.SOURCE_ADDRESS]: ['10.0.0.5'].join(''),
        [NetworkAttr.SOURCE_PORT]: 40_000 + ms,
        [ProcessAttr.PID]: pid,
        [ProcessAttr.EXECUTABLE_PATH]: ['/usr/bin/', 'curl'].join(''),
        [ProcessAttr.COMMAND_LINE]: command,
        [ProcessAttr.OWNER]: '',
      };
      rule.remember(makeConnection(attributes, { timeMs: T0 + ms, host: HOST }), HOST, T0 + ms, pid);
    };
    connect(42, 1, 'curl -s a');
    connect(42, 2, 'curl -s a');
    connect(42, 3, 'curl -s b', '198.51.100.21');
    connect(43, 4, 'curl -s a');
    // More processes than the rule keeps shared forms of: it starts again, and values stay each one's own.
    for (let pid = 1_000; pid < 6_000; pid++)
      connect(pid, 5, `worker ${pid}`, `198.51.${pid % 256}.${pid >> 8}`);
    connect(42, 6, 'curl -s b', '198.51.100.21');
    const c = buffer.toJSON().candidates;
    assert.equal(c.length, 5_005);
    assert.equal(c[0].attributes, c[1].attributes, 'one dictionary for the same process attributes');
    assert.deepEqual(c[0].attributes, {
      [ProcessAttr.PID]: 42,
      [ProcessAttr.EXECUTABLE_PATH]: '/usr/bin/curl',
      [ProcessAttr.COMMAND_LINE]: 'curl -s a',
    });
    assert.notEqual(c[1].attributes, c[2].attributes, 'another command line: a dictionary of its own');
    assert.equal(c[2].attributes[ProcessAttr.COMMAND_LINE], 'curl -s b');
    assert.notEqual(c[0].attributes, c[3].attributes, 'another pid');
    assert.equal(c[3].attributes[ProcessAttr.PID], 43);
    assert.deepEqual(
      c.slice(4, 5_004).map((x) => [x.pid, x.attributes[ProcessAttr.COMMAND_LINE], x.destinationAddress]),
      Array.from({ length: 5_000 }, (_, i) => [
        1_000 + i,
        `worker ${1_000 + i}`,
        `198.51.${(1_000 + i) % 256}.${(1_000 + i) >> 8}`,
      ]),
    );
    assert.deepEqual(
      c[5_004].attributes,
      c[2].attributes,
      'the same values after the shared forms started again',
    );
    assert.deepEqual(
      c.map((x) => x.destinationAddress).slice(0, 4),
      ['198.51.100.20', '198.51.100.20', '198.51.100.21', '198.51.100.20'],
      'canonical forms',
    );
    assert.equal(c[0].sourceAddress, '10.0.0.5');
  });

  void it("join: a candidate shares the last one's process attributes only when every one of them is the same", () => {
    const buffer = joinBuffer();
    const rule = new JoinRule(buffer, table(), 0);
    const base: RecordAttributes = {
      [ProcessAttr.PID]: 42,
      [ProcessAttr.PARENT_PID]: 1,
      [ProcessAttr.EXECUTABLE_PATH]: '/usr/bin/curl',
      [ProcessAttr.EXECUTABLE_NAME]: 'curl',
      [ProcessAttr.COMMAND_LINE]: 'curl -s a',
      [ProcessAttr.OWNER]: 'www-data',
      [ProcessAttr.USER_ID]: 33,
      [ProcessAttr.CREATION_TIME]: new Date(T0).toISOString(),
      [ProcessAttr.CONTAINER_ID]: 'c0ffee',
      [ProcessAttr.EXECUTABLE_SHA256]: 'ab'.repeat(32),
      [ProcessAttr.EXECUTABLE_DELETED]: false,
    };
    assert.deepEqual(
      Object.keys(base).sort(),
      [...PROCESS_KEYS].sort(),
      'the test covers every process attribute',
    );
    let ms = 0;
    const remember = (attributes: RecordAttributes) => {
      ms++;
      const record = makeConnection({ ...DESTINATION, ...attributes }, { timeMs: T0 + ms, host: HOST });
      rule.remember(record, HOST, T0 + ms, 42);
      return buffer.toJSON().candidates.at(-1)!.attributes;
    };
    for (const key of PROCESS_KEYS) {
      const before = remember(base);
      assert.equal(remember({ ...base }), before, `${key}: the same values share`);
      const changed = typeof base[key] === 'number' ? 7 : typeof base[key] === 'boolean' ? true : 'other';
      const after = remember({ ...base, [key]: changed });
      assert.notEqual(after, before, `${key}: another value, another dictionary`);
      assert.equal(after[key], changed);
      const without = remember({ ...base, [key]: '' });
      assert.equal(without[key], undefined, `${key}: an empty value is not kept`);
      assert.notEqual(without, after);
    }
  });

  void it('event: a record naming its process is attributed at once, or waits for the exec of a bare comm', () => {
    const rule = new EventRule(table(), undefined, 1_000, true);
    const named = query({ [ProcessAttr.PID]: 42, [ProcessAttr.EXECUTABLE_NAME]: 'curl' }, 5_000);
    assert.deepEqual(rule.attribute(named, newAttempt()), {
      method: AttributionMethod.EVENT,
      confidence: ATTRIBUTION_CONFIDENCE.EVENT,
    });
    assert.equal(named.record.attributes[ProcessAttr.EXECUTABLE_PATH], '/usr/bin/curl');

    const waits = newAttempt();
    assert.equal(
      rule.attribute(query({ [ProcessAttr.PID]: 7, [ProcessAttr.EXECUTABLE_NAME]: 'x' }, 0), waits),
      undefined,
    );
    assert.equal(waits.tablePending, true);

    const unnamed = newAttempt();
    assert.equal(rule.attribute(query({ [ProcessAttr.PID]: 42 }, 5_000), unnamed), undefined);
    assert.deepEqual(unnamed, newAttempt(), 'not its record: the attempt is untouched');
  });

  void it('procfs and socket: nothing without /proc or for a record of another host', () => {
    const procfs = new ProcfsRule(undefined, 1_000);
    const socket = new SocketRule(undefined, undefined, 1_000);
    for (const local of [true, false]) {
      const attempt = newAttempt();
      assert.equal(procfs.attribute(query({ [ProcessAttr.PID]: 42 }, 0, local), attempt), undefined);
      assert.equal(socket.attribute(query({}, 0, local), attempt), undefined);
      assert.deepEqual(attempt, newAttempt());
    }
  });

  void it('procfs: the live process if it started before the record, else the pid is gone (reused)', () => {
    const root = fakeProcfs([{ pid: 100, comm: 'beacon', startTicks: 100, exe: '/tmp/.x/beacon' }]);
    after(() => rmSync(root, { recursive: true, force: true }));
    const reader = new ProcfsReader({ root, passwdPath: '/nonexistent', clockTicksPerSecond: 100 });
    const rule = new ProcfsRule(reader, 1_000);
    const startMs = FAKE_BTIME * 1000 + 1_000;
    const q = (ms: number): RuleQuery => {
      const record = makeConnection({ ...DESTINATION, [ProcessAttr.PID]: 100 }, { timeMs: ms, host: HOST });
      return { record, host: HOST, timeMs: ms, pid: 100, local: true };
    };
    const live = q(startMs + 5_000);
    const found = rule.attribute(live, newAttempt());
    assert.ok(found);
    assert.equal(found.method, AttributionMethod.PROCFS);
    assert.equal(found.confidence, ATTRIBUTION_CONFIDENCE.PROCFS);
    assert.equal(found.live?.pid, 100);
    assert.equal(live.record.attributes[ProcessAttr.EXECUTABLE_PATH], '/tmp/.x/beacon');

    const reused = newAttempt();
    assert.equal(rule.attribute(q(startMs - 60_000), reused), undefined);
    assert.equal(reused.failure, AttributionReason.PROCESS_GONE);
  });
});
