/**
 * SendingQueue throughput, in memory (the baseline) against file storage, in one run on the same records:
 * 1,000-record batches handed to the queue as fast as it takes them, through to an exporter that encodes each batch
 * as the OTLP/HTTP exporter would (OTLP protobuf) and acknowledges at once, so that what is measured is the queue:
 * in memory, holding and batching; on disk, encoding, framing, writing, reading back beyond the cache and
 * decoding, and the cursor. Two file cases: without `sync()` (what survives a killed process), and with a
 * `sync()` after every batch (what also survives a power loss; one fdatasync per batch here, since nothing runs
 * concurrently to share it).
 *
 *   npm run bench -w @egressguard/otlp        (BENCH_QUEUE_BATCHES=N to change the 60 batches per case and round)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import { EventName, PipelineRecord, createResource } from '@egressguard/schema';

import { encodeLogsProto, SendingQueue, type RecordExporter } from '../src/index.ts';

const BATCHES = Number(process.env['BENCH_QUEUE_BATCHES'] ?? 60);
const PER_BATCH = 1000;

function batch(first: number): PipelineRecord[] {
  const resource = createResource({ 'host.name': 'web-01', 'host.id': 'a1' });
  const scope = { name: 'egressguard.sensor.bpftrace', version: '0.3.1' };
  const out: PipelineRecord[] = [];
  for (let i = 0; i < PER_BATCH; i++) {
    const ms = 1_764_460_800_000 + (first + i) * 37;
    out.push(
      new PipelineRecord({
        hrTime: [Math.floor(ms / 1000), (ms % 1000) * 1e6],
        hrTimeObserved: [Math.floor(ms / 1000), (ms % 1000) * 1e6 + 500],
        eventName: EventName.CONNECTION,
        attributes: {
          'process.pid': 4000 + (i % 50),
          'process.executable.path': i % 7 === 0 ? '/tmp/.x/kworkerd' : '/usr/bin/curl',
          'process.command_line': `curl -s https://updates.example.com/v${i % 9}/manifest.json`,
          'network.transport': 'tcp',
          'source.address': '10.0.0.5',
          'source.port': 40000 + (i % 20000),
          'destination.address': '203.0.113.7',
          'destination.port': 443,
          'egressguard.connection.bytes_sent': 812,
          'egressguard.connection.bytes_received': 96,
          'egressguard.connection.outcome': 'completed',
          'egressguard.source.format': 'bpftrace',
        },
        resource,
        instrumentationScope: scope,
      }),
    );
  }
  return out;
}

/** Acknowledges at once, after encoding the batch as the OTLP/HTTP exporter does. */
function encodingExporter(): RecordExporter {
  return {
    export: (records) => {
      encodeLogsProto(records);
      return Promise.resolve();
    },
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
}

interface Case {
  name: string;
  recordsPerSecond: number;
}

async function runCase(name: string, directory: string | undefined, syncEach: boolean): Promise<Case> {
  const queue = await SendingQueue.open({
    exporter: encodingExporter(),
    name: 'bench',
    maxBytes: 64 * 1024 * 1024,
    maxBatchRecords: PER_BATCH,
    flushIntervalMs: 0,
    ...(directory ? { storage: { directory } } : {}),
    retry: { enabled: true, initialIntervalMs: 10, maxIntervalMs: 100, maxElapsedTimeMs: 0 },
  });
  const batches = Array.from({ length: 20 }, (_, i) => batch(i * PER_BATCH));
  const total = BATCHES * PER_BATCH;
  const start = performance.now();
  for (let b = 0; b < BATCHES; b++) {
    const records = batches[b % batches.length];
    while (!queue.tryEnqueue(records)) await new Promise((resolve) => setImmediate(resolve));
    if (syncEach) await queue.sync();
    // Let the consumer run now and then, as the event loop does between requests.
    if (b % 8 === 7) await new Promise((resolve) => setImmediate(resolve));
  }
  while (queue.counters().sent < total) await new Promise((resolve) => setImmediate(resolve));
  const seconds = (performance.now() - start) / 1000;
  await queue.shutdown();
  const recordsPerSecond = total / seconds;
  console.log(
    `${name.padEnd(58)} ${Math.round(recordsPerSecond).toLocaleString('en-US').padStart(12)} records/s`,
  );
  return { name, recordsPerSecond };
}

const ROUNDS = 3;
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const dir = mkdtempSync(join(tmpdir(), 'egressguard-queue-bench-'));
try {
  console.log(
    `\nSendingQueue, ${BATCHES} batches of ${PER_BATCH} records through an encoding, at-once exporter (${tmpdir()}); ` +
      `${ROUNDS} rounds, each case once per round; ratios are the median of the per-round ratios`,
  );
  const fileRatios: number[] = [];
  const syncedRatios: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const memory = await runCase(`round ${round}: baseline: memory storage`, undefined, false);
    const file = await runCase(`round ${round}: file storage`, join(dir, `file-${round}`), false);
    const synced = await runCase(
      `round ${round}: file storage, sync() after every batch`,
      join(dir, `synced-${round}`),
      true,
    );
    fileRatios.push(file.recordsPerSecond / memory.recordsPerSecond);
    syncedRatios.push(synced.recordsPerSecond / memory.recordsPerSecond);
  }
  console.log('');
  console.log(`file / memory throughput:                      ${median(fileRatios).toFixed(2)}x`);
  console.log(`file with sync per batch / memory throughput:  ${median(syncedRatios).toFixed(2)}x`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
