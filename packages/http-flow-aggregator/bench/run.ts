/**
 * Benchmark of the HTTP-flow aggregator, run by `npm run bench -w @egressguard/http-flow-aggregator`.
 *
 * 1. Throughput: the same 1,000-record batches through the aggregator and through a pass-through processor built
 *    on the same BaseProcessor, in the same run; printed as records/s and as the ratio between the two.
 * 2. State: the heap held per key with 100,000 keys open (heap delta after forced GCs; needs --expose-gc, which
 *    the npm script passes) and the array-buffer memory outside the heap (where a flow's HyperLogLog registers
 *    live), beside the aggregator's own estimate from `counters().state.bytes`, the snapshot's JSON size and the
 *    time to restore that snapshot into a new aggregator.
 */
import { BaseProcessor, type Processor, type ProcessorMetadata } from '@egressguard/core';
import { TEST_SCOPE, settledMemoryUsage } from '@egressguard/core/testing';
import {
  ConnectionAttr,
  NetworkAttr,
  PipelineRecord,
  ProcessAttr,
  ProvenanceAttr,
  EventName,
  ResourceAttr,
  createResource,
  eventTimeMs,
  getInt,
  getString,
  hostName,
  msToHrTime,
  type RecordResource,
} from '@egressguard/schema';

import { httpFlowAggregatorFactory } from '../src/index.ts';

const T = 1_764_460_800_000;
const BATCH = 1_000;

class PassThrough extends BaseProcessor {
  override readonly metadata: ProcessorMetadata = {
    type: 'pass_through',
    description: 'Returns every batch unchanged (the baseline).',
    stability: 'development',
    stateful: false,
    reads: { events: [], attributes: [] },
    writes: { events: [], attributes: [] },
  };
  protected processBatch(batch: PipelineRecord[]): PipelineRecord[] {
    return batch;
  }
}

/**
 * A second baseline that does the least any per-record stage must: read the record's event time, host and the
 * attributes a flow key and its counts come from, then pass the batch on. The ratio against it says what the
 * windows, sketches and quantiles cost beyond touching each record.
 */
class ReadingPassThrough extends PassThrough {
  sink = 0;
  protected override processBatch(batch: PipelineRecord[]): PipelineRecord[] {
    for (const r of batch) {
      const a = r.attributes;
      const t = eventTimeMs(r) ?? 0;
      const host = hostName(r) ?? '';
      const key = `${host}|${getString(a, ProcessAttr.EXECUTABLE_PATH) ?? ''}`;
      const dest = `${getString(a, NetworkAttr.DESTINATION_ADDRESS) ?? ''}:${getInt(a, NetworkAttr.DESTINATION_PORT) ?? 0}`;
      this.sink +=
        t +
        key.length +
        dest.length +
        (getInt(a, ConnectionAttr.BYTES_SENT) ?? 0) +
        (getInt(a, ConnectionAttr.BYTES_RECEIVED) ?? 0) +
        (getString(a, ConnectionAttr.OUTCOME)?.length ?? 0);
    }
    return batch;
  }
}

const resources = new Map<string, RecordResource>();
function resource(host: string): RecordResource {
  let r = resources.get(host);
  if (!r) resources.set(host, (r = createResource({ [ResourceAttr.HOST_NAME]: host })));
  return r;
}

/** A connection as a decoder would produce it: most with bytes, HTTP by port, in event-time order. */
function connection(i: number, timeMs: number, host: string, exe: string): PipelineRecord {
  return new PipelineRecord({
    hrTime: msToHrTime(timeMs),
    hrTimeObserved: msToHrTime(timeMs + 50),
    eventName: EventName.CONNECTION,
    attributes: {
      [ProcessAttr.PID]: 1000 + (i % 5000),
      [ProcessAttr.EXECUTABLE_PATH]: exe,
      [ProcessAttr.COMMAND_LINE]: `${exe} --run`,
      [NetworkAttr.DESTINATION_ADDRESS]:
        i % 4 === 0 ? `10.0.${i % 7}.${i % 250}` : `203.0.${i % 13}.${i % 251}`,
      [NetworkAttr.DESTINATION_PORT]: i % 3 === 0 ? 80 : 443,
      [ConnectionAttr.OUTCOME]: i % 10 === 0 ? 'failed' : 'completed',
      ...(i % 5 === 0
        ? {}
        : {
            [ConnectionAttr.BYTES_SENT]: 200 + (i % 900),
            [ConnectionAttr.BYTES_RECEIVED]: 100 + ((i * 37) % 40_000),
          }),
      [ProvenanceAttr.BYTES_KIND]: 'acked',
    },
    resource: resource(host),
    instrumentationScope: TEST_SCOPE,
  });
}

