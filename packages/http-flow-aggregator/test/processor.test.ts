import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';

import {
  getErrorHandler,
  setErrorHandler,
  type Processor,
  type ProcessorContext,
  type ReportedError,
} from '@egressguard/core';
import { hostResource, makeConnection, makeRecord, runNativesChild } from '@egressguard/core/testing';
import {
  ConnectionAttr,
  EventName,
  FlowAttr,
  HttpAttr,
  NetworkAttr,
  PipelineRecord,
  ProcessAttr,
  hrTimeToMs,
  msToHrTime,
  validateRecord,
  FLOW_RECORD,
  type RecordAttributes,
} from '@egressguard/schema';

import { httpFlowAggregatorFactory } from '../src/index.ts';
import { T, comparable, run, stream } from './stream.ts';

const NOW = 1_800_000_000_000;

function create(raw: unknown, context: Partial<ProcessorContext> = {}): Processor {
  const config = httpFlowAggregatorFactory.config.parse(raw);
  return httpFlowAggregatorFactory.create(config, {
    id: 'http_flow_aggregator/test',
    now: () => NOW,
    ...context,
  });
}

function conn(timeMs: number, attrs: RecordAttributes, host = 'web-1'): PipelineRecord {
  return makeConnection(
    {
      [ProcessAttr.PID]: 4242,
      [ProcessAttr.EXECUTABLE_PATH]: '/usr/bin/curl',
      [NetworkAttr.DESTINATION_ADDRESS]: '93.184.215.14',
      [NetworkAttr.DESTINATION_PORT]: 443,
      [ConnectionAttr.OUTCOME]: 'completed',
      ...attrs,
    },
    { timeMs, host },
  );
}

const flowsOf = (records: PipelineRecord[]) => records.filter((r) => r.eventName === EventName.HTTP_FLOW);

let reports: ReportedError[] = [];
const previousHandler = getErrorHandler();
beforeEach(() => {
  reports = [];
  setErrorHandler((e) => reports.push(e));
});
afterEach(() => setErrorHandler(previousHandler));

