import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

import type { ProcessorSnapshot } from '@egressguard/core';
import { makeConnection } from '@egressguard/core/testing';

import { coverageReportFactory } from '../src/index.ts';

const FIXTURE = path.join(import.meta.dirname, 'fixtures', 'coverage-report-state-v1.json');
const T0 = 1_764_460_800_000;
const create = () =>
  coverageReportFactory.create(
    coverageReportFactory.config.parse({ period_ms: 60_000, allowed_lateness_ms: 10_000 }),
    { id: 'coverage_report', now: () => 0 },
  );
const fixture = () => JSON.parse(readFileSync(FIXTURE, 'utf8')) as ProcessorSnapshot;

describe('coverage_report state', () => {
  it('restores a snapshot written by the released version (version 1) and reports its periods', async () => {
    const p = create();
    p.restore(fixture());
    // Saved again as version 2: the same counts, each entry with no unreadable lines.
    const v1 = fixture() as unknown as {
      periods: { start: number; entries: Record<string, unknown>[] }[];
    } & Record<string, unknown>;
    assert.deepEqual(JSON.parse(JSON.stringify(p.snapshot())), {
      ...v1,
      version: 2,
      periods: v1.periods.map((q) => ({ ...q, entries: q.entries.map((e) => ({ ...e, malformed: 0 })) })),
    });
    // One more auditd connection in the first period, then the watermark passes it.
    const out = await p.process([
      makeConnection(
        { 'egressguard.source.format': 'auditd', 'process.pid': 9, 'destination.address': '192.0.2.1' },
        { timeMs: T0 + 5_000, host: 'web-01' },
      ),
      makeConnection({ 'egressguard.source.format': 'auditd' }, { timeMs: T0 + 80_000, host: 'web-01' }),
    ]);
    const reports = out.filter((r) => r.eventName === 'egressguard.coverage');
    assert.deepEqual(
      reports.map((r) => [
        r.resource.attributes['host.name'],
        r.attributes['egressguard.source.format'],
        r.attributes['egressguard.coverage.connections'],
        r.attributes['egressguard.coverage.with_process'],
        r.attributes['egressguard.coverage.with_bytes'],
        r.attributes['egressguard.coverage.with_http'],
      ]),
      [
        ['web-01', 'auditd', 3, 3, 1, 0],
        ['web-02', 'zeek.http', 1, 0, 1, 1],
      ],
    );
  });

  it('rejects a snapshot with a wrong key, naming the stage and the key', () => {
    const bad = JSON.parse(
      readFileSync(FIXTURE, 'utf8').replace('"connections": 2', '"connections": "two"'),
    ) as ProcessorSnapshot;
    assert.throws(() => create().restore(bad), /coverage_report: .*periods\[0\]\.entries\[0\]\.connections/);
  });
});
