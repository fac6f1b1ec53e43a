/**
 * Throughput of the ratio detector against a baseline measured in the same run: a loop that only reads, with the
 * schema's typed accessor, the flow attributes the rules read (the least any detector must do). Prints records per
 * second and the ratio to the baseline; never asserts timings.
 *
 *   npm run bench -w @egressguard/ratio-detector
 */
import { makeRecord } from '@egressguard/core/testing';
import { EventName, FlowAttr, NoveltyAttr, ProcessAttr, get, type PipelineRecord } from '@egressguard/schema';

import { ratioDetectorFactory } from '../src/index.ts';

const T0 = 1_764_460_800_000;
const KEYS = 2000;
const WINDOWS = 10;

function flows(): PipelineRecord[] {
  const out: PipelineRecord[] = [];
  for (let w = 0; w < WINDOWS; w++) {
    for (let k = 0; k < KEYS; k++) {
      // One key in 50 is a beacon; the rest are known processes or too quiet.
      const beacon = k % 50 === 0;
      const conns = beacon ? 60 : 1 + (k % 12);
      out.push(
        makeRecord(
          EventName.HTTP_FLOW,
          {
            [FlowAttr.KEY]: `host-${k % 20}|/usr/bin/p${k}`,
            [FlowAttr.WINDOW_START]: T0 + w * 600_000,
            [FlowAttr.WINDOW_END]: T0 + (w + 1) * 600_000,
            [FlowAttr.REVISION]: 0,
            [FlowAttr.CONNECTIONS]: conns,
            [FlowAttr.EXTERNAL]: conns,
            [FlowAttr.INTERNAL]: 0,
            [FlowAttr.FAILED]: 0,
            [FlowAttr.EXTERNAL_FAILED]: 0,
            [FlowAttr.EXTERNAL_COMPLETED]: conns,
            [FlowAttr.EXTERNAL_WITH_BYTES]: conns,
            [FlowAttr.EXTERNAL_BYTES_SENT]: conns * 400,
            [FlowAttr.EXTERNAL_BYTES_RECEIVED]: conns * (beacon ? 150 : 30_000),
            [FlowAttr.INTERVAL_CV]: beacon ? 0.05 : 0.8,
            [FlowAttr.INTERVAL_MEAN_MS]: 10_000,
            [ProcessAttr.EXECUTABLE_PATH]: `/usr/bin/p${k}`,
            [NoveltyAttr.STATUS]: beacon ? 'new' : k % 3 === 0 ? 'rare' : 'known',
            [NoveltyAttr.CUSTOM]: beacon,
          },
          { timeMs: T0 + w * 600_000, host: `host-${k % 20}` },
        ),
      );
    }
  }
  return out;
}

const READ = [
  FlowAttr.KEY,
  FlowAttr.WINDOW_START,
  FlowAttr.WINDOW_END,
  FlowAttr.CONNECTIONS,
  FlowAttr.EXTERNAL,
  FlowAttr.EXTERNAL_FAILED,
  FlowAttr.EXTERNAL_WITH_BYTES,
  FlowAttr.EXTERNAL_BYTES_SENT,
  FlowAttr.EXTERNAL_BYTES_RECEIVED,
  FlowAttr.INTERVAL_CV,
  NoveltyAttr.STATUS,
  NoveltyAttr.CUSTOM,
] as const;

function baseline(records: PipelineRecord[]): number {
  let sink = 0;
  for (const r of records) for (const key of READ) if (get(r.attributes, key) !== undefined) sink++;
  return sink;
}

async function detect(records: PipelineRecord[], config: unknown): Promise<number> {
  const p = ratioDetectorFactory.create(ratioDetectorFactory.config.parse(config), {
    id: 'ratio_detector/bench',
    now: () => T0,
  });
  let detections = 0;
  for (let i = 0; i < records.length; i += 500) {
    for (const r of await p.process(records.slice(i, i + 500)))
      if (r.eventName === EventName.DETECTION) detections++;
  }
  await p.shutdown();
  return detections;
}

async function time(fn: () => unknown): Promise<number> {
  const best: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = process.hrtime.bigint();
    await fn();
    best.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return Math.min(...best);
}

const records = flows();
const n = records.length;
const base = await time(() => baseline(records));
const rows: [string, number, string][] = [['baseline: typed reads of the rule inputs', base, '']];
for (const [name, config] of [
  ['ratio_detector, defaults', {}],
  [
    'ratio_detector, adaptive + siblings on',
    {
      adaptive: { enabled: true, min_windows: 4 },
      rules: { an0144_byte_ratio: { enabled: true }, an0146_long_session: { enabled: true } },
    },
  ],
] as const) {
  const detections = await detect(records, config);
  rows.push([name, await time(() => detect(records, config)), `${detections} detections`]);
}
console.log(`${n} flow records (${KEYS} keys x ${WINDOWS} windows), best of 5 runs`);
for (const [name, ms, note] of rows) {
  console.log(
    `${name.padEnd(44)} ${Math.round(n / (ms / 1000))
      .toLocaleString('en')
      .padStart(12)} rec/s  ${(ms / base).toFixed(1).padStart(6)}x baseline  ${note}`,
  );
}
const heapBefore = process.memoryUsage().heapUsed;
const p = ratioDetectorFactory.create(ratioDetectorFactory.config.parse({ adaptive: { enabled: true } }), {
  id: 'm',
  now: () => T0,
});
await p.process(records);
globalThis.gc?.();
const c = p.counters();
console.log(
  `state after ${n} flows with adaptive on: ${c.state.entries} entries, estimate ${c.state.bytes ?? 0} B, heap delta ${Math.round((process.memoryUsage().heapUsed - heapBefore) / 1024)} KiB`,
);
await p.shutdown();
