import { conformanceSuite, hostResource } from '@egressguard/core/testing';
import { PipelineRecord } from '@egressguard/schema';

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