void describe('snapshot and restore', () => {
  const config = {
    windowing: { type: 'tumbling', window_ms: 300_000 },
    allowed_lateness_ms: 60_000,
    max_keys: 20,
    max_byte_samples: 8,
    max_start_times: 16,
    max_exact_destinations: 4,
  };

  void it('snapshot mid-window, restore in a new instance, finish: the same output as an uninterrupted run', async () => {
    const uninterrupted = create(config);
    const expected = [...(await run(uninterrupted, stream(3_000), 50)), ...(await uninterrupted.shutdown())];

    const input = stream(3_000);
    const split = 1_350; // 27 batches of 50: inside the fifth 5-minute window
    const first = create(config);
    const before = await run(first, input.slice(0, split), 50);
    const snapshot = JSON.parse(JSON.stringify(first.snapshot())) as ReturnType<Processor['snapshot']> &
      object;
    assert.ok(first.counters().state.entries > 0, 'the snapshot holds open windows');
    const second = create(config);
    second.restore(snapshot);
    const after = [...(await run(second, input.slice(split), 50)), ...(await second.shutdown())];

    assert.deepEqual(comparable([...before, ...after]), comparable(expected));

    // The stream exercises what the snapshot must carry: corrections, overflow, estimates, sampling, lateness.
    const flows = flowsOf(expected);
    assert.ok(
      flows.some((f) => (f.attributes[FlowAttr.REVISION] as number) > 0),
      'corrections were emitted',
    );
    assert.ok(
      flows.some((f) => f.attributes[FlowAttr.OVERFLOW] === true),
      'the key bound bit',
    );
    assert.ok(
      flows.some((f) => f.attributes[FlowAttr.DESTINATIONS_ESTIMATED] === true),
      'a distinct count was estimated',
    );
    assert.ok(
      flows.some((f) => (f.attributes[FlowAttr.CONNECTIONS] as number) > 16),
      'samples and start times overflowed',
    );
    assert.ok((uninterrupted.counters().events.late_dropped ?? 0) > 0, 'some records were too late');
  });

  void it('a flow whose key is more than host and identity is restored under that key, to the same output', async () => {
    // Flows keyed by destination and user id hold their key text (the others are named by their carried attributes).
    const keyed = { ...config, key: { include_destination: true, attributes: [ProcessAttr.USER_ID] } };
    // Each run its own records: the aggregator marks those it reads.
    const records = () =>
      stream(3_000).map((r, i) => {
        if (i % 3 === 0) r.attributes[ProcessAttr.USER_ID] = 1000 + (i % 2);
        return r;
      });
    const uninterrupted = create(keyed);
    const expected = [...(await run(uninterrupted, records(), 50)), ...(await uninterrupted.shutdown())];
    const input = records();
    const first = create(keyed);
    const before = await run(first, input.slice(0, 1_350), 50);
    const second = create(keyed);
    second.restore(
      JSON.parse(JSON.stringify(first.snapshot())) as NonNullable<ReturnType<Processor['snapshot']>>,
    );
    const after = [...(await run(second, input.slice(1_350), 50)), ...(await second.shutdown())];
    assert.deepEqual(comparable([...before, ...after]), comparable(expected));
    const keys = new Set(flowsOf(expected).map((f) => f.attributes[FlowAttr.KEY] as string));
    assert.ok(
      [...keys].some(
        (k) => k.includes('"destination":"203.0.113.') && k.includes('"process.user.id":"1000"'),
      ),
    );
  });

  void it('restores the watermark: a record too late before the snapshot is too late after it', async () => {
    const settings = {
      windowing: { type: 'tumbling', window_ms: 60_000 },
      out_of_order_ms: 0,
      allowed_lateness_ms: 10_000,
    };
    const first = create(settings);
    await first.process([
      conn(T + 1_000, {}),
      conn(T + 30_000, {}),
      conn(T + 65_000, {}),
      conn(T + 75_000, {}),
    ]);
    const second = create(settings);
    second.restore(
      JSON.parse(JSON.stringify(first.snapshot())) as NonNullable<ReturnType<Processor['snapshot']>>,
    );
    const out = flowsOf(await second.process([conn(T + 2_000, {})]));
    assert.deepEqual(out, [], 'no correction of a final window');
    assert.equal(second.counters().events.late_dropped, 1);
    const flushed = flowsOf(await second.shutdown());
    assert.deepEqual(
      flushed.map((f) => [f.attributes[FlowAttr.WINDOW_START], f.attributes[FlowAttr.CONNECTIONS]]),
      [[T + 60_000, 2]],
    );
  });

  void it('rejects a snapshot of another version or another window shape, saying why', () => {
    const p = create({});
    assert.throws(() => p.restore({ version: 2 }), /unknown version 2 \(this build reads up to 1\)/);
    const hopping = create({ windowing: { type: 'hopping', window_ms: 600_000, hop_ms: 300_000 } });
    assert.throws(
      () => p.restore(hopping.snapshot()!),
      /written with windows of 600000 ms every 300000 ms, this aggregator uses 600000 ms every 600000 ms/,
    );
  });
});

