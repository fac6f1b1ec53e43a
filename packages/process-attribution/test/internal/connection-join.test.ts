import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ConnectionJoinBuffer, type JoinCandidate } from '../../src/internal/connection-join.ts';

const buffer = (maxBuffered = 100) =>
  new ConnectionJoinBuffer({ toleranceMs: 1_000, bufferMs: 10_000, maxBuffered, scope: 'host' });
const candidate = (pid: number, timeMs: number, sourcePort?: number): JoinCandidate => ({
  host: 'h',
  timeMs,
  pid,
  destinationAddress: '198.51.100.20',
  destinationPort: 80,
  attributes: { 'process.pid': pid },
  ...(sourcePort !== undefined ? { sourceAddress: '10.0.0.5', sourcePort } : {}),
});
const query = (timeMs: number, sourcePort?: number) => ({
  host: 'h',
  timeMs,
  destinationAddress: '198.51.100.20',
  destinationPort: 80,
  ...(sourcePort !== undefined ? { sourceAddress: '10.0.0.5', sourcePort } : {}),
});

void describe('ConnectionJoinBuffer', () => {
  void it('rules out candidates that know a different source port', () => {
    const b = buffer();
    b.add(candidate(1, 0, 40_000));
    b.add(candidate(2, 0));
    assert.deepEqual(b.match(query(100, 40_001)), {
      kind: 'match',
      fiveTuple: false,
      pid: 2,
      attributes: { 'process.pid': 2 },
    });
    assert.equal(b.match(query(100, 40_000)).kind, 'match');
    assert.deepEqual(b.match(query(100)), { kind: 'ambiguous', fiveTuple: false, candidates: 2 });
  });

  void it('expires candidates by event time and evicts past the bound, counting it', () => {
    const b = buffer(2);
    b.add(candidate(1, 0));
    b.add(candidate(2, 5_000));
    b.add(candidate(3, 6_000));
    assert.equal(b.evictions, 1);
    b.observe('h', 15_500);
    assert.equal(b.expire(), 1);
    assert.equal(b.size, 1);
    assert.equal(b.match(query(4_500)).kind, 'none', 'pid 2 expired; pid 3 is out of tolerance');
  });
});
