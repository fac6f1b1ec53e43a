/**
 * The aggregator's side of declined interim updates (`declineInterims` of `@egressguard/core`, called by their
 * consumer): a window declined for good makes no more updates; one declined until an event time makes them again
 * from the first connection at or past it, its count going on towards `max_per_window`; and a restored window
 * declined until a time (which the snapshot does not keep) makes them again.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { declineInterims, type Processor } from '@egressguard/core';
import { makeConnection } from '@egressguard/core/testing';
import {
  ConnectionAttr,
  EventName,
  FlowAttr,
  NetworkAttr,
  ProcessAttr,
  type PipelineRecord,
} from '@egressguard/schema';

import { httpFlowAggregatorFactory } from '../src/index.ts';

/** The start of a five-minute window. */
const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const NOW = T0 + 3_600_000;

function create(): Processor {
  return httpFlowAggregatorFactory.create(
    httpFlowAggregatorFactory.config.parse({
      windowing: { type: 'tumbling', window_ms: 300_000 },
      interim: { enabled: true, min_connections: 3, max_per_window: 6 },
      max_clock_skew_ms: 0,
    }),
    { id: 'http_flow_aggregator/test', now: () => NOW },
  );
}

/** The `i`th request of one process, 5 s apart from T0. */
function request(i: number): PipelineRecord {
  return makeConnection(
    {
      [ProcessAttr.PID]: 4242,
      [ProcessAttr.EXECUTABLE_PATH]: '/opt/vendor/bin/poller',
      [NetworkAttr.DESTINATION_ADDRESS]: '198.51.100.20',
      [NetworkAttr.DESTINATION_PORT]: 80,
      [ConnectionAttr.OUTCOME]: 'completed',
    },
    { timeMs: T0 + i * 5_000, host: 'web-1' },
  );
}

/** The interim updates among `records`. */
const updates = (records: PipelineRecord[]) =>
  records.filter((r) => r.eventName === EventName.HTTP_FLOW && r.attributes[FlowAttr.INTERIM] === true);

/** Requests `from` to `to` (excluded), one batch each; the updates they made. */
async function requests(aggregator: Processor, from: number, to: number): Promise<PipelineRecord[]> {
  const out: PipelineRecord[] = [];
  for (let i = from; i < to; i++) out.push(...(await aggregator.process([request(i)])));
  return updates(out);
}

describe('declined interim updates', () => {
  it('for good: no more updates of the window; declined once', async () => {
    const aggregator = create();
    const [first] = await requests(aggregator, 0, 3);
    assert.ok(first, 'the third connection makes an update');
    assert.equal(declineInterims(first), true);
    assert.equal(declineInterims(first), false, 'declined already');
    assert.equal((await requests(aggregator, 3, 20)).length, 0);
    await aggregator.shutdown();
  });

  it('until an event time: updates again from the first connection at or past it, up to max_per_window', async () => {
    const aggregator = create();
    const [first] = await requests(aggregator, 0, 3);
    const until = T0 + 10 * 5_000;
    assert.equal(declineInterims(first, until), true);
    assert.equal(declineInterims(first, until), false, 'declined until then already');
    assert.equal((await requests(aggregator, 3, 10)).length, 0, 'connections before it make none');
    const again = await requests(aggregator, 10, 20);
    // One update before the decline, five more (max_per_window 6) from the tenth connection on.
    assert.deepEqual(
      again.map((u) => u.attributes[FlowAttr.INTERIM_TRIGGER]),
      [10, 11, 12, 13, 14].map((i) => T0 + i * 5_000),
    );
    assert.equal((await requests(aggregator, 20, 21)).length, 0, 'max_per_window reached');
    await aggregator.shutdown();
  });

  it('until a time the window’s last connection has reached: nothing declined', async () => {
    const aggregator = create();
    const made = await requests(aggregator, 0, 5);
    // The first update's window has had connections up to T0 + 20 s since.
    assert.equal(declineInterims(made[0], T0 + 20_000), false);
    assert.equal(declineInterims(made[0], T0 + 20_001), true);
    await aggregator.shutdown();
  });

  it('for good after a decline until a time: no more updates, even past it', async () => {
    const aggregator = create();
    const [first, second] = await requests(aggregator, 0, 4);
    assert.equal(declineInterims(first, T0 + 10 * 5_000), true);
    assert.equal(declineInterims(second), true, 'a decline for good stops more');
    assert.equal((await requests(aggregator, 4, 20)).length, 0);
    await aggregator.shutdown();
  });

  it('restored: a window declined until a time makes updates again (the snapshot does not keep the time)', async () => {
    const first = create();
    const [update] = await requests(first, 0, 3);
    assert.equal(declineInterims(update, T0 + 10 * 5_000), true);
    const snapshot = JSON.parse(JSON.stringify(first.snapshot())) as NonNullable<
      ReturnType<Processor['snapshot']>
    >;
    const held = await requests(first, 3, 4);
    assert.equal(held.length, 0, 'the running one makes none before the time');
    await first.shutdown();
    const restored = create();
    restored.restore(snapshot);
    const made = await requests(restored, 3, 5);
    assert.deepEqual(
      made.map((u) => u.attributes[FlowAttr.INTERIM_TRIGGER]),
      [T0 + 3 * 5_000, T0 + 4 * 5_000],
    );
    await restored.shutdown();
  });
});
