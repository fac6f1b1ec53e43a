/**
 * SendingQueue against a real OTLP/HTTP backend on 127.0.0.1 (the test sink), in memory and on disk: outages,
 * Retry-After, rejections, partial success, the byte bound, max_elapsed_time, shutdown, and a process killed with
 * SIGKILL whose queue the next start sends.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { setErrorHandler, stderrErrorHandler, type ReportedError } from '@egressguard/core';

import type { PipelineRecord } from '@egressguard/schema';

import {
  createOtlpExporter,
  encodeLogsProto,
  ExportError,
  SendingQueue,
  type RecordExporter,
  type SendingQueueOptions,
} from '../src/index.ts';
import { sampleRecords } from './support/sample-records.ts';
import { range, seqRecords, seqs } from './support/seq-records.ts';
import { startSink, type Sink } from './support/sink.ts';

const FAST_RETRY = { enabled: true, initialIntervalMs: 20, maxIntervalMs: 100, maxElapsedTimeMs: 0 };

async function until(what: string, condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A loopback port nothing listens on (bound once, then released). */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function captureReports(): ReportedError[] {
  const reports: ReportedError[] = [];
  setErrorHandler((e) => reports.push(e));
  return reports;
}

const STORAGES = ['memory', 'file'] as const;

describe('SendingQueue', () => {
  let dir: string;
  let sink: Sink;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'egressguard-sending-queue-'));
    sink = await startSink();
  });
  after(async () => {
    setErrorHandler(stderrErrorHandler);
    await sink.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const reset = () => {
    sink.records.length = 0;
    sink.requests.length = 0;
    sink.answers.length = 0;
    sink.status = 200;
    sink.retryAfter = undefined;
    sink.partialRejected = undefined;
  };
  let n = 0;
  const open = (storage: 'memory' | 'file', options: Partial<SendingQueueOptions> = {}) =>
    SendingQueue.open({
      exporter: createOtlpExporter({ endpoint: sink.url, timeoutMs: 2000 }),
      name: 'exporter test',
      maxBytes: 16 * 1024 * 1024,
      maxBatchRecords: 20,
      flushIntervalMs: 10,
      retry: FAST_RETRY,
      ...(storage === 'file' ? { storage: { directory: join(dir, `q${++n}`) } } : {}),
      ...options,
    });

  for (const storage of STORAGES) {
    it(`${storage}: a backend down for a while gets every queued record once it is up, in order`, async () => {
      const port = await freePort();
      const queue = await SendingQueue.open({
        exporter: createOtlpExporter({ endpoint: `http://127.0.0.1:${port}`, timeoutMs: 2000 }),
        name: 'exporter outage',
        maxBytes: 16 * 1024 * 1024,
        maxBatchRecords: 20,
        flushIntervalMs: 10,
        retry: FAST_RETRY,
        ...(storage === 'file' ? { storage: { directory: join(dir, `outage-${storage}`) } } : {}),
      });
      const reports = captureReports();
      for (let b = 0; b < 10; b++) assert.equal(queue.tryEnqueue(seqRecords(b * 7, 7)), true);
      await until('retries against the down backend', () => queue.counters().retried > 0);
      assert.equal(queue.counters().sent, 0);
      assert.equal(queue.counters().queuedRecords, 70, 'nothing leaves the queue unacknowledged');
      const backend = await startSink(port);
      try {
        await until('every record to arrive', () => queue.counters().sent === 70);
        assert.deepEqual(seqs(backend.records), range(70), 'every record, once, in order');
        const c = queue.counters();
        assert.deepEqual(
          { rejected: c.rejected, failed: c.failed, queued: c.queuedRecords, bytes: c.queuedBytes },
          { rejected: 0, failed: 0, queued: 0, bytes: 0 },
        );
        assert.deepEqual(reports, [], 'retries are not errors');
      } finally {
        await queue.shutdown();
        await backend.close();
      }
    });
  }

  it('honours 503 with Retry-After: the next attempt waits for the server’s hint, not the short back-off', async () => {
    reset();
    sink.answers.push(503);
    sink.retryAfter = '1';
    const queue = await open('memory');
    try {
      queue.tryEnqueue(seqRecords(0, 5));
      await until('delivery after the 503', () => queue.counters().sent === 5);
      assert.deepEqual(
        sink.requests.map((r) => r.status),
        [503, 200],
      );
      const gap = sink.requests[1].at - sink.requests[0].at;
      // The back-off alone would retry after 10–30 ms; the hint says one second (a loaded machine only adds).
      assert.ok(gap >= 900, `retried ${gap.toFixed(0)} ms after the 503`);
      assert.equal(queue.counters().retried, 5);
    } finally {
      await queue.shutdown();
    }
  });

  it('does not retry a 400: the records are counted as rejected and reported, and the next batch goes', async () => {
    reset();
    const reports = captureReports();
    sink.answers.push(400);
    const queue = await open('file');
    try {
      queue.tryEnqueue(seqRecords(0, 6));
      await until('the rejection', () => queue.counters().rejected === 6);
      queue.tryEnqueue(seqRecords(6, 4));
      await until('the next batch', () => queue.counters().sent === 4);
      const c = queue.counters();
      assert.deepEqual([c.rejected, c.retried, c.failed, c.queuedRecords], [6, 0, 0, 0]);
      assert.deepEqual(
        sink.requests.map((r) => r.status),
        [400, 200],
        'the refused batch was sent once',
      );
      assert.deepEqual(seqs(sink.records), [6, 7, 8, 9]);
      assert.equal(reports.length, 1);
      assert.equal(reports[0].component, 'exporter test');
      assert.equal(reports[0].reason, 'export_rejected');
      assert.match(reports[0].message, /6 of 6 records rejected/);
    } finally {
      await queue.shutdown();
    }
  });

  for (const protocol of ['http/protobuf', 'http/json'] as const) {
    it(`counts a partial success’s rejected records as rejected and the rest as sent (${protocol})`, async () => {
      reset();
      const reports = captureReports();
      sink.partialRejected = 3;
      const queue = await open('memory', {
        exporter: createOtlpExporter({ endpoint: sink.url, protocol }),
      });
      try {
        queue.tryEnqueue(seqRecords(0, 10));
        await until('the answer', () => queue.counters().queuedRecords === 0);
        const c = queue.counters();
        assert.deepEqual([c.sent, c.rejected, c.retried], [7, 3, 0]);
        assert.equal(sink.requests.length, 1, 'a partial success is not retried');
        assert.equal(reports[0]?.reason, 'export_rejected');
        assert.match(reports[0].message, /3 of 10 records rejected/);
        assert.match(String((reports[0].cause as Error).message), /too old/);
      } finally {
        await queue.shutdown();
      }
    });
  }

  for (const storage of STORAGES) {
    it(`${storage}: refuses a batch that does not fit in maxBytes, whole, and counts it as queue_full`, async () => {
      reset();
      sink.status = 503;
      const probe = await open(storage);
      const one = probe.estimateBytes(seqRecords(0, 10));
      await probe.shutdown();
      const queue = await open(storage, {
        maxBytes: Math.ceil(one * 2.5),
        retry: { ...FAST_RETRY, initialIntervalMs: 50 },
      });
      try {
        assert.equal(queue.fits(one * 10), true, 'an empty queue takes any one batch');
        assert.equal(queue.tryEnqueue(seqRecords(0, 10)), true);
        assert.equal(queue.tryEnqueue(seqRecords(10, 10)), true);
        const free = queue.freeBytes();
        assert.ok(free < one, `free ${free} < ${one}`);
        assert.equal(queue.fits(one), false);
        assert.equal(queue.tryEnqueue(seqRecords(20, 10)), false, 'a third batch does not fit');
        assert.equal(queue.counters().queueFull, 10);
        assert.equal(queue.counters().queuedRecords, 20, 'nothing of the refused batch was taken');
        sink.status = 200;
        await until('the queue to empty', () => queue.counters().queuedRecords === 0);
        assert.deepEqual(seqs(sink.records), range(20));
        assert.equal(queue.tryEnqueue(seqRecords(20, 10)), true, 'room again');
      } finally {
        await queue.shutdown();
      }
    });
  }

  it('an empty queue takes one batch larger than maxBytes, so that its sender is not refused for ever', async () => {
    reset();
    const queue = await open('file', { maxBytes: 100 });
    try {
      assert.equal(queue.tryEnqueue(seqRecords(0, 10)), true);
      assert.equal(queue.tryEnqueue(seqRecords(10, 1)), false);
      await until('delivery', () => queue.counters().sent === 10);
      assert.equal(queue.fits(1_000_000), true);
    } finally {
      await queue.shutdown();
    }
  });

  it('memory: a batch past max_elapsed_time is given up, counted as failed and reported naming the exporter', async () => {
    reset();
    const reports = captureReports();
    sink.status = 503;
    const queue = await open('memory', {
      retry: { enabled: true, initialIntervalMs: 20, maxIntervalMs: 50, maxElapsedTimeMs: 300 },
    });
    try {
      queue.tryEnqueue(seqRecords(0, 4));
      await until('the batch to be given up', () => queue.counters().failed === 4);
      const c = queue.counters();
      assert.ok(c.retried >= 4, JSON.stringify(c));
      assert.equal(c.queuedRecords, 0);
      assert.equal(reports.at(-1)?.component, 'exporter test');
      assert.equal(reports.at(-1)?.reason, 'export_failed');
      assert.match(reports.at(-1)!.message, /4 records could not be exported/);
    } finally {
      await queue.shutdown();
    }
  });

  it('file: a batch past max_elapsed_time is reported as stalled and kept, and delivered when the backend is back', async () => {
    reset();
    const reports = captureReports();
    sink.status = 503;
    const queue = await open('file', {
      retry: { enabled: true, initialIntervalMs: 20, maxIntervalMs: 50, maxElapsedTimeMs: 200 },
    });
    try {
      queue.tryEnqueue(seqRecords(0, 4));
      await until('the stall report', () => reports.some((r) => r.reason === 'export_stalled'));
      assert.equal(queue.counters().stalled, 4);
      assert.equal(queue.counters().failed, 0);
      assert.equal(queue.counters().queuedRecords, 4, 'still queued');
      assert.equal(reports.filter((r) => r.reason === 'export_stalled').length, 1, 'reported once');
      sink.status = 200;
      await until('delivery', () => queue.counters().sent === 4);
      assert.deepEqual(seqs(sink.records), range(4));
    } finally {
      await queue.shutdown();
    }
  });

  it('file: shutdown leaves what was not delivered on disk, and the next open sends it first', async () => {
    reset();
    sink.status = 503;
    const directory = join(dir, 'restart');
    const first = await open('file', { storage: { directory } });
    first.tryEnqueue(seqRecords(0, 15));
    first.tryEnqueue(seqRecords(15, 15));
    await until('a failed attempt', () => first.counters().retried > 0);
    await first.drain(5000);
    await first.shutdown();
    assert.equal(first.counters().queuedRecords, 30, 'kept, not failed');
    assert.equal(first.counters().failed, 0);
    sink.status = 200;
    const second = await open('file', { storage: { directory } });
    try {
      assert.equal(second.counters().queuedRecords, 30, 'reloaded');
      assert.equal(second.tryEnqueue(seqRecords(30, 5)), true);
      await until('everything', () => second.counters().sent === 35);
      assert.deepEqual(seqs(sink.records), range(35), 'the previous run’s records first, in order');
    } finally {
      await second.shutdown();
    }
  });

  it('memory: shutdown counts what it could not deliver as failed and reports it', async () => {
    reset();
    const reports = captureReports();
    sink.status = 503;
    const queue = await open('memory');
    queue.tryEnqueue(seqRecords(0, 8));
    await queue.drain(5000);
    await queue.shutdown();
    const c = queue.counters();
    assert.deepEqual([c.sent, c.failed, c.queuedRecords], [0, 8, 0]);
    assert.ok(
      reports.some(
        (r) => r.reason === 'export_failed' && /8 records not exported before shutdown/.test(r.message),
      ),
    );
    assert.equal(queue.tryEnqueue(seqRecords(8, 1)), false, 'nothing is taken after shutdown');
  });

  it('drain sends a partial batch at once and resolves when the backend acknowledged it', async () => {
    reset();
    const queue = await open('file', { flushIntervalMs: 600_000 });
    try {
      queue.tryEnqueue(seqRecords(0, 3));
      await queue.sync();
      assert.equal(sink.records.length, 0, 'waiting for the batch to fill');
      await queue.drain();
      assert.deepEqual(seqs(sink.records), [0, 1, 2]);
      assert.equal(queue.counters().queuedRecords, 0);
    } finally {
      await queue.shutdown();
    }
  });

  it('decides by ExportError alone: another exporter’s permanent error is not retried, a plain error is', async () => {
    const reports = captureReports();
    const calls: number[] = [];
    let failWith: Error | undefined = new ExportError('permanent', 'INVALID_ARGUMENT');
    const exporter: RecordExporter = {
      export: (records) => {
        calls.push(records.length);
        const error = failWith;
        failWith = undefined;
        if (error === undefined) return Promise.resolve();
        return Promise.reject(error);
      },
      forceFlush: () => Promise.resolve(),
      shutdown: () => Promise.resolve(),
    };
    const queue = await open('memory', { exporter });
    try {
      queue.tryEnqueue(seqRecords(0, 2));
      await until('rejection', () => queue.counters().rejected === 2);
      failWith = new Error('socket hang up');
      queue.tryEnqueue(seqRecords(2, 3));
      await until('delivery after a retry', () => queue.counters().sent === 3);
      assert.deepEqual(calls, [2, 3, 3]);
      assert.equal(queue.counters().retried, 3);
      assert.equal(reports.length, 1);
    } finally {
      await queue.shutdown();
    }
  });

  it('file: records read back from disk (beyond the memory cache) are sent as they were queued', async () => {
    const exported: PipelineRecord[][] = [];
    let down = true;
    const exporter: RecordExporter = {
      export: (records) => {
        if (down) return Promise.reject(new ExportError('retryable', 'down'));
        exported.push(records);
        return Promise.resolve();
      },
      forceFlush: () => Promise.resolve(),
      shutdown: () => Promise.resolve(),
    };
    // No memory cache: every batch is written, dropped from memory, read back and decoded when its turn comes.
    const queue = await open('file', { exporter, memoryCacheBytes: 0, maxBatchRecords: 6 });
    try {
      const batches = [sampleRecords(6), sampleRecords(6), sampleRecords(6)];
      for (const b of batches) assert.equal(queue.tryEnqueue(b), true);
      await queue.sync();
      await until('a failed attempt', () => queue.counters().retried > 0);
      down = false;
      await until('delivery', () => queue.counters().sent === 18);
      assert.equal(exported.length, 3);
      for (let i = 0; i < 3; i++) {
        // The first batch was taken for sending before its write; the others waited behind it, on disk only.
        if (i > 0) assert.notEqual(exported[i][0], batches[i][0], `batch ${i} was read back`);
        assert.deepEqual(encodeLogsProto(exported[i]), encodeLogsProto(batches[i]), `batch ${i}`);
      }
    } finally {
      await queue.shutdown();
    }
  });

  it('rejects bad options naming them', async () => {
    const exporter = createOtlpExporter({ endpoint: sink.url });
    const base = { exporter, name: 'exporter x', maxBytes: 1000, retry: FAST_RETRY };
    await assert.rejects(SendingQueue.open({ ...base, maxBytes: 0 }), /maxBytes must be a positive integer/);
    await assert.rejects(SendingQueue.open({ ...base, maxBatchRecords: 1.5 }), /maxBatchRecords/);
    await assert.rejects(
      SendingQueue.open({ ...base, retry: { ...FAST_RETRY, initialIntervalMs: 500, maxIntervalMs: 100 } }),
      /retry.maxIntervalMs \(100\) must be >= retry.initialIntervalMs/,
    );
    await assert.rejects(
      SendingQueue.open({ ...base, retry: { ...FAST_RETRY, multiplier: 0.5 } }),
      /retry.multiplier/,
    );
    await exporter.shutdown();
  });

  it('file: a process killed with SIGKILL leaves its synced batches; the next open sends them, not the acknowledged ones', async () => {
    reset();
    const reports = captureReports();
    const directory = join(dir, 'killed');
    // The first batch is acknowledged; the later ones meet 503s until the child is dead.
    sink.answers.push(200);
    sink.status = 503;
    const child = spawn(
      process.execPath,
      [
        '--experimental-strip-types',
        '--disable-warning=ExperimentalWarning',
        '--conditions=egressguard-source',
        join(import.meta.dirname, 'support', 'queue-child.ts'),
        directory,
        sink.url,
        '1',
        '4',
        '10',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += String(d)));
    child.stderr.on('data', (d: Buffer) => (stderr += String(d)));
    try {
      await until(
        'the child to queue and sync',
        () => stdout.includes('ready') || child.exitCode !== null,
        30_000,
      );
      assert.ok(stdout.includes('ready'), stderr);
      process.kill(child.pid!, 'SIGKILL');
      await once(child, 'exit');
    } finally {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGKILL');
    }
    assert.equal(child.signalCode, 'SIGKILL');
    assert.deepEqual(
      seqs(sink.records),
      range(10),
      'only the first batch reached the backend before the kill',
    );
    // A kill in mid-write leaves a torn frame at the end of the last segment: simulated by appending half a header.
    const segments = readdirSync(directory)
      .filter((f) => f.startsWith('segment-'))
      .sort();
    appendFileSync(join(directory, segments.at(-1)!), Buffer.from('EGQ1\x10\x00'));

    sink.records.length = 0;
    sink.status = 200;
    const queue = await open('file', { storage: { directory }, maxBatchRecords: 10 });
    try {
      assert.equal(queue.counters().queuedRecords, 40, 'the four unacknowledged batches are back');
      await until('their delivery', () => queue.counters().sent === 40);
      assert.deepEqual(
        seqs(sink.records),
        range(40).map((i) => i + 10),
        'in order, the acknowledged batch not again',
      );
      assert.ok(
        reports.some((r) => r.reason === 'queue_segment_damaged' && /6 bytes/.test(r.message)),
        JSON.stringify(reports),
      );
    } finally {
      await queue.shutdown();
    }
    // Everything acknowledged: nothing is left to send at the next start.
    const again = await open('file', { storage: { directory } });
    assert.equal(again.counters().queuedRecords, 0);
    await again.shutdown();
  });
});
