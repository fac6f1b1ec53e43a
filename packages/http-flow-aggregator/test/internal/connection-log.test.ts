/**
 * A flow that logs its connections gives the very aggregate that adding them as they came gives: same counters, bytes
 * kind, times, distinct destinations, byte sample (with its random state) and interval statistics, to the bit.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Outcome, type RecordAttributes } from '@egressguard/schema';

import { ConnectionFacts } from '../../src/internal/connection-facts.ts';
import {
  ConnectionLog,
  EMPTY_LOG_REF,
  MAX_LOGGED_CONNECTIONS,
  fitsLog,
  LogFormat,
  loggedCount,
} from '../../src/internal/connection-log.ts';
import { hash32 } from '../../src/internal/distinct-counter.ts';
import { FlowAggregate, nextBytesKind, type FlowBounds } from '../../src/internal/flow-aggregate.ts';
import { Flow, type WindowGroup } from '../../src/internal/flow-state.ts';
import { seeded } from '../stream.ts';

const T = 1_764_460_800_000;
/** The logs of ten-minute windows. */
const format = () => new LogFormat(600_000);
const OUTCOMES = [Outcome.COMPLETED, Outcome.FAILED, Outcome.OPEN, Outcome.UNKNOWN];

/** Random connection facts; `loggable` keeps them within what a log holds. */
function randomFacts(rnd: () => number, loggable: boolean): ConnectionFacts {
  const f = new ConnectionFacts();
  f.timeMs = T + rnd() * 600_000;
  if (rnd() < 0.3) f.timeMs = Math.floor(f.timeMs);
  f.http = rnd() < 0.2 ? 'real' : 'inferred';
  f.outcome = OUTCOMES[Math.floor(rnd() * 4)];
  f.hasBytes = rnd() < 0.8;
  const big = !loggable && rnd() < 0.3;
  f.sent = f.hasBytes ? (big ? 2 ** 26 + Math.floor(rnd() * 2 ** 30) : Math.floor(rnd() * 2 ** 26)) : 0;
  f.received = f.hasBytes ? Math.floor(rnd() * (rnd() < 0.5 ? 2 ** 27 : 50_000)) : 0;
  f.bytesKind = f.hasBytes ? [undefined, 'acked', 'acked', 'wire'][Math.floor(rnd() * 4)] : undefined;
  const d = rnd();
  if (d < 0.15) {
    f.destination = -1;
    f.unpackedDestination = undefined;
    f.addressClass = undefined;
  } else if (!loggable && d < 0.35) {
    f.destination = -1;
    f.unpackedDestination = `[2001:db8::${Math.floor(rnd() * 20)}]:443`;
    f.addressClass = rnd() < 0.5 ? 'external' : undefined;
  } else {
    // A dotted quad and port, packed: the address times 2^17 plus the port plus one.
    f.destination = Math.floor(rnd() * 40) * 2 ** 17 + (rnd() < 0.9 ? 444 : 0);
    f.unpackedDestination = undefined;
    f.addressClass = rnd() < 0.4 ? 'internal' : 'external';
  }
  return f;
}

function attributesOf(agg: FlowAggregate): RecordAttributes {
  const out: RecordAttributes = {};
  agg.writeAttributes(out);
  return out;
}

const BOUNDS: FlowBounds[] = [
  { maxExactDestinations: 256, maxByteSamples: 256, maxStartTimes: 1_024 },
  { maxExactDestinations: 3, maxByteSamples: 4, maxStartTimes: 5 },
  { maxExactDestinations: 1, maxByteSamples: 2, maxStartTimes: 2 },
];