void describe('windows and lateness', () => {
  void it('gives the same final aggregates whatever the batch size', async () => {
    const last = new Map<string, unknown>();
    const results: Map<string, unknown>[] = [];
    for (const size of [1, 7, 1_000]) {
      const p = create({ windowing: { type: 'tumbling', window_ms: 300_000 } });
      const out = flowsOf([...(await run(p, stream(1_500, 9), size)), ...(await p.shutdown())]);
      last.clear();
      for (const f of out) {
        const { [FlowAttr.REVISION]: _revision, ...rest } = f.attributes;
        last.set(
          `${String(f.attributes[FlowAttr.KEY])}@${String(f.attributes[FlowAttr.WINDOW_START])}`,
          rest,
        );
      }
      results.push(new Map(last));
    }
    assert.ok(results[0].size > 20);
    assert.deepEqual(results[1], results[0]);
    assert.deepEqual(results[2], results[0]);
  });

  void it('keeps a watermark per host: a host far ahead does not make another host late', async () => {
    const p = create({
      windowing: { type: 'tumbling', window_ms: 60_000 },
      out_of_order_ms: 0,
      allowed_lateness_ms: 0,
    });
    await p.process([conn(T + 3_600_000, {}, 'ahead')]);
    const out = await p.process([conn(T + 1_000, {}, 'behind'), conn(T + 61_000, {}, 'behind')]);
    const flows = flowsOf(out);
    assert.equal(flows.length, 1);
    assert.equal(flows[0].attributes[FlowAttr.CONNECTIONS], 1);
    assert.equal(p.counters().events.late_dropped, undefined);
  });

  void it('does not let one record from a clock far ahead make every later record of its host too late', async () => {
    const p = create({
      windowing: { type: 'tumbling', window_ms: 60_000 },
      out_of_order_ms: 0,
      allowed_lateness_ms: 0,
      max_clock_skew_ms: 300_000,
    });
    // Processing time is NOW; one record of web-1 is dated a year ahead of it.
    const t = NOW - 600_000;
    await p.process([conn(t + 1_000, {}), conn(NOW + 365 * 86_400_000, {})]);
    const out = flowsOf(await p.process([conn(t + 2_000, {}), conn(t + 61_000, {})]));
    assert.equal(p.counters().events.late_dropped, undefined, 'correctly dated records are not too late');
    assert.equal(p.counters().events.future_event_time, 1);
    assert.equal(reports.filter((r) => r.reason === 'future_event_time').length, 1);
    assert.equal(out.length, 1, 'the on-time record at t+61s closed the first window');
    assert.equal(out[0].attributes[FlowAttr.CONNECTIONS], 2);
    const rest = flowsOf(await p.flush()).map((f) => f.attributes[FlowAttr.CONNECTIONS]);
    assert.deepEqual(rest, [1, 1], 'the future record still counts, in its own window, emitted on flush');
  });

  void it('far-future timestamp does not hang window assignment: 2^64 s is passed on, counted, not aggregated', async () => {
    // A tcplife START_UNIX of 18446744073709551616 read as seconds: stepping back from it by the hop never changed
    // the number, so assigning it to windows never ended.
    const p = create({ windowing: { type: 'tumbling', window_ms: 600_000 } });
    const farFuture = conn(T, {});
    farFuture.hrTime = [18446744073709551616, 0];
    const before = conn(-86_400_000, {});
    const out = await p.process([farFuture, before, conn(T + 1_000, {})]);
    assert.equal(p.counters().events.event_time_out_of_range, 2);
    assert.ok(out.includes(farFuture) && out.includes(before), 'passed on as they were');
    const flows = flowsOf(await p.flush());
    assert.equal(
      flows.reduce((n, f) => n + Number(f.attributes[FlowAttr.CONNECTIONS]), 0),
      1,
      'only the sane record is aggregated',
    );
  });

  void it('dates a record without time by its observed time', async () => {
    const p = create({ windowing: { type: 'tumbling', window_ms: 60_000 }, out_of_order_ms: 0 });
    const observedOnly = conn(T + 1_000, {});
    observedOnly.hrTimeObserved = observedOnly.hrTime;
    observedOnly.hrTime = [0, 0];
    const out = flowsOf(await p.process([observedOnly, conn(T + 61_000, {})]));
    assert.equal(out.length, 1);
    assert.equal(out[0].attributes[FlowAttr.WINDOW_START], T);
    assert.equal(out[0].attributes[FlowAttr.CONNECTIONS], 1);
  });

  void it('flush emits open windows and keeps them: a later record gives a correction', async () => {
    const p = create({
      windowing: { type: 'tumbling', window_ms: 60_000 },
      out_of_order_ms: 0,
      allowed_lateness_ms: 30_000,
    });
    await p.process([conn(T + 1_000, {})]);
    const flushed = flowsOf(await p.flush());
    assert.equal(flushed.length, 1);
    assert.equal(flushed[0].attributes[FlowAttr.REVISION], 0);
    const out = flowsOf(await p.process([conn(T + 2_000, {}), conn(T + 61_000, {})]));
    assert.equal(out.length, 1);
    assert.equal(out[0].attributes[FlowAttr.REVISION], 1);
    assert.equal(out[0].attributes[FlowAttr.CONNECTIONS], 2);
    assert.deepEqual(
      flowsOf(await p.flush()).map((f) => f.attributes[FlowAttr.WINDOW_START]),
      [T + 60_000],
    );
  });

  void it('counts and reports records too late for a final window, once per batch', async () => {
    const p = create({
      windowing: { type: 'tumbling', window_ms: 60_000 },
      out_of_order_ms: 0,
      allowed_lateness_ms: 10_000,
    });
    await p.process([conn(T + 1_000, {}), conn(T + 75_000, {})]);
    const late = [conn(T + 2_000, {}), conn(T + 3_000, {}), conn(T + 4_000, {})];
    const out = await p.process(late);
    assert.deepEqual(out, late, 'in pass mode the late connection records still go on');
    assert.equal(p.counters().events.late_dropped, 3);
    assert.equal(reports.filter((r) => r.reason === 'late_dropped').length, 1);
    assert.match(reports.find((r) => r.reason === 'late_dropped')!.message, /^3 connection record\(s\)/);
  });

  void it('closes windows of an idle host on the idle timer, as its event clock would have moved', async () => {
    mock.timers.enable({ apis: ['setInterval'] });
    try {
      let now = NOW;
      const emitted: PipelineRecord[] = [];
      const p = create(
        { windowing: { type: 'tumbling', window_ms: 60_000 }, out_of_order_ms: 0, idle_flush_ms: 30_000 },
        { now: () => now, emit: (records) => emitted.push(...records) },
      );
      assert.equal(flowsOf(await p.process([conn(T + 40_000, {})])).length, 0);
      now += 15_000;
      mock.timers.tick(30_000);
      assert.equal(emitted.length, 0, 'not idle long enough yet');
      now += 15_000;
      mock.timers.tick(30_000);
      assert.equal(emitted.length, 1, 'watermark T+40s+30s passed the window end T+60s');
      assert.equal(emitted[0].attributes[FlowAttr.CONNECTIONS], 1);
      assert.equal(hrTimeToMs(emitted[0].hrTimeObserved), now);
      assert.equal(p.counters().recordsEmitted, 1);
      await p.shutdown();
    } finally {
      mock.timers.reset();
    }
  });
});

