import { conformanceSuite, makeConnection, makeProcessExec } from '@egressguard/core/testing';
import { NetworkAttr, ProcessAttr, ProvenanceAttr } from '@egressguard/schema';

import { processAttributionFactory } from '../src/index.ts';

const T = 1_764_460_800_000;

conformanceSuite(processAttributionFactory, {
  // Within one batch the processor learns every exec and every connection with a pid before it attributes, so an
  // exec may follow its connection there (and a process may start up to process_table.lifetime_slack_ms after
  // it); across batches a record waits for its exec or partner only for join.wait_ms of event time, and only when
  // the sensor named no executable path. Input in event-time order, each exec ahead of connections within the
  // slack, is what makes both the same.
  propertyInputOrder: 'event_time',
  propertyExecLeadMs: 1_000,
  sampleRecords: () => [
    makeProcessExec(
      { [ProcessAttr.PID]: 812, [ProcessAttr.EXECUTABLE_PATH]: '/usr/bin/curl' },
      { timeMs: T - 1_000 },
    ),
    makeConnection(
      {
        [ProvenanceAttr.SOURCE_FORMAT]: 'auditd',
        [ProcessAttr.PID]: 812,
        [NetworkAttr.DESTINATION_ADDRESS]: '198.51.100.20',
        [NetworkAttr.DESTINATION_PORT]: 80,
      },
      { timeMs: T },
    ),
    makeConnection(
      {
        [ProvenanceAttr.SOURCE_FORMAT]: 'zeek.conn',
        [NetworkAttr.SOURCE_ADDRESS]: '10.0.0.5',
        [NetworkAttr.SOURCE_PORT]: 40_100,
        [NetworkAttr.DESTINATION_ADDRESS]: '198.51.100.20',
        [NetworkAttr.DESTINATION_PORT]: 80,
      },
      { timeMs: T + 200 },
    ),
  ],
  // A Zeek record with no partner yet waits for one; shutdown must release it.
  heldRecords: () => [
    makeConnection(
      {
        [ProvenanceAttr.SOURCE_FORMAT]: 'zeek.conn',
        [NetworkAttr.SOURCE_ADDRESS]: '10.0.0.5',
        [NetworkAttr.SOURCE_PORT]: 40_200,
        [NetworkAttr.DESTINATION_ADDRESS]: '192.0.2.9',
        [NetworkAttr.DESTINATION_PORT]: 8080,
      },
      { timeMs: T },
    ),
  ],
});
