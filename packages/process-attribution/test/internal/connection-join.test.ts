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

  void it('holds what a plain list of candidates would through growth, wrap-around, eviction, expiry and restore', () => {
    // A model of the buffer: candidates oldest first, the same bound and expiry, matched by the same rules.
    const options = { toleranceMs: 1_000, bufferMs: 20_000, maxBuffered: 700, scope: 'host' as const };
    const b = new ConnectionJoinBuffer(options);
    let model: JoinCandidate[] = [];
    const watermarks = new Map<string, number>();
    let evictions = 0;
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    const hosts = ['h1', 'h2'];
    const addresses = ['198.51.100.20', '198.51.100.21', '2001:db8::1'];
    const shared = [{ 'process.pid': 1 }, { 'process.pid': 2, 'process.executable.path': '/usr/bin/curl' }];
    const modelMatch = (q: ReturnType<typeof query> & { host: string }) => {
      const near = model.filter(
        (c) => c.host === q.host && Math.abs(c.timeMs - q.timeMs) <= options.toleranceMs,
      );
      const sameDestination = near.filter(
        (c) => c.destinationAddress === q.destinationAddress && c.destinationPort === q.destinationPort,
      );
      const exact = sameDestination.filter(
        (c) =>
          q.sourcePort !== undefined && c.sourcePort === q.sourcePort && c.sourceAddress === q.sourceAddress,
      );
      const loose = sameDestination.filter(
        (c) =>
          !(c.sourcePort !== undefined && q.sourcePort !== undefined) &&
          !(
            c.sourceAddress !== undefined &&
            q.sourceAddress !== undefined &&
            c.sourceAddress !== q.sourceAddress
          ),
      );
      const chosen = exact.length > 0 ? exact : loose;
      if (chosen.length === 0) return { kind: 'none' };
      const pids = new Set(chosen.map((c) => c.pid));
      if (pids.size > 1) return { kind: 'ambiguous', fiveTuple: exact.length > 0, candidates: pids.size };
      const attributes: Record<string, unknown> = {};
      for (const c of chosen) for (const [k, v] of Object.entries(c.attributes)) attributes[k] ??= v;
      return { kind: 'match', fiveTuple: exact.length > 0, pid: chosen[0].pid, attributes };
    };
    let time = 0;
    let matches = 0;
    for (let step = 0; step < 6_000; step++) {
      const op = random(100);
      const host = hosts[random(2)];
      if (op < 70) {
        time += random(40);
        const withPort = random(3) > 0;
        const c: JoinCandidate = {
          host,
          timeMs: time,
          destinationAddress: addresses[random(3)],
          destinationPort: 80 + random(2),
          pid: 1 + random(3),
          attributes: shared[random(2)],
          ...(withPort ? { sourceAddress: '10.0.0.5', sourcePort: 40_000 + random(4) } : {}),
        };
        b.add(c);
        b.observe(host, time);
        if (model.length >= options.maxBuffered) {
          model.shift();
          evictions++;
        }
        model.push(c);
        if (time > (watermarks.get(host) ?? -Infinity)) watermarks.set(host, time);
      } else if (op < 80) {
        const removed = b.expire();
        const before = model.length;
        // The buffer expires from the oldest and stops at the first candidate still in its time.
        let i = 0;
        while (
          i < model.length &&
          model[i].timeMs + options.bufferMs < (watermarks.get(model[i].host) ?? -Infinity)
        )
          i++;
        model = model.slice(i);
        assert.equal(removed, before - model.length, `expired at step ${step}`);
      } else if (op < 98) {
        const withPort = random(2) === 0;
        const q = {
          host,
          timeMs: time - random(3_000),
          destinationAddress: addresses[random(3)],
          destinationPort: 80 + random(2),
          ...(withPort ? { sourceAddress: '10.0.0.5', sourcePort: 40_000 + random(4) } : {}),
        };
        assert.deepEqual(b.match(q), modelMatch(q), `match at step ${step}`);
        matches++;
      } else {
        const snapshot = JSON.parse(JSON.stringify(b.toJSON())) as ReturnType<ConnectionJoinBuffer['toJSON']>;
        assert.deepEqual(snapshot.candidates, JSON.parse(JSON.stringify(model)), `snapshot at step ${step}`);
        b.restore(snapshot);
      }
      assert.equal(b.size, model.length);
      assert.equal(b.evictions, evictions);
    }
    assert.ok(evictions > 0 && matches > 500, `the run evicted (${evictions}) and matched (${matches})`);
  });
});