/** 200 batches over 2 hours of event time, 20 hosts with 25 processes each. */
function batches(count: number): PipelineRecord[][] {
  const out: PipelineRecord[][] = [];
  const total = count * BATCH;
  for (let b = 0; b < count; b++) {
    const batch: PipelineRecord[] = [];
    for (let j = 0; j < BATCH; j++) {
      const i = b * BATCH + j;
      const host = `host-${i % 20}`;
      batch.push(
        connection(i, T + Math.floor((i / total) * 7_200_000), host, `/usr/bin/app-${(i * 7) % 25}`),
      );
    }
    out.push(batch);
  }
  return out;
}

async function throughput(make: () => Processor, input: PipelineRecord[][]): Promise<number> {
  const p = make();
  const start = process.hrtime.bigint();
  for (const batch of input) await p.process(batch);
  await p.shutdown();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return (input.length * BATCH) / seconds;
}

const ctx = { id: 'bench', now: () => Date.now() };
const makeAggregator = () =>
  httpFlowAggregatorFactory.create(httpFlowAggregatorFactory.config.defaults(), ctx);
const makePassThrough = () => new PassThrough(ctx);
const makeReading = () => new ReadingPassThrough(ctx);

const input = batches(200);
// Warm up both paths (JIT), then alternate measured rounds so that machine noise hits both alike.
await throughput(makeAggregator, input.slice(0, 20));
await throughput(makePassThrough, input.slice(0, 20));
await throughput(makeReading, input.slice(0, 20));
const agg: number[] = [];
const pass: number[] = [];
const reading: number[] = [];
for (let round = 0; round < 3; round++) {
  agg.push(await throughput(makeAggregator, input));
  pass.push(await throughput(makePassThrough, input));
  reading.push(await throughput(makeReading, input));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const aggRate = median(agg);
const passRate = median(pass);
console.log(`throughput (${input.length} batches of ${BATCH}, median of 3 rounds)`);
console.log(`  pass-through:          ${Math.round(passRate).toLocaleString('en')} records/s`);
console.log(`  http_flow_aggregator:  ${Math.round(aggRate).toLocaleString('en')} records/s`);
console.log(`  ratio aggregator/pass: ${(aggRate / passRate).toExponential(2)}`);
const readingRate = median(reading);
console.log(
  `  reading pass-through:  ${Math.round(readingRate).toLocaleString('en')} records/s (reads what a flow key and its counts need)`,
);
console.log(`  ratio aggregator/reading pass-through: ${(aggRate / readingRate).toFixed(3)}`);
console.log(
  `  cost per record:       ${(1e6 / aggRate).toFixed(2)} µs aggregator, ${(1e6 / passRate).toFixed(4)} µs pass-through`,
);

// The throughput batches are let go here, so that the state figures below count the aggregator's memory alone.
input.length = 0;

if (!(globalThis as { gc?: () => void }).gc) {
  console.log('state: run with --expose-gc (as `npm run bench` does) to measure heap bytes per key');
} else {
  const KEYS = 100_000;
  const config = httpFlowAggregatorFactory.config.parse({ max_keys: KEYS });
  const before = settledMemoryUsage();
  const p = httpFlowAggregatorFactory.create(config, ctx);
  // Three connections per key inside one 10-minute window that stays open; records are dropped after each batch.
  for (let b = 0; b < (3 * KEYS) / BATCH; b++) {
    const batch: PipelineRecord[] = [];
    for (let j = 0; j < BATCH; j++) {
      const i = b * BATCH + j;
      const key = i % KEYS;
      batch.push(
        connection(
          i,
          T + 1_000 + Math.floor(i / KEYS) * 60_000,
          `host-${key % 50}`,
          `/opt/app-${key}/bin/app`,
        ),
      );
    }
    await p.process(batch);
  }
  const after = settledMemoryUsage();
  const state = p.counters().state;
  console.log(`state at ${state.entries.toLocaleString('en')} keys (3 connections each, one open window)`);
  console.log(
    `  heap delta:       ${Math.round((after.heapUsed - before.heapUsed) / state.entries)} bytes/key`,
  );
  console.log(
    `  array buffers:    ${Math.round((after.arrayBuffers - before.arrayBuffers) / state.entries)} bytes/key (outside the heap)`,
  );
  console.log(`  own estimate:     ${Math.round((state.bytes ?? 0) / state.entries)} bytes/key`);
  const json = JSON.stringify(p.snapshot());
  console.log(`  snapshot (JSON):  ${Math.round(json.length / state.entries)} bytes/key`);
  // Restore of that snapshot (parsed JSON, as the runtime hands it over) into a new aggregator, median of 3.
  const restores: number[] = [];
  for (let round = 0; round < 3; round++) {
    const snapshot = JSON.parse(json) as NonNullable<ReturnType<Processor['snapshot']>>;
    const q = httpFlowAggregatorFactory.create(config, ctx);
    const started = performance.now();
    q.restore(snapshot);
    restores.push(performance.now() - started);
    await q.shutdown();
  }
  console.log(
    `  snapshot restore: ${median(restores).toFixed(0)} ms for ${state.entries.toLocaleString('en')} keys`,
  );
  await p.shutdown();
}
