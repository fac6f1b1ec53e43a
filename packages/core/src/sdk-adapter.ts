/**
 * The OpenTelemetry JS SDK adapter. An SDK `LogRecordProcessor` cannot drop a record or emit a new one: every
 * processor in `LoggerProvider({ processors })` sees every record. This adapter is a `LogRecordProcessor` that runs
 * the chain and hands only what passes (and what the chain emits later) to the next processor, typically a
 * `BatchLogRecordProcessor` with an OTLP exporter.
 *
 * The SDK hands over one record per `onEmit`, while the chain is built for batches: every stage call has a cost of
 * its own (promises, the pipeline's conservation check around it) whatever the batch holds. So `onEmit` only copies
 * the record into a buffer, and the buffer goes through the chain as one batch when it holds `maxBatchRecords` or at
 * the end of the current turn of the event loop, whichever comes first; one batch at a time, in order. The buffer
 * is bounded: a record that arrives while it is full is dropped and counted (see {@link ChainIntakeBalance}) and
 * the burst is reported, never silently.
 */
import { ROOT_CONTEXT, type AnyValue, type Context, type HrTime } from '@opentelemetry/api';
import type { LogRecordProcessor, ReadableLogRecord, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import { PipelineRecord, attributeDictionaryMaker } from '@egressguard/schema';

import { ConfigError, reportError } from './errors.ts';
import { Pipeline, type StageBalance } from './pipeline.ts';
import type { Processor } from './processor.ts';

/** Default of {@link ChainLogRecordProcessorOptions.maxBatchRecords}: the SDK batch processor's export batch size. */
const DEFAULT_MAX_BATCH_RECORDS = 512;
/** Default of {@link ChainLogRecordProcessorOptions.maxBufferedRecords}: the SDK batch processor's queue size. */
const DEFAULT_MAX_BUFFERED_RECORDS = 2048;

/** Options of {@link ChainLogRecordProcessor}. */
export interface ChainLogRecordProcessorOptions {
  /**
   * The processors of the chain, in order, built without an emitter: what they emit later arrives with their next
   * output or flush.
   */
  readonly processors?: readonly Processor[];
  /**
   * Alternatively, adds the stages to the adapter's pipeline with `pipeline.addStage(id, (emit) => …)`, so that
   * records the stages emit later (a window closing on a timer) reach the next processor at once.
   */
  readonly stages?: (pipeline: Pipeline) => void;
  /** Where what passes goes. */
  readonly next: LogRecordProcessor;
  /**
   * The most records the chain receives in one batch, an integer of at least 1. The buffer goes through the chain
   * when it holds this many records, or at the end of the current turn of the event loop if that comes first.
   * Clamped to `maxBufferedRecords`. Default: 512.
   */
  readonly maxBatchRecords?: number;
  /**
   * The most records waiting for the chain, an integer of at least 1, not counting the batch the chain is working
   * on (so the adapter holds at most `maxBufferedRecords + maxBatchRecords` records). A record the SDK emits while
   * this many wait (records arrive faster than the chain takes them, or one synchronous burst is longer than this)
   * is dropped, counted as `buffer_full` in {@link ChainLogRecordProcessor.intakeBalance} and reported once per
   * burst. Default: 2048 (as the SDK's `BatchLogRecordProcessor` queue).
   */
  readonly maxBufferedRecords?: number;
}

/**
 * What the adapter did with the records the SDK handed it, before the chain's own stages (whose
 * {@link ChainLogRecordProcessor.balance} takes over from `handed`). At every moment
 * `received = handed + dropped + buffered`.
 */
export interface ChainIntakeBalance {
  /** Records the SDK handed to `onEmit`. */
  readonly received: number;
  /** Records handed to the chain. */
  readonly handed: number;
  /** The batches they were handed in. */
  readonly batches: number;
  /** Records dropped before the chain, each with a counted reason. */
  readonly dropped: number;
  /**
   * Dropped records by reason: `buffer_full` (`maxBufferedRecords` were waiting), `after_shutdown` (emitted once
   * `shutdown` was called).
   */
  readonly droppedByReason: Readonly<Record<string, number>>;
  /** Records waiting in the buffer now. */
  readonly buffered: number;
}

/** Runs an egressguard chain inside an SDK logging pipeline. */
export class ChainLogRecordProcessor implements LogRecordProcessor {
  private readonly pipeline: Pipeline;
  private readonly next: LogRecordProcessor;
  private readonly maxBatchRecords: number;
  private readonly maxBufferedRecords: number;
  private buffer: PipelineRecord[] = [];
  /** The contexts records were emitted in, when not the empty one, for the next processor. */
  private readonly contexts = new WeakMap<PipelineRecord, Context>();
  /** True while a drain runs: it takes batches from the buffer until the buffer is empty. */
  private draining = false;
  /** The batch handed to the chain last, settled once what left the chain has been forwarded. */
  private lastBatch: Promise<void> = Promise.resolve();
  private turnEndScheduled = false;
  /** True from the first record dropped for a full buffer until the buffer has room again. */
  private overflowing = false;
  private received = 0;
  private handed = 0;
  private batches = 0;
  private readonly droppedByReason: Record<string, number> = {};
  private shutdownOnce: Promise<void> | undefined;

  constructor(options: ChainLogRecordProcessorOptions) {
    this.next = options.next;
    this.maxBufferedRecords = positiveInteger(
      'maxBufferedRecords',
      options.maxBufferedRecords ?? DEFAULT_MAX_BUFFERED_RECORDS,
    );
    const maxBatchRecords = positiveInteger(
      'maxBatchRecords',
      options.maxBatchRecords ?? DEFAULT_MAX_BATCH_RECORDS,
    );
    if (maxBatchRecords > this.maxBufferedRecords) {
      reportError({
        component: 'sdk-adapter',
        reason: 'option_clamped',
        message: `maxBatchRecords (${maxBatchRecords}) exceeds maxBufferedRecords (${this.maxBufferedRecords}); batches hold at most ${this.maxBufferedRecords} records`,
      });
    }
    this.maxBatchRecords = Math.min(maxBatchRecords, this.maxBufferedRecords);
    this.pipeline = new Pipeline({ onEmit: (records) => this.forward(records) });
    (options.processors ?? []).forEach((processor, i) => {
      this.pipeline.addStage(`${processor.metadata.type}#${i}`, () => processor);
    });
    options.stages?.(this.pipeline);
  }

  onEmit(logRecord: ReadWriteLogRecord, context?: Context): void {
    this.received++;
    if (this.shutdownOnce) {
      this.drop('after_shutdown');
      return;
    }
    if (this.buffer.length >= this.maxBufferedRecords) {
      this.drop('buffer_full');
      return;
    }
    // The SDK makes the record read-only once onEmit returns and the chain runs later: copy it now.
    const record = fromSdkRecord(logRecord);
    if (context !== undefined && context !== ROOT_CONTEXT) this.contexts.set(record, context);
    this.buffer.push(record);
    if (this.buffer.length >= this.maxBatchRecords) this.drain();
    else this.drainAtTurnEnd();
  }

  /** What every stage of the chain did with records (in, out, added, dropped, held, lost), by stage id. */
  balance(): Record<string, StageBalance> {
    return this.pipeline.balance();
  }

  /** What the adapter did with the records the SDK handed it before the chain: received, handed, dropped, buffered. */
  intakeBalance(): ChainIntakeBalance {
    return {
      received: this.received,
      handed: this.handed,
      batches: this.batches,
      dropped: Object.values(this.droppedByReason).reduce((n, d) => n + d, 0),
      droppedByReason: { ...this.droppedByReason },
      buffered: this.buffer.length,
    };
  }

  /** Runs what is buffered through the chain, flushes the chain (open windows close), then the next processor. */
  async forceFlush(): Promise<void> {
    await this.drainBuffered();
    this.forward(await this.pipeline.flush());
    await this.next.forceFlush();
  }

  /** Runs what is buffered through the chain, shuts the chain down (flushing it), then the next processor. Once. */
  shutdown(): Promise<void> {
    this.shutdownOnce ??= (async () => {
      await this.drainBuffered();
      this.forward(await this.pipeline.shutdown());
      await this.next.shutdown();
    })();
    return this.shutdownOnce;
  }

  /** Starts a drain unless one is running (a running drain takes whatever is buffered before it ends). */
  private drain(): void {
    if (this.draining || this.buffer.length === 0) return;
    this.draining = true;
    void this.drainBuffer().finally(() => {
      this.draining = false;
      // Records that arrived after the drain last looked at the buffer.
      if (this.buffer.length > 0) this.drainAtTurnEnd();
    });
  }

  /**
   * Waits until every record buffered now has been through the chain and forwarded. Records emitted meanwhile are
   * not waited for, so that a flush ends even while the application keeps logging.
   */
  private async drainBuffered(): Promise<void> {
    const target = this.handed + this.buffer.length;
    // Batches go through in order: once the batch holding the last of those records is done, all of them are.
    while (this.handed < target) {
      this.drain();
      await this.lastBatch;
    }
    await this.lastBatch;
  }

  /**
   * Schedules one drain for the end of this turn of the event loop (after the I/O callbacks of this turn, so that
   * the records they emit share a batch), unless one is scheduled.
   */
  private drainAtTurnEnd(): void {
    if (this.turnEndScheduled) return;
    this.turnEndScheduled = true;
    setImmediate(() => {
      this.turnEndScheduled = false;
      this.drain();
    });
  }

  /** Runs batches from the buffer through the chain, one at a time, until the buffer is empty. */
  private async drainBuffer(): Promise<void> {
    while (this.buffer.length > 0) {
      let batch: PipelineRecord[];
      if (this.buffer.length <= this.maxBatchRecords) {
        batch = this.buffer;
        this.buffer = [];
      } else {
        batch = this.buffer.splice(0, this.maxBatchRecords);
      }
      // The buffer has room again: the next record it cannot take starts a new burst (and a new report).
      this.overflowing = false;
      this.handed += batch.length;
      this.batches++;
      this.lastBatch = this.runBatch(batch);
      await this.lastBatch;
    }
  }

  /** One batch through the chain and what leaves it to the next processor; never rejects. */
  private async runBatch(batch: PipelineRecord[]): Promise<void> {
    try {
      this.forward(await this.pipeline.process(batch));
    } catch (cause) {
      reportError({
        component: 'sdk-adapter',
        reason: 'processing_failed',
        message: `a batch of ${batch.length} log records could not be processed or forwarded`,
        cause,
      });
    }
  }

  private drop(reason: 'buffer_full' | 'after_shutdown'): void {
    this.droppedByReason[reason] = (this.droppedByReason[reason] ?? 0) + 1;
    if (reason !== 'buffer_full' || this.overflowing) return;
    this.overflowing = true;
    reportError({
      component: 'sdk-adapter',
      reason: 'buffer_full',
      message: `${this.maxBufferedRecords} log records are waiting for the chain (maxBufferedRecords); records are dropped until it takes a batch (counted as buffer_full in intakeBalance())`,
    });
  }

  /** Hands records to the next processor: each passing record with its own context, the chain's own with none. */
  private forward(records: readonly PipelineRecord[]): void {
    for (const record of records) {
      this.next.onEmit(new SdkRecordView(record), this.contexts.get(record) ?? ROOT_CONTEXT);
    }
  }
}

function positiveInteger(key: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new ConfigError([{ path: key, message: `must be an integer of at least 1, got ${value}` }]);
  }
  return value;
}

