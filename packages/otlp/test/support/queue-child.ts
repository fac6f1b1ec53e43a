/**
 * A process holding a file-backed SendingQueue, for the crash test: it sends a first batch to the backend (which
 * acknowledges it), waits until the acknowledgement is recorded on disk, then queues more batches that the backend
 * refuses (503), syncs them, says `ready` on stdout, and waits to be killed.
 *
 *   node … queue-child.ts <queue directory> <backend url> <first batch> <later batches> <records per batch>
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { createOtlpExporter, SendingQueue } from '../../src/index.ts';
import { seqRecords } from './seq-records.ts';

const [directory, url, first, later, per] = process.argv.slice(2);
const queue = await SendingQueue.open({
  exporter: createOtlpExporter({ endpoint: url, timeoutMs: 2000 }),
  name: 'exporter crash-test',
  maxBytes: 64 * 1024 * 1024,
  maxBatchRecords: Number(per),
  flushIntervalMs: 0,
  storage: { directory },
  retry: { enabled: true, initialIntervalMs: 50, maxIntervalMs: 100, maxElapsedTimeMs: 0 },
});

const n = Number(per);
let seq = 0;
for (let b = 0; b < Number(first); b++, seq += n) queue.tryEnqueue(seqRecords(seq, n));
const acked = (): number => {
  try {
    return Number(readFileSync(join(directory, 'acked'), 'utf8'));
  } catch {
    return 0;
  }
};
while (queue.counters().sent < Number(first) * n || acked() < Number(first))
  await new Promise((resolve) => setTimeout(resolve, 10));
for (let b = 0; b < Number(later); b++, seq += n) queue.tryEnqueue(seqRecords(seq, n));
await queue.sync();
process.stdout.write('ready\n');
setInterval(() => undefined, 60_000);
