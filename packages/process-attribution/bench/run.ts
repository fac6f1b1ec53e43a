/**
 * Enrich throughput with warm state, as a ratio to a pass-through processor measured in the same run.
 * Batches of 1,000 records; every batch is a fresh copy of its templates (the enricher writes in place), and the
 * pass-through copies the same way, so the copy cost is on both sides of the ratio.
 *
 *   npm run bench -w @egressguard/process-attribution
 */
import { readdirSync } from 'node:fs';
import { hostname } from 'node:os';

import {
  BaseProcessor,
  type Processor,
  type ProcessorContext,
  type ProcessorMetadata,
} from '@egressguard/core';
import { makeConnection, makeProcessExec } from '@egressguard/core/testing';
import {
  NetworkAttr,
  ProcessAttr,
  ProvenanceAttr,
  cloneRecord,
  type PipelineRecord,
} from '@egressguard/schema';

import { processAttributionFactory } from '../src/index.ts';

const BATCH = 1_000;
const MEASURE_MS = 1_500;
const T0 = Date.now();

class PassThrough extends BaseProcessor {
  override readonly metadata: ProcessorMetadata = {
    type: 'pass_through',
    description: 'returns every batch as it is',
    stability: 'development',
    stateful: false,
    reads: { events: [], attributes: [] },
    writes: { events: [], attributes: [] },
  };
  protected processBatch(batch: PipelineRecord[]): PipelineRecord[] {
    return batch;
  }
}

const context = (id: string): ProcessorContext => ({ id, now: Date.now });
const enricher = (config: unknown) =>
  processAttributionFactory.create(
    processAttributionFactory.config.parse(config),
    context('process_attribution/bench'),
  );

async function throughput(p: Processor, templates: PipelineRecord[]): Promise<number> {
  // Warm-up, then as many batches as fit in the measuring time.
  for (let i = 0; i < 20; i++) await p.process(templates.map(cloneRecord));
  let records = 0;
  const start = performance.now();
  while (performance.now() - start < MEASURE_MS) {
    await p.process(templates.map(cloneRecord));
    records += templates.length;
  }
  return records / ((performance.now() - start) / 1000);
}

interface Scenario {
  readonly name: string;
  readonly config: unknown;
  /** Records fed once before measuring (process table, join buffer). */
  readonly warm: PipelineRecord[];
  readonly batch: PipelineRecord[];
}

const host = 'bench-host';
const pids = Array.from({ length: BATCH }, (_, i) => 10_000 + i);
const execs = pids.map((pid) =>
  makeProcessExec(
    {
      [ProcessAttr.PID]: pid,
      [ProcessAttr.EXECUTABLE_PATH]: `/usr/bin/tool${pid % 50}`,
      [ProcessAttr.COMMAND_LINE]: `tool --id ${pid}`,
    },
    { host, timeMs: T0 - 60_000 },
  ),
);
const dst = (i: number) => ({
  [NetworkAttr.DESTINATION_ADDRESS]: `198.51.100.${i % 250}`,
  [NetworkAttr.DESTINATION_PORT]: 80,
});

const livePids = readdirSync('/proc')
  .filter((n) => /^\d+$/.test(n))
  .map(Number)
  .slice(0, 50);

const scenarios: Scenario[] = [
  {
    name: 'pid -> process table',
    config: {},
    warm: execs,
    batch: pids.map((pid, i) => makeConnection({ [ProcessAttr.PID]: pid, ...dst(i) }, { host, timeMs: T0 })),
  },
  {
    name: 'sensor event, filled from table',
    config: {},
    warm: execs,
    batch: pids.map((pid, i) =>
      makeConnection(
        { [ProcessAttr.PID]: pid, [ProcessAttr.EXECUTABLE_PATH]: '/usr/bin/x', ...dst(i) },
        { host, timeMs: T0 },
      ),
    ),
  },
  {
    name: 'join Zeek to Tetragon (5-tuple)',
    config: { join: { wait_ms: 0, buffer_ms: 3_600_000 } },
    warm: pids.map((pid, i) =>
      makeConnection(
        {
          [ProvenanceAttr.SOURCE_FORMAT]: 'tetragon',
          [ProcessAttr.PID]: pid,
          [ProcessAttr.EXECUTABLE_PATH]: '/tmp/.x/kworkerd',
          [NetworkAttr.SOURCE_ADDRESS]: '10.0.0.5',
          [NetworkAttr.SOURCE_PORT]: 30_000 + i,
          ...dst(i),
        },
        { host, timeMs: T0 },
      ),
    ),
    batch: pids.map((_pid, i) =>
      makeConnection(
        {
          [ProvenanceAttr.SOURCE_FORMAT]: 'zeek.conn',
          [NetworkAttr.SOURCE_ADDRESS]: '10.0.0.5',
          [NetworkAttr.SOURCE_PORT]: 30_000 + i,
          ...dst(i),
        },
        { host, timeMs: T0 + 100 },
      ),
    ),
  },
  {
    name: 'procfs by pid (real /proc, warm cache)',
    config: { rules: ['procfs'], procfs: { enabled: true } },
    warm: [],
    batch: pids.map((_pid, i) =>
      makeConnection(
        { [ProcessAttr.PID]: livePids[i % livePids.length], ...dst(i) },
        { host: hostname(), timeMs: T0 },
      ),
    ),
  },
];

const baseline = await throughput(new PassThrough(context('pass_through')), scenarios[0].batch);
console.log(`batch ${BATCH} records, ${MEASURE_MS} ms per measurement, node ${process.version}`);
console.log(`pass-through: ${Math.round(baseline).toLocaleString('en')} records/s`);
for (const s of scenarios) {
  const p = enricher(s.config);
  if (s.warm.length > 0) await p.process(s.warm.map(cloneRecord));
  const rate = await throughput(p, s.batch);
  const events = p.counters().events;
  const methods = Object.entries(events)
    .filter(([k]) => k.startsWith('attributed_') || k.startsWith('unattributed_'))
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  console.log(
    `${s.name.padEnd(40)} ${Math.round(rate).toLocaleString('en').padStart(12)} records/s   ratio to pass-through ${(rate / baseline).toFixed(3)}   (${methods})`,
  );
  await p.shutdown();
}