void describe('key bound', () => {
  void it('sends new keys past max_keys to one overflow flow per host and window, counted and reported once', async () => {
    const p = create({
      windowing: { type: 'tumbling', window_ms: 60_000 },
      out_of_order_ms: 0,
      allowed_lateness_ms: 0,
      max_keys: 3,
    });
    const exes = ['/usr/bin/a', '/usr/bin/b', '/usr/bin/c', '/usr/bin/d', '/usr/bin/e'];
    await p.process(exes.map((exe, i) => conn(T + 1_000 + i, { [ProcessAttr.EXECUTABLE_PATH]: exe })));
    await p.process([conn(T + 10_000, { [ProcessAttr.EXECUTABLE_PATH]: '/usr/bin/a' })]);
    await p.process([conn(T + 11_000, { [ProcessAttr.EXECUTABLE_PATH]: '/usr/bin/f' }, 'web-2')]);
    const state = p.counters().state;
    assert.deepEqual({ entries: state.entries, maxEntries: state.maxEntries }, { entries: 5, maxEntries: 3 });
    assert.ok(state.bytes! > 0);
    assert.equal(p.counters().events.keys_overflowed, 3);
    assert.equal(
      reports.filter((r) => r.reason === 'keys_overflowed').length,
      2,
      'one report per host and window',
    );

    const out = flowsOf(await p.process([conn(T + 61_000, { [ProcessAttr.EXECUTABLE_PATH]: '/usr/bin/e' })]));
    const byKey = new Map(out.map((f) => [f.attributes[FlowAttr.KEY], f.attributes]));
    assert.equal(byKey.get('{"host.name":"web-1","process":"/usr/bin/a"}')?.[FlowAttr.CONNECTIONS], 2);
    const overflow = byKey.get('{"host.name":"web-1","overflow":true}');
    assert.equal(overflow?.[FlowAttr.CONNECTIONS], 2);
    assert.equal(overflow?.[FlowAttr.OVERFLOW], true);
    assert.equal(overflow?.[ProcessAttr.EXECUTABLE_PATH], undefined, 'an overflow flow names no process');
    assert.equal(out.length, 4, 'web-2 has its own watermark: its window is not due yet');

    // web-1's first window is final and gone: the next one has room for /usr/bin/e again.
    const next = flowsOf(await p.flush());
    assert.deepEqual(
      next.map((f) => [
        f.attributes[FlowAttr.KEY],
        f.attributes[FlowAttr.OVERFLOW],
        f.attributes[FlowAttr.CONNECTIONS],
      ]),
      [
        ['{"host.name":"web-1","process":"/usr/bin/e"}', false, 1],
        ['{"host.name":"web-2","overflow":true}', true, 1],
      ],
    );
  });
});

