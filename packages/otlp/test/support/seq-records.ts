/**
 * Numbered records for the queue tests: `test.seq` says where each one belongs, so that tests check order and
 * completeness of what a backend received.
 */
import { EventName, PipelineRecord, createResource, getInt } from '@egressguard/schema';

const RESOURCE = createResource({ 'host.name': 'web-01' });
const SCOPE = { name: 'egressguard.test' };

/** `n` connection records numbered from `first`. */
export function seqRecords(first: number, n: number): PipelineRecord[] {
  const out: PipelineRecord[] = [];
  for (let i = 0; i < n; i++) {
    const ms = 1_764_460_800_000 + (first + i) * 10;
    out.push(
      new PipelineRecord({
        hrTime: [Math.floor(ms / 1000), (ms % 1000) * 1e6],
        hrTimeObserved: [Math.floor(ms / 1000), (ms % 1000) * 1e6],
        eventName: EventName.CONNECTION,
        attributes: {
          'test.seq': first + i,
          'process.executable.path': '/tmp/.x/kworkerd',
          'destination.address': '203.0.113.7',
          'destination.port': 80,
        },
        resource: RESOURCE,
        instrumentationScope: SCOPE,
      }),
    );
  }
  return out;
}

/** The `test.seq` of each record, in order. */
export function seqs(records: readonly PipelineRecord[]): number[] {
  return records.map((r) => getInt(r.attributes, 'test.seq')!);
}

/** 0, 1, …, n − 1. */
export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
