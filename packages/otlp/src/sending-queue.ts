/**
 * The sending queue in front of an exporter, in the shape of the Collector's exporterhelper (`sending_queue` and
 * `retry_on_failure`): producers hand records over without waiting; one consumer sends them in order, in batches,
 * and retries what the backend could not take; records leave the queue only once the backend acknowledged them
 * (or rejected them for good, or, in memory, once they ran out of retries).
 *
 * Bounds and accounting:
 * - The queue holds at most `maxBytes` (or one batch, if larger): with file storage the bytes of the entries on disk (OTLP protobuf plus a
 *   24-byte frame each), in memory an estimate of the same size ({@link estimateRecordBytes}). A batch that does
 *   not fit is refused whole (`tryEnqueue` returns false) and counted as `queueFull`: the caller answers 503 with
 *   Retry-After. Nothing is dropped silently.
 * - Every record handed over ends in exactly one of `sent`, `rejected` (the backend refused it for good: a
 *   non-retryable status, or a partial success's rejected records), `failed` (memory storage: retries exhausted,
 *   or still queued at shutdown; both reported), or is still `queuedRecords`.
 *
 * Retries follow the Collector's exponential back-off ({@link Backoff}), lengthened to the server's `Retry-After`.
 * The queue decides only by {@link ExportError}: `permanent` is not retried, `retryable` (and any other error, a
 * broken connection) is. When a batch has been failing for `maxElapsedTimeMs`:
 * - in memory, it is given up as the Collector does: counted as `failed` and reported (`export_failed`);
 * - with file storage, it is not dropped: it is reported once (`export_stalled`, counted in `stalled`) and tried
 *   again every `maxIntervalMs` until the backend takes it. The file queue exists to outlive the backend; its bound
 *   is bytes, and when an outage fills it the receiver's 503 pushes back on the senders, who keep their data,
 *   instead of this queue turning an outage longer than five minutes into lost records the client was told were
 *   safe. To give such a batch up, stop the service and remove the queue directory.
 *
 * `storage` keeps the queue on disk (see {@link FileQueueStore}); a restart, also after SIGKILL, sends what the
 * previous run left unacknowledged, first. Delivery is at least once: a batch the backend took just before a crash
 * is sent again after the restart.
 */
import type { PipelineRecord } from '@egressguard/schema';
import { reportError } from '@egressguard/core';

import { encodeLogsProto } from './encoder.ts';
import { ExportError, isRetryable } from './export-error.ts';
import type { RecordExporter } from './exporter.ts';
import {
  FileQueueStore,
  FRAME_HEADER_BYTES,
  frame,
  type FrameLocation,
} from './internal/file-queue-store.ts';
import { decodeLogsProto } from './proto-decoder.ts';
import { Backoff, checkRetryOptions, type RetryOptions } from './retry-policy.ts';

/** Options of {@link SendingQueue}. */
export interface SendingQueueOptions {
  /** Where batches go. */
  exporter: RecordExporter;
  /** Names the queue's exporter in reports (the `component` of each report), e.g. `exporter otlphttp`. */
  name: string;
  /**
   * Bytes held at most (see the module comment for how they are measured); an empty queue still takes one batch
   * larger than this. Must be a positive integer.
   */
  maxBytes: number;
  /** Records per export at most. Default 1000. */
  maxBatchRecords?: number;
  /** Longest a record waits for its batch to fill before it is sent anyway, in ms. Default 1000. */
  flushIntervalMs?: number;
  /** Keep the queue on disk, in this directory (one per queue). Default: in memory. */
  storage?: { directory: string };
  /** Retries of a failed batch; see {@link RetryOptions}. */
  retry: RetryOptions;
  /**
   * With file storage, the bytes of not-yet-sent records also kept decoded in memory, so that they need not be read
   * back from disk. Default 16 MiB. Beyond it, records are read back from the file when their turn comes.
   */
  memoryCacheBytes?: number;
  /** With file storage, the size at which a segment file is closed and a new one started, in bytes. Default 8 MiB. */
  segmentBytes?: number;
}