void describe('flow records', () => {
  void it('carry the key, window, process attributes of the first connection, its resource and scope', async () => {
    const p = create({ windowing: { type: 'tumbling', window_ms: 60_000 } });
    const first = conn(T + 1_500, {
      [ProcessAttr.COMMAND_LINE]: '/usr/bin/curl -s http://example.com',
      [ProcessAttr.USER_ID]: 1000,
      [ProcessAttr.OWNER]: 'alice',
      [ProcessAttr.CONTAINER_ID]: 'c0ffee',
      [ProcessAttr.EXECUTABLE_SHA256]: 'ab'.repeat(32),
      'egressguard.attribution.method': 'event',
    });
    const second = conn(T + 2_500, {
      [ProcessAttr.COMMAND_LINE]: 'curl other',
      [ProcessAttr.CONTAINER_ID]: 'c0ffee',
    });
    await p.process([first, second]);
    const [flow] = flowsOf(await p.flush());
    assert.ok(flow);
    assert.equal(
      flow.resource,
      hostResource('web-1'),
      'the host resource object is kept, so host.name stays',
    );
    assert.equal(flow.instrumentationScope, first.instrumentationScope);
    assert.equal(hrTimeToMs(flow.hrTime), T, 'event time is the window start');
    assert.equal(hrTimeToMs(flow.hrTimeObserved), NOW, 'observed time is the emission time');
    const a = flow.attributes;
    assert.equal(a[FlowAttr.KEY], '{"host.name":"web-1","process":"/usr/bin/curl","container.id":"c0ffee"}');
    assert.equal(a[ProcessAttr.COMMAND_LINE], '/usr/bin/curl -s http://example.com');
    assert.equal(a[ProcessAttr.USER_ID], 1000);
    assert.equal(a[ProcessAttr.OWNER], 'alice');
    assert.equal(a['egressguard.attribution.method'], 'event');
    assert.equal(a[ProcessAttr.PID], undefined, 'a flow spans pids: none is copied when the path is known');
    assert.equal(a[FlowAttr.WINDOW_START], T);
    assert.equal(a[FlowAttr.WINDOW_END], T + 60_000);
    assert.equal(a[FlowAttr.CONNECTIONS], 2);
  });

  void it('falls back to the executable name, then the pid, then unattributed', async () => {
    const p = create({ windowing: { type: 'tumbling', window_ms: 60_000 } });
    const base = { [ProcessAttr.EXECUTABLE_PATH]: undefined };
    await p.process([
      conn(T + 1, { ...base, [ProcessAttr.EXECUTABLE_NAME]: 'curl' }),
      conn(T + 2, { ...base, [ProcessAttr.PID]: 77 }),
      conn(T + 3, { ...base, [ProcessAttr.PID]: undefined }),
    ]);
    const flows = flowsOf(await p.flush());
    assert.deepEqual(
      flows.map((f) => [f.attributes[FlowAttr.KEY], f.attributes[ProcessAttr.PID]]),
      [
        ['{"host.name":"web-1","process":"curl"}', undefined],
        ['{"host.name":"web-1","process":"pid:77"}', 77],
        ['{"host.name":"web-1","process":"unattributed"}', undefined],
      ],
    );
  });

  void it('can key by destination and by further attributes', async () => {
    const p = create({
      windowing: { type: 'tumbling', window_ms: 60_000 },
      key: { include_destination: true, attributes: [ProcessAttr.USER_ID] },
    });
    await p.process([
      conn(T + 1, { [ProcessAttr.USER_ID]: 0 }),
      conn(T + 2, {
        [ProcessAttr.USER_ID]: 0,
        [NetworkAttr.DESTINATION_ADDRESS]: '2606:4700::1111',
        [NetworkAttr.SERVER_ADDRESS]: 'one.one.one.one',
      }),
      conn(T + 3, { [ProcessAttr.USER_ID]: 1000 }),
      conn(T + 4, { [ProcessAttr.USER_ID]: 0 }),
    ]);
    const flows = flowsOf(await p.flush());
    assert.deepEqual(
      flows.map((f) => [
        f.attributes[FlowAttr.KEY],
        f.attributes[FlowAttr.CONNECTIONS],
        f.attributes[NetworkAttr.SERVER_ADDRESS],
      ]),
      [
        [
          '{"host.name":"web-1","process":"/usr/bin/curl","destination":"93.184.215.14:443","process.user.id":"0"}',
          2,
          undefined,
        ],
        [
          '{"host.name":"web-1","process":"/usr/bin/curl","destination":"[2606:4700::1111]:443","process.user.id":"0"}',
          1,
          'one.one.one.one',
        ],
        [
          '{"host.name":"web-1","process":"/usr/bin/curl","destination":"93.184.215.14:443","process.user.id":"1000"}',
          1,
          undefined,
        ],
      ],
    );
    assert.equal(flows[1].attributes[NetworkAttr.DESTINATION_ADDRESS], '2606:4700::1111');
  });
});

