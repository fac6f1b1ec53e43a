/**
 * Collects what a host receiver produces and hands it to the pipelines in batches, one hand-over at a time. When the
 * export queues are full the batch is kept and tried again later; what waits is bounded, and records past the bound
 * are dropped and counted (`records_dropped_queue_full`), since a live sensor cannot be paused.
 */
import { reportError } from '@egressguard/core';
import type { PipelineRecord } from '@egressguard/schema';

/** Options of {@link RecordBatcher}. */
export interface RecordBatcherOptions {
  readonly onRecords: (records: PipelineRecord[]) => Promise<void>;
  /** Hand-over interval in milliseconds. */
  readonly intervalMs: number;
  /** Records waiting at most. */
  readonly maxPending: number;
  /** Called when a hand-over failed (reported by the receiver). */
  readonly onError: (cause: unknown) => void;
  /** Called after each successful hand-over, with the records handed over. */
  readonly onDelivered?: (records: readonly PipelineRecord[]) => void;
}

/** Batches records for the pipelines. */
export class RecordBatcher {
  private readonly options: RecordBatcherOptions;
  private pending: PipelineRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> = Promise.resolve();
  private busy = false;
  /** Records handed over, and records dropped because too many were waiting. */
  delivered = 0;
  dropped = 0;

  constructor(options: RecordBatcherOptions) {
    this.options = options;
  }

  /** Starts the hand-over timer. */
  start(): void {
    this.timer = setInterval(() => void this.flush(), this.options.intervalMs);
    this.timer.unref();
  }

  /** Adds records; past the bound the newest are dropped and counted. */
  add(records: readonly PipelineRecord[]): void {
    const room = this.options.maxPending - this.pending.length;
    if (records.length > room) {
      this.dropped += records.length - Math.max(0, room);
      this.pending.push(...records.slice(0, Math.max(0, room)));
    } else {
      this.pending.push(...records);
    }
  }

  /** Records waiting. */
  get size(): number {
    return this.pending.length;
  }

  /** Hands over what waits (one hand-over at a time); resolves when done. */
  flush(): Promise<void> {
    if (this.busy) return this.sending;
    if (this.pending.length === 0) return Promise.resolve();
    this.busy = true;
    const batch = this.pending;
    this.pending = [];
    this.sending = this.options
      .onRecords(batch)
      .then(
        () => {
          this.delivered += batch.length;
          this.options.onDelivered?.(batch);
        },
        (cause: unknown) => {
          // Kept for the next try, ahead of what arrived meanwhile.
          this.pending = [...batch, ...this.pending];
          if (this.pending.length > this.options.maxPending) {
            this.dropped += this.pending.length - this.options.maxPending;
            this.pending.length = this.options.maxPending;
          }
          this.options.onError(cause);
        },
      )
      .finally(() => {
        this.busy = false;
      });
    return this.sending;
  }

  /** Stops the timer and hands over what is left (one last try). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sending;
    await this.flush();
  }
}

/** How often a live receiver hands its records over, in milliseconds. */
const HAND_OVER_MS = 200;
/** Records a live receiver keeps waiting at most while the export queues are full. */
const MAX_PENDING = 100_000;

/**
 * The batcher of a live host receiver: hands over every 200 ms, keeps at most 100,000 records waiting, and reports a
 * failed hand-over through the error handler under the receiver's name.
 */
export function liveReceiverBatcher(
  id: string,
  onRecords: (records: PipelineRecord[]) => Promise<void>,
): RecordBatcher {
  const batcher: RecordBatcher = new RecordBatcher({
    onRecords,
    intervalMs: HAND_OVER_MS,
    maxPending: MAX_PENDING,
    onError: (cause) =>
      reportError({
        component: `receiver ${id}`,
        reason: 'hand_over_failed',
        message: `${batcher.size} records wait for the export queues`,
        cause,
      }),
  });
  return batcher;
}