void describe('connection log', () => {
  void it('replayed, gives the aggregate its connections give when added as they came', () => {
    const rnd = seeded(11);
    for (const bounds of BOUNDS) {
      for (let n = 1; n <= MAX_LOGGED_CONNECTIONS; n += n < 8 ? 1 : 7) {
        const seed = Math.floor(rnd() * 2 ** 32);
        const direct = new FlowAggregate(bounds, seed);
        const log = new ConnectionLog(format());
        let ref = EMPTY_LOG_REF;
        let kind: string | undefined;
        for (let i = 0; i < n; i++) {
          const f = randomFacts(rnd, true);
          assert.ok(fitsLog(f));
          direct.add(f);
          ref = log.append(ref, f, T);
          assert.equal(loggedCount(ref), i + 1);
          if (f.hasBytes) kind = nextBytesKind(kind, f.bytesKind);
        }
        assert.equal(log.bytesKind(ref), kind);
        const replayed = new FlowAggregate(bounds, seed);
        log.replay(ref, T, replayed, new ConnectionFacts());
        assert.deepEqual(replayed.toJSON(), direct.toJSON(), `${n} connections`);
        assert.deepEqual(attributesOf(replayed), attributesOf(direct), `${n} connections`);
      }
    }
  });

  void it('keeps the entries of many flows apart, interleaved as they came, across its blocks', () => {
    const rnd = seeded(23);
    const bounds = BOUNDS[0];
    const log = new ConnectionLog(format());
    const flows = Array.from({ length: 300 }, (_, i) => ({
      direct: new FlowAggregate(bounds, i),
      ref: EMPTY_LOG_REF,
      kind: undefined as string | undefined,
    }));
    // Far past one block of entries, one connection at a time to a random flow, as a window group's come.
    for (let i = 0; i < 5_000; i++) {
      const flow = flows[Math.floor(rnd() * flows.length)];
      const f = randomFacts(rnd, true);
      const ref = log.append(flow.ref, f, T);
      if (ref < 0) {
        // A flow at its most logged connections: the log refuses, as it must.
        assert.equal(loggedCount(flow.ref), MAX_LOGGED_CONNECTIONS);
        continue;
      }
      flow.direct.add(f);
      flow.ref = ref;
      if (f.hasBytes) flow.kind = nextBytesKind(flow.kind, f.bytesKind);
    }
    assert.ok(log.entries > 2_048, `${log.entries} entries`);
    flows.forEach((flow, i) => {
      assert.equal(log.bytesKind(flow.ref), flow.kind);
      const replayed = new FlowAggregate(bounds, i);
      log.replay(flow.ref, T, replayed, new ConnectionFacts());
      assert.deepEqual(replayed.toJSON(), flow.direct.toJSON(), `flow ${i}`);
    });
  });

  void it('refuses a connection it cannot hold, leaving the flow as it was', () => {
    const log = new ConnectionLog(format());
    const f = randomFacts(seeded(3), true);
    f.unpackedDestination = '[::1]:443';
    assert.equal(log.append(EMPTY_LOG_REF, f, T), -1);
    assert.equal(log.entries, 0);
  });

  void it('holds a time only as a whole number of 2^-12 ms steps into its window, and gives it back to the bit', () => {
    const rnd = seeded(17);
    const log = new ConnectionLog(format());
    const f = randomFacts(rnd, true);
    let ref = EMPTY_LOG_REF;
    const times: number[] = [];
    // Nanosecond times as a decoder makes them from OTLP's fixed64, the first and last instants of the window.
    for (const t of [T, T + 599_999.999999, T + 0.000001, T + 123_456.789012345]) {
      f.timeMs = t;
      ref = log.append(ref, f, T);
      assert.ok(ref >= 0, `${t} logged`);
      times.push(t);
    }
    const seenTimes: number[] = [];
    const sink = {
      add: (facts: ConnectionFacts) => seenTimes.push(facts.timeMs),
    } as unknown as FlowAggregate;
    log.replay(ref, T, sink, new ConnectionFacts());
    assert.deepEqual(seenTimes, times);
    // Ten minutes take 32 bits of steps: times before the start or 2^20 ms after it do not fit.
    for (const t of [T - 1, T + 2 ** 20, Number.NaN]) {
      f.timeMs = t;
      assert.equal(log.append(ref, f, T), -1, `${t} does not fit`);
    }
    // Before 2004 doubles are finer than the steps: a time between two steps is refused, a whole millisecond is not.
    const early = new ConnectionLog(format());
    f.timeMs = 1_000.1;
    assert.equal(early.append(EMPTY_LOG_REF, f, 1_000), -1);
    f.timeMs = 2_000;
    assert.equal(loggedCount(early.append(EMPTY_LOG_REF, f, 1_000)), 1);
    assert.equal(log.entries, 4);
  });

  void it('gives a long window fewer entries: the time takes the bits of its length, the link the rest', () => {
    assert.equal(new LogFormat(3_600_000).maxEntries, 2 ** 19 - 1);
    assert.equal(new LogFormat(86_400_000).maxEntries, 2 ** 14 - 1);
    // Ten minutes leave 21 bits to the link; the log reference's bound is lower.
    assert.equal(format().maxEntries, 2 ** 20);
    assert.equal(new LogFormat(2 ** 41).maxEntries, 0);
  });

  void it('keeps seven bytes kinds apart, and refuses an eighth', () => {
    const log = new ConnectionLog(format());
    const f = new ConnectionFacts();
    f.timeMs = T;
    f.hasBytes = true;
    const refs: number[] = [];
    // Six kinds of one connection each, then 'mixed': a flow whose two connections differ.
    for (const kind of ['acked', 'wire', undefined, 'payload', 'estimated', 'tls']) {
      f.bytesKind = kind;
      refs.push(log.append(EMPTY_LOG_REF, f, T));
    }
    f.bytesKind = 'acked';
    const mixed = log.append(refs[1], f, T);
    assert.deepEqual(
      [...refs, mixed].map((ref) => log.bytesKind(ref)),
      ['acked', 'wire', '', 'payload', 'estimated', 'tls', 'mixed'],
    );
    f.bytesKind = 'another';
    assert.equal(log.append(EMPTY_LOG_REF, f, T), -1, 'an eighth kind');
    f.hasBytes = false;
    f.bytesKind = undefined;
    const noBytes = log.append(EMPTY_LOG_REF, f, T);
    assert.equal(log.bytesKind(noBytes), undefined, 'no connection with bytes yet');
    assert.equal(
      log.bytesKind(log.append(refs[0], f, T)),
      'acked',
      'a connection without bytes keeps the kind',
    );
  });

  void it('holds what fits its numbers, exactly: not a destination that is text, nor bytes past 2^26 sent or 2^27 received', () => {
    const f = new ConnectionFacts();
    f.hasBytes = true;
    f.sent = 2 ** 26 - 1;
    f.received = 2 ** 27 - 1;
    assert.equal(fitsLog(f), true);
    f.sent = 2 ** 26;
    assert.equal(fitsLog(f), false);
    f.sent = 0;
    f.received = 2 ** 27;
    assert.equal(fitsLog(f), false);
    f.received = 0;
    f.unpackedDestination = '[::1]:443';
    assert.equal(fitsLog(f), false);
  });
});