void describe('connection records', () => {
  void it('pass on by default, marked when HTTP is inferred, never overwriting a sensor value', async () => {
    const p = create({});
    const inferred = conn(T, { [NetworkAttr.DESTINATION_PORT]: 8443 });
    const sensorSaid = conn(T, { [NetworkAttr.PROTOCOL_NAME]: 'http', [HttpAttr.PROTOCOL_INFERRED]: true });
    const real = conn(T, { [HttpAttr.RESPONSE_STATUS_CODE]: 404 });
    const out = await p.process([inferred, sensorSaid, real]);
    assert.deepEqual(out, [inferred, sensorSaid, real]);
    assert.equal(inferred.attributes[NetworkAttr.PROTOCOL_NAME], 'http');
    assert.equal(inferred.attributes[HttpAttr.PROTOCOL_INFERRED], true);
    assert.equal(real.attributes[HttpAttr.PROTOCOL_INFERRED], undefined);
    const [flow] = flowsOf(await p.flush());
    assert.equal(flow.attributes[FlowAttr.INFERRED], 2);
    assert.equal(flow.attributes[FlowAttr.HTTP_EXCHANGES], 1);
  });

  void it('are dropped when configured, counted as aggregated; non-HTTP and other records still pass', async () => {
    const p = create({ connections: 'drop' });
    const ssh = conn(T, { [NetworkAttr.DESTINATION_PORT]: 22 });
    const exec = makeRecord(EventName.PROCESS_EXEC, { [ProcessAttr.PID]: 1 }, { timeMs: T });
    const out = await p.process([conn(T, {}), ssh, exec, conn(T + 1, {})]);
    assert.deepEqual(out, [ssh, exec]);
    assert.equal(p.counters().dropped.aggregated, 2);
    assert.equal(p.counters().events.not_http, 1);
  });

  void it('without a host or an event time pass on unaggregated, counted and reported once per batch', async () => {
    const p = create({ connections: 'drop' });
    const noTime = conn(T, {});
    noTime.hrTime = [0, 0];
    noTime.hrTimeObserved = [0, 0];
    const noHost = new PipelineRecord({
      hrTime: msToHrTime(T),
      eventName: EventName.CONNECTION,
      attributes: { ...noTime.attributes },
      resource: hostResource(''),
      instrumentationScope: noTime.instrumentationScope,
    });
    const out = await p.process([noTime, noHost, noHost]);
    assert.deepEqual(out, [noTime, noHost, noHost]);
    assert.equal(p.counters().events.missing_host, 2);
    assert.equal(p.counters().events.missing_event_time, 1);
    assert.deepEqual(reports.map((r) => r.reason).sort(), ['missing_event_time', 'missing_host']);
    assert.deepEqual(await p.flush(), []);
  });

  void it('with unreadable values count as unknown, never as zero', async () => {
    const p = create({});
    await p.process([
      conn(T, {
        [ConnectionAttr.BYTES_SENT]: 'many',
        [ConnectionAttr.BYTES_RECEIVED]: 10,
        [ConnectionAttr.OUTCOME]: 'weird',
      }),
    ]);
    const a = flowsOf(await p.flush())[0].attributes;
    assert.equal(a[FlowAttr.WITHOUT_BYTES], 1);
    assert.equal(a[FlowAttr.BYTES_SENT], undefined);
    assert.equal(a[FlowAttr.UNKNOWN], 1);
  });
});

