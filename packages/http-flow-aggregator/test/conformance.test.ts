import { conformanceSuite, makeConnection, makeRecord } from '@egressguard/core/testing';
import { ConnectionAttr, NetworkAttr, ProcessAttr } from '@egressguard/schema';

import { httpFlowAggregatorFactory } from '../src/index.ts';

const T = 1_764_460_800_000;

function connection(timeMs: number, exe: string, port: number) {
  return makeConnection(
    {
      [ProcessAttr.PID]: 4242,
      [ProcessAttr.EXECUTABLE_PATH]: exe,
      [NetworkAttr.DESTINATION_ADDRESS]: '93.184.215.14',
      [NetworkAttr.DESTINATION_PORT]: port,
      [ConnectionAttr.OUTCOME]: 'completed',
      [ConnectionAttr.BYTES_SENT]: 300,
      [ConnectionAttr.BYTES_RECEIVED]: 120,
    },
    { timeMs },
  );
}

const sampleRecords = () => [
  connection(T + 1_000, '/usr/bin/curl', 443),
  connection(T + 2_000, '/tmp/.x/kworkerd', 80),
  connection(T + 3_000, '/usr/bin/ssh', 22),
  makeRecord('egressguard.process.exec', { [ProcessAttr.PID]: 1 }, { timeMs: T }),
];
const heldRecords = () => [connection(T + 1_000, '/usr/bin/curl', 443)];

conformanceSuite(httpFlowAggregatorFactory, { sampleRecords, heldRecords });

// Aggregated connections dropped: each one is counted as aggregated or too_late.
conformanceSuite(httpFlowAggregatorFactory, {
  label: 'connections dropped',
  config: { connections: 'drop' },
  sampleRecords,
  heldRecords,
});
