/**
 * The OpenTelemetry JS SDK adapter. An SDK `LogRecordProcessor` cannot drop a record or emit a new one: every
 * processor in `LoggerProvider({ processors })` sees every record. This adapter is a `LogRecordProcessor` that runs
 * the chain and hands only what passes (and what the chain emits later) to the next processor, typically a
 * `BatchLogRecordProcessor` with an OTLP exporter.
 */
import type { AnyValue, Context, HrTime } from '@opentelemetry/api';
import type { LogRecordProcessor, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import { PipelineRecord } from '@egressguard/schema';

import { reportError } from './errors.ts';
import { Pipeline, type StageBalance } from './pipeline.ts';
import type { Processor } from './processor.ts';

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
}

/** Runs an egressguard chain inside an SDK logging pipeline. */
export class ChainLogRecordProcessor implements LogRecordProcessor {
  private readonly pipeline: Pipeline;
  private readonly next: LogRecordProcessor;
  private pending: Promise<void> = Promise.resolve();
  private shutdownOnce: Promise<void> | undefined;

  constructor(options: ChainLogRecordProcessorOptions) {
    this.next = options.next;
    this.pipeline = new Pipeline({ onEmit: (records) => this.forward(records, undefined) });
    (options.processors ?? []).forEach((processor, i) => {
      this.pipeline.addStage(`${processor.metadata.type}#${i}`, () => processor);
    });
    options.stages?.(this.pipeline);
  }

  onEmit(logRecord: ReadWriteLogRecord, context?: Context): void {
    if (this.shutdownOnce) return;
    // The SDK makes the record read-only once onEmit returns and the chain runs asynchronously: copy it now.
    const record = fromSdkRecord(logRecord);
    this.pending = this.pending
      .then(async () => this.forward(await this.pipeline.process([record]), context))
      .catch((cause: unknown) => {
        reportError({
          component: 'sdk-adapter',
          reason: 'processing_failed',
          message: 'a log record could not be processed',
          cause,
        });
      });
  }

  /** What every stage of the chain did with records (in, out, added, dropped, held, lost), by stage id. */
  balance(): Record<string, StageBalance> {
    return this.pipeline.balance();
  }

  async forceFlush(): Promise<void> {
    await this.pending;
    this.forward(await this.pipeline.flush(), undefined);
    await this.next.forceFlush();
  }

  shutdown(): Promise<void> {
    this.shutdownOnce ??= (async () => {
      await this.pending;
      this.forward(await this.pipeline.shutdown(), undefined);
      await this.next.shutdown();
    })();
    return this.shutdownOnce;
  }

  private forward(records: PipelineRecord[], context: Context | undefined): void {
    for (const record of records) this.next.onEmit(new SdkRecordView(record), context);
  }
}

function copyTime(t: HrTime): HrTime {
  return [t[0], t[1]];
}

/** Copies an SDK record into a pipeline record (own attribute dictionary; shared resource and scope). */
export function fromSdkRecord(logRecord: ReadWriteLogRecord): PipelineRecord {
  return new PipelineRecord({
    hrTime: copyTime(logRecord.hrTime),
    hrTimeObserved: copyTime(logRecord.hrTimeObserved),
    ...(logRecord.spanContext ? { spanContext: logRecord.spanContext } : {}),
    ...(logRecord.severityText !== undefined ? { severityText: logRecord.severityText } : {}),
    ...(logRecord.severityNumber !== undefined ? { severityNumber: logRecord.severityNumber } : {}),
    body: logRecord.body,
    ...(logRecord.eventName !== undefined ? { eventName: logRecord.eventName } : {}),
    attributes: { ...(logRecord.attributes as Record<string, AnyValue>) },
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
