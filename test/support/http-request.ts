/** A connection record for chain tests: one HTTP request of a process on host `web-1`. */
import { makeConnection } from '@egressguard/core/testing';
import { ConnectionAttr, NetworkAttr, ProcessAttr, type PipelineRecord } from '@egressguard/schema';

/** One HTTP request of `path`: a short connection with a tiny answer, to an external address, at `timeMs`. */
export function httpRequest(path: string, timeMs: number): PipelineRecord {
  return makeConnection(
    {
      [ProcessAttr.PID]: path.length,
      [ProcessAttr.EXECUTABLE_PATH]: path,
      [ProcessAttr.USER_ID]: 0,
      [NetworkAttr.DESTINATION_ADDRESS]: '198.51.100.20',
      [NetworkAttr.DESTINATION_PORT]: 80,
      [ConnectionAttr.OUTCOME]: 'completed',
      [ConnectionAttr.BYTES_SENT]: 180,
      [ConnectionAttr.BYTES_RECEIVED]: 120,
    },
    { timeMs: Math.round(timeMs), host: 'web-1' },
  );
}
