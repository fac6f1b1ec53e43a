import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { setErrorHandler, stderrErrorHandler, type ReportedError } from '@egressguard/core';
import type { PipelineRecord } from '@egressguard/schema';

import { ExportQueue, type RecordExporter } from '../src/index.ts';
import { sampleRecords } from './support/sample-records.ts';

/** An in-memory exporter whose exports can be held open or made to fail. */
class RecordingExporter implements RecordExporter {
  readonly batches: PipelineRecord[][] = [];
  failNext = 0;
  hold: Promise<void> | undefined;
  shutdowns = 0;
  async export(records: PipelineRecord[]): Promise<void> {
    await this.hold;
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error('backend down');
    }
    this.batches.push(records);
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    this.shutdowns += 1;
    return Promise.resolve();
  }
}

function records(n: number): PipelineRecord[] {
  return sampleRecords(n);
}

describe('ExportQueue', () => {
  afterEach(() => setErrorHandler(stderrErrorHandler));

  it('sends full batches at once and the rest after the flush interval', async () => {
    const exporter = new RecordingExporter();
    const queue = new ExportQueue({ exporter, maxBatchRecords: 4, flushIntervalMs: 30 });
    assert.equal(queue.enqueue(records(10)), true);
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.deepEqual(
      exporter.batches.map((b) => b.length),
      [4, 4],
    );
    await new Promise((resolve) => setTimeout(resolve, 80));
    assert.deepEqual(
      exporter.batches.map((b) => b.length),
      [4, 4, 2],
    );
    assert.deepEqual(queue.counters(), { sent: 10, failed: 0, dropped: {}, queued: 0 });
    await queue.shutdown();
  });

  it('is bounded: drops whole batches that do not fit and counts them', async () => {
    const exporter = new RecordingExporter();
    let release: () => void = () => undefined;
    exporter.hold = new Promise((resolve) => {
      release = resolve;
    });
    const queue = new ExportQueue({
      exporter,
      maxQueueRecords: 10,
      maxBatchRecords: 5,
      flushIntervalMs: 10_000,
    });
    assert.equal(queue.enqueue(records(6)), true); // a batch of 5 goes in flight, 1 waits
    assert.equal(queue.enqueue(records(4)), true); // 10 held
    assert.equal(queue.enqueue(records(1)), false);
    assert.equal(queue.enqueue(records(3)), false);
    assert.deepEqual(queue.counters(), { sent: 0, failed: 0, dropped: { queue_full: 4 }, queued: 10 });
    release();
    await queue.drain();
    assert.deepEqual(queue.counters(), { sent: 10, failed: 0, dropped: { queue_full: 4 }, queued: 0 });
    await queue.shutdown();
  });

  it('drain and shutdown lose nothing queued, keep the order, and shut the exporter down once', async () => {
    const exporter = new RecordingExporter();
    const queue = new ExportQueue({ exporter, maxBatchRecords: 3, flushIntervalMs: 60_000 });
    const all = records(7);
    queue.enqueue(all.slice(0, 2));
    queue.enqueue(all.slice(2, 7));
    await queue.drain();
    assert.deepEqual(exporter.batches.flat(), all);
    queue.enqueue(records(2));
    await Promise.all([queue.shutdown(), queue.shutdown()]);
    await queue.shutdown();
    assert.equal(exporter.batches.flat().length, 9);
    assert.equal(exporter.shutdowns, 1);
    assert.equal(queue.enqueue(records(1)), false);
    assert.deepEqual(queue.counters().dropped, { shutdown: 1 });
  });

  it('counts a failing exporter’s records as failed and reports through the error handler', async () => {
    const reported: ReportedError[] = [];
    setErrorHandler((error) => reported.push(error));
    const exporter = new RecordingExporter();
    exporter.failNext = 1;
    const queue = new ExportQueue({ exporter, maxBatchRecords: 2, flushIntervalMs: 60_000 });
    queue.enqueue(records(4));
    await queue.drain();
    assert.deepEqual(queue.counters(), { sent: 2, failed: 2, dropped: {}, queued: 0 });
    assert.equal(reported.length, 1);
    assert.equal(reported[0].reason, 'export_failed');
    assert.equal(reported[0].component, 'otlp/export-queue');
    assert.match((reported[0].cause as Error).message, /backend down/);
    await queue.shutdown();
  });

  it('names its exporter in the report when given a name, so that one of several backends can be told apart', async () => {
    const reported: ReportedError[] = [];
    setErrorHandler((error) => reported.push(error));
    const exporter = new RecordingExporter();
    exporter.failNext = 1;
    const queue = new ExportQueue({ exporter, flushIntervalMs: 60_000, name: 'exporter otlphttp/archive' });
    queue.enqueue(records(3));
    await queue.drain();
    assert.deepEqual(
      reported.map((r) => [r.component, r.reason, r.message]),
      [['exporter otlphttp/archive', 'export_failed', '3 records could not be exported']],
    );
    await queue.shutdown();
  });

  it('validates its options', () => {
    const exporter = new RecordingExporter();
    assert.throws(() => new ExportQueue({ exporter, maxQueueRecords: 0 }), /maxQueueRecords/);
    assert.throws(() => new ExportQueue({ exporter, maxBatchRecords: 1.5 }), /maxBatchRecords/);
  });
});