/**
 * Attribute dictionaries of records copied from the SDK. A spread copy of the SDK's has no room beyond the
 * attributes it copies: V8 turns it into a hash dictionary when process attribution adds its two to a sensor's
 * twenty, and every read and write of it after that is a hash lookup. The copy is made with room instead (see
 * `attributeDictionaryMaker`).
 */
const newAttributeDictionary = attributeDictionaryMaker();

/**
 * Copies an SDK record into a pipeline record: a record object and an attribute dictionary of its own, which is
 * all the chain changes (stages add attributes in place and replace fields, never change times, body, span
 * context, resource or scope in place, so those are shared).
 */
export function fromSdkRecord(logRecord: ReadableLogRecord): PipelineRecord {
  return new PipelineRecord({
    hrTime: logRecord.hrTime,
    hrTimeObserved: logRecord.hrTimeObserved,
    spanContext: logRecord.spanContext,
    severityText: logRecord.severityText,
    severityNumber: logRecord.severityNumber,
    body: logRecord.body,
    eventName: logRecord.eventName,
    attributes: newAttributeDictionary(logRecord.attributes),
    droppedAttributesCount: logRecord.droppedAttributesCount,
    resource: logRecord.resource,
    instrumentationScope: logRecord.instrumentationScope,
  });
}