void describe('flow records meet the schema the detector reads', () => {
  void it('sub-millisecond connection times still give integer first/last seen and a record the detector accepts', async () => {
    const p = create({});
    await p.process([conn(T + 1000.782, {}), conn(T + 2000.25, {})]);
    const flows = (await p.flush()).filter((r) => r.eventName === EventName.HTTP_FLOW);
    assert.equal(flows.length, 1);
    const flow = flows[0];
    assert.equal(flow.attributes[FlowAttr.FIRST_SEEN], T + 1000);
    assert.equal(flow.attributes[FlowAttr.LAST_SEEN], T + 2000);
    assert.deepEqual(validateRecord(flow, FLOW_RECORD), []);
  });
});

describe('flow records in V8', () => {
  it('keeps flow records out of V8 dictionary mode when a stage downstream adds a dozen attributes', () => {
    // A V8 property, observable only with --allow-natives-syntax: checked in a child process. A hash dictionary
    // makes every later read and write of the record, and the encoder's walk over it, a hash lookup.
    const { flows, literal } = runNativesChild<{ flows: [number, number]; literal: [number, number] }>(
      join(import.meta.dirname, 'support', 'dictionary-mode-child.ts'),
    );
    assert.ok(flows[1] > 100, `${flows[1]} flow records`);
    assert.deepEqual(flows, [flows[1], flows[1]], 'every flow record still in fast mode');
    assert.equal(
      literal[0],
      0,
      'the same attributes in a literal filled by computed keys are not: the check can fail',
    );
  });
});
