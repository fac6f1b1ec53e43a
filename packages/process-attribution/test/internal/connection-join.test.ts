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

  void it('indexes candidates at the first match after they came: those gone before it are never found', () => {
    const b = buffer(3);
    b.add(candidate(1, 0, 40_001));
    b.add(candidate(2, 1_000, 40_002));
    b.add(candidate(3, 2_000, 40_003));
    b.add(candidate(4, 3_000, 40_004)); // evicts pid 1 before any match indexed it
    assert.equal(b.evictions, 1);
    assert.equal(b.match(query(0, 40_001)).kind, 'none', 'the evicted candidate is not found');
    assert.deepEqual(b.match(query(1_000, 40_002)), {
      kind: 'match',
      fiveTuple: true,
      pid: 2,
      attributes: { 'process.pid': 2 },
    });
    // Indexed now; later additions are indexed at the next match, and expired ones leave the indexes.
    b.add(candidate(5, 12_500, 40_005));
    assert.equal(b.evictions, 2, 'pid 2, indexed, evicted by the bound');
    b.observe('h', 12_500);
    assert.equal(b.expire(), 1, 'pid 3 expired (older than 10 s)');
    assert.equal(b.match(query(1_000, 40_002)).kind, 'none', 'an evicted, indexed candidate is gone');
    assert.equal(b.match(query(2_000, 40_003)).kind, 'none', 'an expired, indexed candidate is gone');
    assert.equal(b.match(query(3_000, 40_004)).kind, 'match');
    assert.equal(b.match(query(12_400, 40_005)).kind, 'match', 'a candidate added after the first match');
    assert.equal(b.size, 2);
  });
});
