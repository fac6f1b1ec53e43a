import { conformanceSuite, makeConnection } from '@egressguard/core/testing';

import { coverageReportFactory } from '../src/index.ts';

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
