/**
 * A bounded queue in front of a {@link RecordExporter}: producers enqueue without waiting, batches go out one export
 * at a time, and when the exporter cannot keep up the queue fills and new records are dropped and counted, never
 * held without bound.
 */
import type { PipelineRecord } from '@egressguard/schema';
import { reportError } from '@egressguard/core';

import type { RecordExporter } from './exporter.ts';

/** Options of {@link ExportQueue}. */
export interface ExportQueueOptions {
  /** Where batches go. */
  exporter: RecordExporter;
  /** Records held at most, waiting plus being exported. Default 20,000. Beyond it `enqueue` drops. */
  maxQueueRecords?: number;
  /** Records per export call at most. Default 512 (the SDK BatchLogRecordProcessor's batch size). */
  maxBatchRecords?: number;
  /** Longest a record waits for a batch to fill, in milliseconds. Default 1000. */
  flushIntervalMs?: number;
  /**
   * Names the queue's exporter in reported errors (the `component` of an `export_failed` report), so that with
   * several exporters the report says which backend failed. Default `otlp/export-queue`.
   */
  name?: string;
}

/** Counters of an {@link ExportQueue}. */
export interface ExportQueueCounters {
  /** Records exported successfully. */
  sent: number;
  /** Records whose export failed (after the exporter's own retries). */
  failed: number;
  /** Records dropped, by reason: `queue_full`, `shutdown`. */
  dropped: Record<string, number>;
  /** Records waiting or being exported now. */
  queued: number;
}

/** A bounded export queue; see the module comment. */
export class ExportQueue {
  readonly #exporter: RecordExporter;
  readonly #maxQueue: number;
  readonly #maxBatch: number;
  readonly #intervalMs: number;
  readonly #name: string;
  #waiting: PipelineRecord[] = [];
  #inFlight = 0;
  #sent = 0;
  #failed = 0;
  readonly #dropped: Record<string, number> = {};
  #timer: NodeJS.Timeout | undefined;
  #sending: Promise<void> | undefined;
  #flushAll = false;
  #closed = false;
  #shutdown: Promise<void> | undefined;

  constructor(options: ExportQueueOptions) {
    this.#exporter = options.exporter;
    this.#maxQueue = options.maxQueueRecords ?? 20_000;
    this.#maxBatch = options.maxBatchRecords ?? 512;
    this.#intervalMs = options.flushIntervalMs ?? 1000;
    this.#name = options.name ?? 'otlp/export-queue';
    if (!Number.isInteger(this.#maxQueue) || this.#maxQueue < 1)
      throw new RangeError(`ExportQueue: maxQueueRecords must be a positive integer, got ${this.#maxQueue}`);
    if (!Number.isInteger(this.#maxBatch) || this.#maxBatch < 1)
      throw new RangeError(`ExportQueue: maxBatchRecords must be a positive integer, got ${this.#maxBatch}`);
    if (!(this.#intervalMs >= 0))
      throw new RangeError(`ExportQueue: flushIntervalMs must be >= 0, got ${this.#intervalMs}`);
  }

  /**
   * Queues records for export. Returns false, and counts the records as dropped (`queue_full`, or `shutdown` after
   * shutdown), when they do not all fit: a batch is taken whole or not at all.
   */
  enqueue(records: PipelineRecord[]): boolean {
    if (records.length === 0) return true;
    if (this.#closed) {
      this.#drop('shutdown', records.length);
      return false;
    }
    if (this.#waiting.length + this.#inFlight + records.length > this.#maxQueue) {
      this.#drop('queue_full', records.length);
      return false;
    }
    for (const record of records) this.#waiting.push(record);
    if (this.#waiting.length >= this.#maxBatch) this.#kick(false);
    else this.#schedule();
    return true;
  }

  /** Counts so far. */
  counters(): ExportQueueCounters {
    return {
      sent: this.#sent,
      failed: this.#failed,
      dropped: { ...this.#dropped },
      queued: this.#waiting.length + this.#inFlight,
    };
  }

  /** Exports everything queued now (and anything queued meanwhile) and resolves when the queue is empty. */
  async drain(): Promise<void> {
    this.#clearTimer();
    while (this.#waiting.length > 0 || this.#sending) {
      this.#kick(true);
      await this.#sending;
    }
  }

  /** Stops taking records, drains the queue, then shuts the exporter down. Idempotent. */
  shutdown(): Promise<void> {
    this.#shutdown ??= (async () => {
      this.#closed = true;
      await this.drain();
      await this.#exporter.shutdown();
    })();
    return this.#shutdown;
  }

  #schedule(): void {
    if (this.#timer || this.#sending) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#kick(true);
    }, this.#intervalMs);
    this.#timer.unref();
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /**
   * Starts the send loop unless it runs already; one export at a time keeps the order and bounds the work. `all`
   * sends what waits even below a full batch (the interval passed, or a drain).
   */
  #kick(all: boolean): void {
    if (all) this.#flushAll = true;
    if (this.#sending) return;
    this.#clearTimer();
    this.#sending = this.#sendLoop().finally(() => {
      this.#sending = undefined;
      // Records that arrived during the last export but did not fill a batch wait for the timer.
      if (this.#waiting.length > 0 && !this.#closed) this.#schedule();
    });
  }

  async #sendLoop(): Promise<void> {
    while (this.#waiting.length > 0 && (this.#flushAll || this.#waiting.length >= this.#maxBatch)) {
      const batch = this.#waiting.splice(0, this.#maxBatch);
      this.#inFlight = batch.length;
      try {
        await this.#exporter.export(batch);
        this.#sent += batch.length;
      } catch (error) {
        this.#failed += batch.length;
        reportError({
          component: this.#name,
          reason: 'export_failed',
          message: `${batch.length} records could not be exported`,
          cause: error,
        });
      } finally {
        this.#inFlight = 0;
      }
    }
    this.#flushAll = false;
  }

  #drop(reason: string, n: number): void {
    this.#dropped[reason] = (this.#dropped[reason] ?? 0) + n;
  }
}
