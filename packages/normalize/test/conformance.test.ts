import { conformanceSuite, hostResource, makeConnection } from '@egressguard/core/testing';
import { PipelineRecord } from '@egressguard/schema';

import { coverageReportFactory } from '../src/coverage-report.ts';
import { normalizeFactory } from '../src/index.ts';
import { fixtureLines } from './read-all.ts';

const auditLines = fixtureLines('auditd-events.log').filter((l) => l !== '');
const raw = (line: string) =>
  new PipelineRecord({
    body: line,
    resource: hostResource('conformance-host'),
    instrumentationScope: { name: 'filelog' },
  });

conformanceSuite(normalizeFactory, {
  sampleRecords: () => auditLines.slice(0, 12).map(raw),
  // SYSCALL and SOCKADDR without their EOE: the event stays open until shutdown flushes it.
  heldRecords: () => auditLines.slice(9, 11).map(raw),
});

conformanceSuite(coverageReportFactory, {
  sampleRecords: () => [
    makeConnection({
      'egressguard.source.format': 'auditd',
      'process.pid': 1,
      'destination.address': '192.0.2.1',
      'destination.port': 80,
    }),
  ],
  heldRecords: () => [
    makeConnection({
      'egressguard.source.format': 'zeek.conn',
      'destination.address': '192.0.2.1',
      'destination.port': 80,
    }),
  ],
});