/** Counters of a {@link SendingQueue}. `sent + rejected + failed + queuedRecords` = every record taken. */
export interface SendingQueueCounters {
  /** Records the backend acknowledged. */
  sent: number;
  /** Records the backend refused for good (a non-retryable answer, a partial success's rejected records). */
  rejected: number;
  /** Record sends retried (a batch of n records retried once counts n). */
  retried: number;
  /** Records given up: retries exhausted (memory storage), or still queued at shutdown in memory. */
  failed: number;
  /** Records refused by `tryEnqueue` because they did not fit in `maxBytes`. */
  queueFull: number;
  /** Records that passed `maxElapsedTimeMs` in a file queue and are still being retried (see the module comment). */
  stalled: number;
  /** Records waiting or being sent now. */
  queuedRecords: number;
  /** Bytes held now, as counted against `maxBytes`. */
  queuedBytes: number;
}

interface Entry {
  readonly seq: number;
  readonly count: number;
  readonly bytes: number;
  /** When it was taken (ms); 0 for entries a previous run left, which are due at once. */
  readonly takenAt: number;
  /** The records, while in memory (always in memory storage; in the cache, or not yet written, with files). */
  records: PipelineRecord[] | undefined;
  readonly location: FrameLocation | undefined;
  /** Whether to drop the decoded records once written (file storage, beyond the cache). */
  evict: boolean;
}

type Outcome = 'done' | 'kept';

/** The sending queue; see the module comment. */
export class SendingQueue {
  readonly #exporter: RecordExporter;
  readonly #name: string;
  readonly #maxBytes: number;
  readonly #maxBatch: number;
  readonly #flushMs: number;
  readonly #retry: Required<RetryOptions>;
  readonly #store: FileQueueStore | undefined;
  readonly #cacheBytes: number;
  readonly #entries: Entry[] = [];
  #head = 0;
  #nextSeq: number;
  #queuedBytes = 0;
  #queuedRecords = 0;
  #cachedBytes = 0;
  /** Entries beyond the cache whose records go once written, in order (a FIFO read from `#toEvictHead`). */
  #toEvict: Entry[] = [];
  #toEvictHead = 0;
  #counts = { sent: 0, rejected: 0, retried: 0, failed: 0, queueFull: 0, stalled: 0 };
  /** Wakes the consumer: new records, a drain, a shutdown. */
  #wake: (() => void) | undefined;
  /** Set while the consumer sleeps in a back-off; calling it ends the sleep early. */
  #interrupt: (() => void) | undefined;
  /** Drains waiting; each checks its own end. */
  #drainWaiters = new Set<() => void>();
  /** Counts drains under way: while above 0, batches go out without waiting to fill. */
  #draining = 0;
  /** Bumped at each retryable failure: a drain ends when the backend is not taking data. */
  #failures = 0;
  #closing = false;
  /** Set once shutdown has settled the queue: drains still waiting end. */
  #closedDown = false;
  #consumer: Promise<void>;
  #shutdown: Promise<void> | undefined;

  private constructor(options: SendingQueueOptions, store: FileQueueStore | undefined, nextSeq: number) {
    this.#exporter = options.exporter;
    this.#name = options.name;
    this.#maxBytes = options.maxBytes;
    this.#maxBatch = options.maxBatchRecords ?? 1000;
    this.#flushMs = options.flushIntervalMs ?? 1000;
    this.#retry = checkRetryOptions(`SendingQueue ${options.name}`, options.retry);
    this.#cacheBytes = options.memoryCacheBytes ?? 16 * 1024 * 1024;
    this.#store = store;
    this.#nextSeq = nextSeq;
    if (store) store.onWritten = (seq) => this.#evictWritten(seq);
    this.#consumer = this.#consume();
  }