/** A pipeline record seen through the SDK's `ReadWriteLogRecord` interface, for the next SDK processor. */
class SdkRecordView implements ReadWriteLogRecord {
  private readonly record: PipelineRecord;

  constructor(record: PipelineRecord) {
    this.record = record;
  }

  get hrTime(): HrTime {
    return this.record.hrTime;
  }
  set hrTime(value: HrTime) {
    this.record.hrTime = value;
  }
  get hrTimeObserved(): HrTime {
    return this.record.hrTimeObserved;
  }
  set hrTimeObserved(value: HrTime) {
    this.record.hrTimeObserved = value;
  }
  get spanContext(): ReadWriteLogRecord['spanContext'] {
    return this.record.spanContext;
  }
  get resource(): ReadWriteLogRecord['resource'] {
    return this.record.resource;
  }
  get instrumentationScope(): ReadWriteLogRecord['instrumentationScope'] {
    return this.record.instrumentationScope;
  }
  get attributes(): ReadWriteLogRecord['attributes'] {
    return this.record.attributes;
  }
  get severityText(): string | undefined {
    return this.record.severityText;
  }
  get severityNumber(): ReadWriteLogRecord['severityNumber'] {
    return this.record.severityNumber;
  }
  get body(): AnyValue {
    return this.record.body;
  }
  get eventName(): string | undefined {
    return this.record.eventName;
  }
  get droppedAttributesCount(): number {
    return this.record.droppedAttributesCount;
  }
  set droppedAttributesCount(value: number) {
    this.record.droppedAttributesCount = value;
  }
  setAttribute(key: string, value?: AnyValue): this {
    if (value === undefined) delete this.record.attributes[key];
    else this.record.attributes[key] = value;
    return this;
  }
  setAttributes(attributes: ReadWriteLogRecord['attributes']): this {
    for (const [k, v] of Object.entries(attributes)) this.setAttribute(k, v);
    return this;
  }
  setBody(body: AnyValue): this {
    this.record.body = body;
    return this;
  }
  setEventName(eventName: string): this {
    this.record.eventName = eventName;
    return this;
  }
  setSeverityNumber(severityNumber: number): this {
    this.record.severityNumber = severityNumber;
    return this;
  }
  setSeverityText(severityText: string): this {
    this.record.severityText = severityText;
    return this;
  }
}
