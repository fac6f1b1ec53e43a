import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { makeConnection, makeProcessExec } from '@egressguard/core/testing';

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
    await p.process([conn(T0, 'a', 'auditd'), conn(T0, 'b', 'auditd'), conn(T0, 'c', 'falco')]);
    const out = await p.flush();
    assert.deepEqual(
      out.map((r) => [r.resource.attributes['host.name'], r.attributes['egressguard.coverage.connections']]),
      [
        ['a', 1],
        ['(overflow)', 2],
      ],
    );
    assert.equal(p.counters().events.overflow, 2);
  });
});
