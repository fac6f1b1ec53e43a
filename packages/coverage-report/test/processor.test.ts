import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Pipeline } from '@egressguard/core';
import {
  assertRecordsConserved,
  hostResource,
  makeConnection,
  makeProcessExec,
} from '@egressguard/core/testing';
import { PipelineRecord, msToHrTime } from '@egressguard/schema';

import { coverageReportFactory } from '../src/index.ts';

const T0 = 1_764_460_800_000;
const create = (config: unknown = {}) =>
  coverageReportFactory.create(coverageReportFactory.config.parse(config), {
    id: 'coverage_report',
    now: () => 0,
  });

const conn = (timeMs: number, host: string, format: string, extra: Record<string, string | number> = {}) =>
  makeConnection(
    {
      'egressguard.source.format': format,
      'destination.address': '192.0.2.1',
      'destination.port': 80,
      ...extra,
    },
    { timeMs, host },
  );

describe('coverage_report processor', () => {
  it('passes records through untouched and emits one report per host and format when a period is over', async () => {
    const p = create({ period_ms: 60_000, allowed_lateness_ms: 10_000 });
    const batch = [
      conn(T0 + 1_000, 'web-01', 'auditd', { 'process.pid': 4 }),
      conn(T0 + 2_000, 'web-01', 'auditd'),
      conn(T0 + 3_000, 'web-01', 'tetragon', { 'process.pid': 5, 'egressguard.connection.bytes_sent': 10 }),
      makeProcessExec({ 'process.pid': 4 }, { timeMs: T0 + 4_000, host: 'web-01' }),
    ];
    const before = batch.map((r) => JSON.stringify(r.attributes));
    const out1 = await p.process(batch);
    assert.deepEqual(out1, batch, 'nothing is due yet');
    assert.deepEqual(
      batch.map((r) => JSON.stringify(r.attributes)),
      before,
    );
    // Past the period end plus the allowed lateness: the first period is reported.
    const late = conn(T0 + 71_000, 'web-01', 'auditd');
    const out2 = await p.process([late]);
    assert.equal(out2[0], late);
    const reports = out2
      .slice(1)
      .map((r) => ({ host: r.resource.attributes['host.name'], time: r.hrTime[0], ...r.attributes }));
    assert.deepEqual(reports, [
      {
        host: 'web-01',
        time: (T0 + 60_000) / 1000,
        'egressguard.source.format': 'auditd',
        'egressguard.coverage.period.start_unix_ms': T0,
        'egressguard.coverage.period.end_unix_ms': T0 + 60_000,
        'egressguard.coverage.connections': 2,
        'egressguard.coverage.with_process': 1,
        'egressguard.coverage.with_bytes': 0,
        'egressguard.coverage.with_http': 0,
        'egressguard.coverage.malformed': 0,
      },
      {
        host: 'web-01',
        time: (T0 + 60_000) / 1000,
        'egressguard.source.format': 'tetragon',
        'egressguard.coverage.period.start_unix_ms': T0,
        'egressguard.coverage.period.end_unix_ms': T0 + 60_000,
        'egressguard.coverage.connections': 1,
        'egressguard.coverage.with_process': 1,
        'egressguard.coverage.with_bytes': 1,
        'egressguard.coverage.with_http': 0,
        'egressguard.coverage.malformed': 0,
      },
    ]);
    assert.ok(out2.slice(1).every((r) => r.eventName === 'egressguard.coverage'));
    // A record for the reported period is counted late, not lost silently.
    await p.process([conn(T0 + 5_000, 'web-01', 'auditd')]);
    assert.equal(p.counters().events.late, 1);
    // Flush reports the open period.
    const flushed = await p.shutdown();
    assert.equal(flushed.length, 1);
    assert.equal(flushed[0].attributes['egressguard.coverage.connections'], 1);
    assert.equal(flushed[0].attributes['egressguard.coverage.period.start_unix_ms'], T0 + 60_000);
  });

  it('bounds keys per period with an overflow bucket', async () => {
    const p = create({ max_keys: 1 });
    await p.process([
      conn(T0, 'a', 'auditd'),
      conn(T0, 'b', 'auditd'),
      conn(T0, 'b', 'auditd'),
      conn(T0, 'c', 'falco'),
      conn(T0, 'a', 'auditd'),
    ]);
    const out = await p.flush();
    assert.deepEqual(
      out.map((r) => [r.resource.attributes['host.name'], r.attributes['egressguard.coverage.connections']]),
      [
        ['a', 2],
        ['(overflow)', 3],
      ],
    );
    assert.equal(p.counters().events.overflow, 3, 'every connection the overflow entry takes in is counted');
  });

  it('counts runs and alternations of hosts and formats, within a batch, across batches and periods, each to its own entry', async () => {
    const p = create({ period_ms: 60_000, allowed_lateness_ms: 0 });
    const out = [
      ...(await p.process([
        conn(T0, 'a', 'auditd'),
        conn(T0 + 1, 'a', 'auditd'),
        conn(T0 + 2, 'a', 'zeek.conn'),
        conn(T0 + 3, 'b', 'auditd'),
        conn(T0 + 4, 'a', 'auditd'),
      ])),
      ...(await p.process([conn(T0 + 5, 'a', 'auditd'), conn(T0 + 60_000, 'a', 'auditd')])),
      ...(await p.process([conn(T0 + 60_001, 'a', 'auditd')])),
      ...(await p.flush()),
    ];
    const reports = out
      .filter((r) => r.eventName === 'egressguard.coverage')
      .map((r) => [
        r.attributes['egressguard.coverage.period.start_unix_ms'],
        r.resource.attributes['host.name'],
        r.attributes['egressguard.source.format'],
        r.attributes['egressguard.coverage.connections'],
      ]);
    assert.deepEqual(reports, [
      [T0, 'a', 'auditd', 4],
      [T0, 'a', 'zeek.conn', 1],
      [T0, 'b', 'auditd', 1],
      [T0 + 60_000, 'a', 'auditd', 2],
    ]);
  });

  it('takes in unreadable-input records: their counts become the malformed figure of their host and format', async () => {
    const p = create({ period_ms: 60_000, allowed_lateness_ms: 0 });
    const pipeline = Pipeline.of([p]);
    const input = [
      conn(T0 + 1_000, 'web-01', 'auditd'),
      unreadableInput('web-01', 'auditd', 3, T0 + 500_000),
      unreadableInput('web-02', 'tcplife', 2),
      unreadableInput('web-01', 'auditd', 4),
      conn(T0 + 61_000, 'web-01', 'auditd'),
    ];
    const out = await pipeline.process(input);
    // Not passed on: what they said is in the report. Dropped, counted, every record accounted for.
    assert.equal(out.filter((r) => r.eventName === 'egressguard.unreadable_input').length, 0);
    assert.equal(p.counters().dropped.unreadable_input, 3);
    assertRecordsConserved(pipeline);
    const [balance] = Object.values(pipeline.balance());
    assert.deepEqual([balance.recordsIn, balance.dropped, balance.lost], [input.length, 3, 0]);
    // Counted in the period of the latest connection seen (they have no event time of their own).
    assert.deepEqual(
      out
        .filter((r) => r.eventName === 'egressguard.coverage')
        .map((r) => [
          r.resource.attributes['host.name'],
          r.attributes['egressguard.source.format'],
          r.attributes['egressguard.coverage.period.start_unix_ms'],
          r.attributes['egressguard.coverage.connections'],
          r.attributes['egressguard.coverage.malformed'],
        ]),
      [
        ['web-01', 'auditd', T0, 1, 7],
        ['web-02', 'tcplife', T0, 0, 2],
      ],
    );
  });

  it('before any connection, counts unreadable lines in the period of their observed time', async () => {
    const p = create({ period_ms: 60_000 });
    await p.process([unreadableInput('web-01', 'zeek.conn', 5, T0 + 70_000)]);
    const reports = await p.shutdown();
    assert.deepEqual(
      reports.map((r) => [
        r.attributes['egressguard.coverage.period.start_unix_ms'],
        r.attributes['egressguard.coverage.connections'],
        r.attributes['egressguard.coverage.malformed'],
      ]),
      [[T0 + 60_000, 0, 5]],
    );
  });
});

function unreadableInput(host: string, format: string, count: number, observedMs?: number): PipelineRecord {
  return new PipelineRecord({
    ...(observedMs === undefined ? {} : { hrTimeObserved: msToHrTime(observedMs) }),
    eventName: 'egressguard.unreadable_input',
    attributes: { 'egressguard.source.format': format, 'egressguard.unreadable_input.count': count },
    resource: hostResource(host),
    instrumentationScope: { name: '@egressguard/normalize' },
  });
}
