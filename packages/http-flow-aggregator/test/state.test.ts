/**
 * State snapshots written by the released version (format version 1) still restore: a snapshot captured from it
 * (`fixtures/state-v1.json`, hopping windows, corrections, interim updates, overflow flows, estimated distinct
 * counts) is restored into a new aggregator, which then continues to the same output as an uninterrupted run. And
 * this version writes that very snapshot from the same input, whatever it holds in memory.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

import type { Processor, ProcessorSnapshot } from '@egressguard/core';
import { EventName, FlowAttr } from '@egressguard/schema';

import { httpFlowAggregatorFactory } from '../src/index.ts';
import { comparable, run, stream } from './stream.ts';

/** The configuration and input the fixture was captured with: the first 280 records, in batches of 20. */
const CONFIG = {
  windowing: { type: 'hopping', window_ms: 300_000, hop_ms: 150_000 },
  allowed_lateness_ms: 60_000,
  max_keys: 30,
  max_byte_samples: 4,
  max_start_times: 8,
  max_exact_destinations: 4,
  interim: { enabled: true, min_connections: 3, max_per_window: 2 },
};
const SPLIT = 280;
const BATCH = 20;

function create(): Processor {
  return httpFlowAggregatorFactory.create(httpFlowAggregatorFactory.config.parse(CONFIG), {
    id: 'http_flow_aggregator/test',
    now: () => 1_800_000_000_000,
  });
}

function fixture(): ProcessorSnapshot & { flows: Record<string, unknown>[] } {
  return JSON.parse(
    readFileSync(new URL('fixtures/state-v1.json', import.meta.url), 'utf8'),
  ) as ProcessorSnapshot & {
    flows: Record<string, unknown>[];
  };
}

void describe('state snapshot format version 1', () => {
  void it('a snapshot of the released version restores and continues to the same output as an uninterrupted run', async () => {
    const input = stream(600, 7);
    const uninterrupted = create();
    const expected = [...(await run(uninterrupted, input, BATCH)), ...(await uninterrupted.shutdown())];

    const first = create();
    const before = await run(first, input.slice(0, SPLIT), BATCH);
    await first.shutdown();
    const restored = create();
    restored.restore(fixture());
    assert.equal(restored.counters().state.entries, 33, 'every flow of the fixture is held');
    const after = [...(await run(restored, input.slice(SPLIT), BATCH)), ...(await restored.shutdown())];

    assert.deepEqual(comparable([...before, ...after]), comparable(expected));
    // What the fixture carries is used after the restore: corrections, interims, overflow and estimates.
    const flows = after.filter((r) => r.eventName === EventName.HTTP_FLOW);
    assert.ok(flows.some((f) => (f.attributes[FlowAttr.REVISION] as number) > 0));
    assert.ok(flows.some((f) => f.attributes[FlowAttr.INTERIM] === true));
    assert.ok(flows.some((f) => f.attributes[FlowAttr.OVERFLOW] === true));
    assert.ok(flows.some((f) => f.attributes[FlowAttr.DESTINATIONS_ESTIMATED] === true));
  });

  void it("the snapshot of the same input is the released version's, flows that log their connections included", async () => {
    const p = create();
    await run(p, stream(600, 7).slice(0, SPLIT), BATCH);
    assert.deepEqual(JSON.parse(JSON.stringify(p.snapshot())), fixture());
  });

  void it('a flow without an interim count (written before interim updates existed) restores with none emitted', async () => {
    const snapshot = fixture();
    const withInterims = snapshot.flows.filter((f) => f.interims === 2).length;
    assert.ok(withInterims > 0, 'the fixture has windows whose interim updates are used up');
    for (const flow of snapshot.flows) delete flow.interims;
    const p = create();
    p.restore(snapshot);
    assert.equal(p.counters().state.entries, 33);
    const out = await run(p, stream(600, 7).slice(SPLIT), BATCH);
    await p.shutdown();
    const reference = create();
    reference.restore(fixture());
    const referenceOut = await run(reference, stream(600, 7).slice(SPLIT), BATCH);
    await reference.shutdown();
    const interims = (records: typeof out) =>
      records.filter((r) => r.attributes[FlowAttr.INTERIM] === true).length;
    assert.ok(
      interims(out) > interims(referenceOut),
      'counted from zero, the used-up windows emit interims again',
    );
  });

  void it('a snapshot with a wrong value is an error naming the processor and the key', () => {
    const snapshot = fixture();
    (snapshot.flows[3].agg as Record<string, unknown>).counters = 'none';
    assert.throws(
      () => create().restore(snapshot),
      /http_flow_aggregator\/test: state snapshot \(version 1\) is not valid: flows\[3\]\.agg\.counters/,
    );
    const sampled = fixture();
    ((sampled.flows[5].agg as Record<string, unknown>).samples as Record<string, unknown>).sent = [1, '2'];
    assert.throws(
      () => create().restore(sampled),
      /not valid: flows\[5\]\.agg\.samples\.sent: expected an array of numbers/,
    );
  });

  void it('a snapshot with a flow key that is not the JSON text of a key is an error naming the flow', () => {
    const snapshot = fixture();
    snapshot.flows[2].key = '/usr/bin/curl';
    assert.throws(
      () => create().restore(snapshot),
      /http_flow_aggregator\/test: cannot restore snapshot: flow \/usr\/bin\/curl has a key that is not a key's JSON text/,
    );
  });
});

void describe('state snapshot of unusual attribute values', () => {
  void it('a flow whose carried attributes hold a bigint (a 64-bit uid from a library caller) is saved and restored', async () => {
    const { makeConnection } = await import('@egressguard/core/testing');
    const { ProcessAttr, NetworkAttr, getInt } = await import('@egressguard/schema');
    const aggregator = create();
    const record = makeConnection(
      {
        [ProcessAttr.PID]: 77,
        [ProcessAttr.USER_ID]: 1000n,
        [ProcessAttr.EXECUTABLE_PATH]: '/opt/agent/bin/agent',
        [NetworkAttr.DESTINATION_ADDRESS]: '203.0.113.7',
        [NetworkAttr.DESTINATION_PORT]: 443,
      },
      { timeMs: 1_800_000_000_000, host: 'web-1' },
    );
    await aggregator.process([record]);
    const snapshot = aggregator.snapshot()!;
    const text = JSON.stringify(snapshot);
    const restored = create();
    restored.restore(JSON.parse(text) as ProcessorSnapshot);
    const flows = (await restored.shutdown()).filter((r) => r.eventName === EventName.HTTP_FLOW);
    assert.equal(flows.length, 2, 'the two hopping windows the connection falls in');
    for (const flow of flows) {
      assert.equal(
        getInt(flow.attributes, ProcessAttr.USER_ID),
        1000,
        'the uid reads back as the same integer',
      );
      assert.equal(flow.attributes[FlowAttr.CONNECTIONS], 1);
    }
  });
});