void describe('Flow', () => {
  const group: WindowGroup = {
    host: 'web-1',
    start: T,
    end: T + 600_000,
    due: false,
    flows: new Map(),
    overflow: undefined,
    log: new ConnectionLog(format()),
  };
  const resource = { attributes: {} } as unknown as Flow['resource'];

  void it('gives the same aggregate whether it logs, moves to a full aggregate, or keeps one built for an interim update', () => {
    const rnd = seeded(5);
    for (const bounds of BOUNDS) {
      for (let run = 0; run < 40; run++) {
        const flow = Flow.create('/usr/bin/curl', resource, { name: 'test' }, {});
        // The seed a flow's byte sample has: its key's and its window's.
        const direct = new FlowAggregate(bounds, hash32(`${flow.keyIn(group)}\u0000${T}`));
        const n = 1 + Math.floor(rnd() * 90);
        const interimAt = rnd() < 0.3 ? Math.floor(rnd() * n) : -1;
        for (let i = 0; i < n; i++) {
          // Now and then a connection a log cannot hold, which moves the flow to a full aggregate.
          const f = randomFacts(rnd, rnd() < 0.97);
          direct.add(f);
          flow.add(f, bounds, group);
          assert.equal(flow.connections, i + 1);
          if (i === interimAt) flow.writeAggregates({}, bounds, true, group);
        }
        assert.deepEqual(flow.aggregateJSON(bounds, group), direct.toJSON());
        const out: RecordAttributes = {};
        flow.writeAggregates(out, bounds, false, group);
        assert.deepEqual(out, attributesOf(direct));
      }
    }
  });

  void it("moves to a full aggregate, the same one, when its group's log is full", () => {
    const rnd = seeded(9);
    const bounds = BOUNDS[0];
    const full: WindowGroup = {
      ...group,
      flows: new Map(),
      log: new ConnectionLog(new LogFormat(600_000, 10)),
    };
    const flows = ['/usr/bin/curl', '/usr/bin/wget', '/opt/agent/bin/agent'].map((id) => {
      const flow = Flow.create(id, resource, { name: 'test' }, {});
      return { flow, direct: new FlowAggregate(bounds, hash32(`${flow.keyIn(full)}\u0000${T}`)) };
    });
    for (let i = 0; i < 30; i++) {
      const { flow, direct } = flows[i % flows.length];
      const f = randomFacts(rnd, true);
      direct.add(f);
      flow.add(f, bounds, full);
      assert.equal(flow.connections, Math.floor(i / flows.length) + 1);
    }
    assert.equal(full.log.entries, 10, 'the log took connections up to its bound, and no more');
    for (const { flow, direct } of flows) assert.deepEqual(flow.aggregateJSON(bounds, full), direct.toJSON());
  });

  void it('keeps its revision, interim updates and changed flag apart, up to the most interim updates a window may have', () => {
    const flow = Flow.create('/usr/bin/curl', resource, { name: 'test' }, {});
    assert.deepEqual([flow.revision, flow.interims, flow.dirty], [-1, 0, true], 'a new flow');
    flow.interims = 1_000_000;
    flow.dirty = false;
    for (let revision = 0; revision < 600; revision++) flow.revision++;
    assert.deepEqual([flow.revision, flow.interims, flow.dirty], [599, 1_000_000, false]);
    flow.dirty = true;
    flow.interims--;
    assert.deepEqual([flow.revision, flow.interims, flow.dirty], [599, 999_999, true]);
  });

  void it('writes its key as JSON from its host and identity, or holds the JSON text as its id', () => {
    assert.equal(
      Flow.create('/usr/bin/curl', resource, { name: 'test' }, {}).keyIn(group),
      '{"host.name":"web-1","process":"/usr/bin/curl"}',
    );
    const text = '{"host.name":"web-1","process":"/usr/bin/curl","container.id":"c0ffee"}';
    assert.equal(Flow.create(text, resource, { name: 'test' }, {}).keyIn(group), text);
  });

  void it('is named by the identity its carried attributes give, or holds its name when they give another', () => {
    const scope = { name: 'test' };
    const cases: [string, RecordAttributes][] = [
      ['/usr/bin/curl', { 'process.executable.path': '/usr/bin/curl', 'process.command_line': 'curl -s' }],
      ['curl', { 'process.executable.name': 'curl' }],
      ['pid:4242', { 'process.pid': 4242 }],
      ['unattributed', {}],
    ];
    for (const [id, carried] of cases) {
      const named = Flow.create(id, resource, scope, carried);
      const other = Flow.create(`${id}-other`, resource, scope, carried);
      assert.equal(named.id, id);
      assert.equal(other.id, `${id}-other`);
      assert.equal(named.keyIn(group), `{"host.name":"web-1","process":${JSON.stringify(id)}}`);
      // The one holding its name costs its field and its string more.
      assert.ok(other.bytes > named.bytes, `${id}: ${other.bytes} > ${named.bytes}`);
    }
  });
});