  /**
   * Opens a queue. With file storage, creates the directory when missing and takes back the unacknowledged
   * entries a previous run left (also after SIGKILL), to be sent first. Throws (`RangeError`) on a bad option,
   * naming it, and when the directory cannot be used.
   */
  static async open(options: SendingQueueOptions): Promise<SendingQueue> {
    const where = `SendingQueue ${options.name}`;
    if (!Number.isSafeInteger(options.maxBytes) || options.maxBytes < 1)
      throw new RangeError(`${where}: maxBytes must be a positive integer, got ${options.maxBytes}`);
    const maxBatch = options.maxBatchRecords ?? 1000;
    if (!Number.isInteger(maxBatch) || maxBatch < 1)
      throw new RangeError(`${where}: maxBatchRecords must be a positive integer, got ${maxBatch}`);
    const flush = options.flushIntervalMs ?? 1000;
    if (!(Number.isFinite(flush) && flush >= 0))
      throw new RangeError(`${where}: flushIntervalMs must be a number >= 0, got ${flush}`);
    const cache = options.memoryCacheBytes ?? 0;
    if (!(Number.isFinite(cache) && cache >= 0))
      throw new RangeError(`${where}: memoryCacheBytes must be a number >= 0, got ${cache}`);
    const segmentBytes = options.segmentBytes ?? 8 * 1024 * 1024;
    if (!Number.isSafeInteger(segmentBytes) || segmentBytes < 1)
      throw new RangeError(`${where}: segmentBytes must be a positive integer, got ${segmentBytes}`);
    checkRetryOptions(where, options.retry);
    if (!options.storage) return new SendingQueue(options, undefined, 1);
    const opened = await FileQueueStore.open(options.storage.directory, options.name, segmentBytes);
    const queue = new SendingQueue(options, opened.store, opened.nextSeq);
    for (const e of opened.entries) {
      queue.#entries.push({
        seq: e.seq,
        count: e.count,
        bytes: e.frameBytes,
        takenAt: 0,
        records: undefined,
        location: e.location,
        evict: false,
      });
      queue.#queuedBytes += e.frameBytes;
      queue.#queuedRecords += e.count;
    }
    queue.#wakeUp();
    return queue;
  }

  /**
   * Takes a batch of records, whole or not at all: false (and counted as `queueFull`) when it does not fit in
   * `maxBytes`, or after shutdown. With file storage the records are written in the background; {@link sync}
   * says when they are durable. The queue keeps the record objects: the caller must not change them afterwards.
   */
  tryEnqueue(records: PipelineRecord[]): boolean {
    if (this.#closing) return false;
    if (records.length === 0) return true;
    const chunks: { records: PipelineRecord[]; bytes: number; data: Buffer | undefined }[] = [];
    let total = 0;
    for (let i = 0; i < records.length; i += this.#maxBatch) {
      const part = records.slice(i, i + this.#maxBatch);
      let data: Buffer | undefined;
      let bytes: number;
      if (this.#store) {
        const payload = encodeLogsProto(part);
        data = frame(this.#nextSeq + chunks.length, part.length, payload);
        bytes = data.length;
      } else {
        bytes = estimateRecordBytes(part);
      }
      chunks.push({ records: part, bytes, data });
      total += bytes;
    }
    // An empty queue takes any one batch, however large: a batch bigger than the whole queue would otherwise be
    // refused for ever, and its sender would retry it for ever.
    if (this.#queuedRecords > 0 && this.#queuedBytes + total > this.#maxBytes) {
      this.#counts.queueFull += records.length;
      return false;
    }
    const now = Date.now();
    for (const chunk of chunks) {
      const seq = this.#nextSeq++;
      const location = this.#store && chunk.data ? this.#store.append(seq, chunk.data) : undefined;
      // With files, records beyond the cache are dropped from memory once written and read back when due.
      const evict = this.#store !== undefined && this.#cachedBytes + chunk.bytes > this.#cacheBytes;
      if (!evict) this.#cachedBytes += this.#store ? chunk.bytes : 0;
      const entry: Entry = {
        seq,
        count: chunk.records.length,
        bytes: chunk.bytes,
        takenAt: now,
        records: chunk.records,
        location,
        evict,
      };
      this.#entries.push(entry);
      if (evict) this.#toEvict.push(entry);
    }
    this.#queuedBytes += total;
    this.#queuedRecords += records.length;
    this.#wakeUp();
    return true;
  }

  /** Bytes that can still be taken (see {@link fits} for a batch larger than the whole queue). */
  freeBytes(): number {
    return Math.max(0, this.#maxBytes - this.#queuedBytes);
  }

  /**
   * Whether a batch of `bytes` would be taken now: it fits in {@link freeBytes}, or the queue is empty (an empty
   * queue takes any one batch, so that a batch larger than `maxBytes` is not refused for ever).
   */
  fits(bytes: number): boolean {
    return this.#queuedRecords === 0 || bytes <= this.freeBytes();
  }

  /**
   * What records would cost in this queue, roughly (the estimated OTLP protobuf size): for admission checks
   * before the records exist in their final form. `tryEnqueue` measures exactly with file storage.
   */
  estimateBytes(records: readonly PipelineRecord[]): number {
    const chunks = Math.ceil(records.length / this.#maxBatch);
    return estimateRecordBytes(records) + (this.#store ? chunks * FRAME_HEADER_BYTES : 0);
  }

  /**
   * Resolves when everything taken so far is durable on disk (written and `fdatasync`ed; one sync serves every
   * caller waiting); rejects when the disk write failed (reported as `queue_write_failed`). Resolves at once in
   * memory.
   */
  sync(): Promise<void> {
    return this.#store ? this.#store.sync() : Promise.resolve();
  }

  /**
   * Sends what is queued without waiting for batches to fill, and resolves when the queue is empty, when `timeoutMs`
   * passes, or when the backend fails to take a batch with a retryable error during the drain (it is not taking
   * data now: waiting for it is the queue's job, not a drain's). A batch waiting for its retry is tried at once.
   */
  drain(timeoutMs = Infinity): Promise<void> {
    if (this.#queuedRecords === 0) return Promise.resolve();
    const failuresAtStart = this.#failures;
    this.#draining++;
    this.#interrupt?.();
    this.#wakeUp();
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const check = () => {
        if (this.#queuedRecords > 0 && this.#failures === failuresAtStart && !this.#closedDown) return;
        finish();
      };
      const finish = () => {
        this.#drainWaiters.delete(check);
        if (timer) clearTimeout(timer);
        this.#draining--;
        resolve();
      };
      if (Number.isFinite(timeoutMs)) {
        timer = setTimeout(finish, Math.max(0, timeoutMs));
        timer.unref();
      }
      this.#drainWaiters.add(check);
    });
  }

  /**
   * Stops taking records and stops retrying: the batch being sent finishes (within the exporter's timeout); with
   * file storage what is still queued stays on disk (synced) for the next start, in memory it is counted as
   * `failed` and reported. Then shuts the exporter down. Idempotent. Call {@link drain} first to send what can be.
   */
  shutdown(): Promise<void> {
    this.#shutdown ??= (async () => {
      this.#closing = true;
      this.#interrupt?.();
      this.#wakeUp();
      await this.#consumer;
      this.#closedDown = true;
      if (this.#store) {
        await this.#store.close();
      } else if (this.#queuedRecords > 0) {
        const n = this.#queuedRecords;
        this.#counts.failed += n;
        this.#queuedRecords = 0;
        this.#queuedBytes = 0;
        this.#entries.length = 0;
        this.#head = 0;
        reportError({
          component: this.#name,
          reason: 'export_failed',
          message: `${n} records not exported before shutdown (in-memory queue)`,
        });
      }
      this.#notifyDrains();
      await this.#exporter.shutdown();
    })();
    return this.#shutdown;
  }

  /** Counts so far; see {@link SendingQueueCounters}. */
  counters(): SendingQueueCounters {
    return { ...this.#counts, queuedRecords: this.#queuedRecords, queuedBytes: this.#queuedBytes };
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #notifyDrains(): void {
    for (const check of [...this.#drainWaiters]) check();
  }

  /** Sleeps until woken or `ms` passes. */
  #sleep(ms: number, interruptible: boolean): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = Number.isFinite(ms) ? setTimeout(done, ms) : undefined;
      timer?.unref();
      function done() {
        if (timer) clearTimeout(timer);
        resolve();
      }
      if (interruptible) this.#interrupt = done;
      else this.#wake = done;
    }).finally(() => {
      if (interruptible) this.#interrupt = undefined;
    });
  }

  /** The one consumer: forms batches in order and sends them until shutdown. */
  async #consume(): Promise<void> {
    for (;;) {
      if (this.#closing) return;
      const pending = this.#entries.length - this.#head;
      if (pending === 0) {
        await this.#sleep(Infinity, false);
        continue;
      }
      // A batch: consecutive entries from the head, up to maxBatch records (always at least one entry).
      let end = this.#head;
      let records = 0;
      while (end < this.#entries.length && records + this.#entries[end].count <= this.#maxBatch) {
        records += this.#entries[end].count;
        end++;
      }
      if (end === this.#head) end++;
      const full = end < this.#entries.length || records >= this.#maxBatch;
      const due = this.#entries[this.#head].takenAt + this.#flushMs;
      const now = Date.now();
      if (!full && this.#draining === 0 && now < due) {
        await this.#sleep(due - now, false);
        continue;
      }
      const batch = this.#entries.slice(this.#head, end);
      const outcome = await this.#send(batch);
      if (outcome === 'kept') continue;
      this.#head = end;
      for (const e of batch) {
        this.#queuedBytes -= e.bytes;
        this.#queuedRecords -= e.count;
        if (this.#store && !e.evict && e.records) this.#cachedBytes -= e.bytes;
        e.records = undefined;
      }
      // Compact now and then, so the array does not grow with everything ever sent.
      if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
        this.#entries.splice(0, this.#head);
        this.#head = 0;
      }
      this.#store?.ack(batch.at(-1)!.seq);
      this.#notifyDrains();
    }
  }

  /** Sends one batch with retries. `kept`: not settled (shutdown, file storage); it stays at the head. */
  async #send(batch: Entry[]): Promise<Outcome> {
    const count = batch.reduce((n, e) => n + e.count, 0);
    let records: PipelineRecord[];
    try {
      records = await this.#load(batch);
    } catch (cause) {
      // The entries cannot be read back (the file was damaged or removed under us): given up, and said so.
      this.#counts.failed += count;
      reportError({
        component: this.#name,
        reason: 'export_failed',
        message: `${count} records could not be read back from the queue file`,
        cause,
      });
      return 'done';
    }
    const backoff = new Backoff(this.#retry, Date.now());
    let stalled = false;
    for (;;) {
      try {
        await this.#exporter.export(records);
        this.#counts.sent += records.length;
        // Records the file could not give back were counted as failed by #load.
        return 'done';
      } catch (error) {
        if (!isRetryable(error)) {
          const rejected =
            error instanceof ExportError && error.rejectedRecords !== undefined
              ? Math.min(Math.max(0, error.rejectedRecords), records.length)
              : records.length;
          this.#counts.rejected += rejected;
          this.#counts.sent += records.length - rejected;
          reportError({
            component: this.#name,
            reason: 'export_rejected',
            message: `${rejected} of ${records.length} records rejected by the backend, not retried`,
            cause: error,
          });
          return 'done';
        }
        this.#failures++;
        this.#notifyDrains();
        // At shutdown the batch stays: on disk for the next start, or counted as failed by shutdown() in memory.
        if (this.#closing) return 'kept';
        const hint = error instanceof ExportError ? error.retryAfterMs : undefined;
        let wait = backoff.next(Date.now(), hint);
        if (wait === undefined) {
          if (!this.#store || !this.#retry.enabled) {
            this.#counts.failed += records.length;
            reportError({
              component: this.#name,
              reason: 'export_failed',
              message: `${records.length} records could not be exported`,
              cause: error,
            });
            return 'done';
          }
          if (!stalled) {
            stalled = true;
            this.#counts.stalled += records.length;
            reportError({
              component: this.#name,
              reason: 'export_stalled',
              message: `${records.length} records not delivered after ${this.#retry.maxElapsedTimeMs} ms of retries; kept in the file queue and retried every ${this.#retry.maxIntervalMs} ms`,
              cause: error,
            });
          }
          wait = Math.max(this.#retry.maxIntervalMs, hint ?? 0);
        }
        this.#counts.retried += records.length;
        await this.#sleep(wait, true);
        if (this.#closing) return 'kept';
      }
    }
  }

  /** The records of a batch: from memory, or read back from the queue's files. */
  async #load(batch: Entry[]): Promise<PipelineRecord[]> {
    const missing = batch.filter((e) => !e.records);
    const payloads =
      missing.length > 0
        ? await this.#store!.readMany(missing.map((e) => ({ seq: e.seq, location: e.location! })))
        : [];
    const read = new Map<Entry, PipelineRecord[]>();
    missing.forEach((e, i) => {
      const decoded = decodeLogsProto(payloads[i]);
      if (decoded.rejected.length > 0 || decoded.records.length !== e.count)
        throw new Error(
          `queue entry ${e.seq}: ${decoded.records.length} of ${e.count} records readable (${decoded.rejected[0]?.reason ?? 'count differs'})`,
        );
      read.set(e, decoded.records);
    });
    const out: PipelineRecord[] = [];
    for (const e of batch) for (const r of e.records ?? read.get(e)!) out.push(r);
    return out;
  }

  /** Drops decoded records the cache has no room for, once their entries are on disk. */
  #evictWritten(seq: number): void {
    while (this.#toEvictHead < this.#toEvict.length && this.#toEvict[this.#toEvictHead].seq <= seq) {
      this.#toEvict[this.#toEvictHead++].records = undefined;
    }
    if (this.#toEvictHead > 1024 && this.#toEvictHead * 2 > this.#toEvict.length) {
      this.#toEvict.splice(0, this.#toEvictHead);
      this.#toEvictHead = 0;
    }
  }
}

/**
 * A cheap estimate of the OTLP protobuf size of records, in bytes: field tags, times, strings' lengths, numbers at
 * their widest; resources and scopes counted once per batch. Used to bound the in-memory queue without encoding.
 */
export function estimateRecordBytes(records: readonly PipelineRecord[]): number {
  let bytes = 0;
  const resources = new Set<unknown>();
  for (const r of records) {
    // Times (2 × 9), severity (3), flags and framing (~10), event name, attributes and body.
    bytes += 31 + (r.eventName?.length ?? 0) + (r.severityText?.length ?? 0) + valueBytes(r.body);
    if (r.spanContext) bytes += 38;
    for (const key in r.attributes) bytes += 6 + key.length + valueBytes(r.attributes[key]);
    if (!resources.has(r.resource)) {
      resources.add(r.resource);
      for (const key in r.resource.attributes)
        bytes += 6 + key.length + valueBytes(r.resource.attributes[key]);
      bytes += 16 + (r.instrumentationScope.name?.length ?? 0);
    }
  }
  return bytes;
}

function valueBytes(value: unknown, depth = 0): number {
  if (value === undefined || value === null) return 2;
  switch (typeof value) {
    case 'string':
      return 3 + value.length;
    case 'number':
    case 'bigint':
      return 11;
    case 'boolean':
      return 4;
    default:
      break;
  }
  if (value instanceof Uint8Array) return 3 + value.length;
  if (depth > 8) return 4;
  let n = 4;
  if (Array.isArray(value)) for (const v of value) n += valueBytes(v, depth + 1);
  else
    for (const [k, v] of Object.entries(value as Record<string, unknown>))
      n += 6 + k.length + valueBytes(v, depth + 1);
  return n;
}
