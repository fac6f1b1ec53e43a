/**
 * Test processors for core's own tests: a filter that drops by attribute, and a stateful counter that holds one
 * summary record per host until flushed (the smallest thing that exercises emit-later, flush and snapshots).
 */
import { z } from 'zod';

import {
  EventName,
  PipelineRecord,
  createResource,
  hostName,
  type RecordResource,
} from '@egressguard/schema';
import {
  BaseProcessor,
  defineConfig,
  defineState,
  type ProcessorContext,
  type ProcessorFactory,
  type ProcessorMetadata,
} from '@egressguard/core';
import { TEST_SCOPE } from '@egressguard/core/testing';

export const dropConfig = defineConfig(
  z.strictObject({
    attribute: z
      .string()
      .default('drop')
      .describe('Records whose attribute of this name is true are dropped. Default: `drop`.'),
  }),
);

const dropMetadata: ProcessorMetadata = {
  type: 'test_drop',
  description: 'Drops records flagged with an attribute (test double).',
  stability: 'development',
  stateful: false,
  reads: { events: [], attributes: [], body: 'the test attribute that flags a record' },
  writes: { events: [], attributes: [], body: '(drops records)' },
};

export class DropProcessor extends BaseProcessor {
  override readonly metadata = dropMetadata;
  private readonly attribute: string;
  constructor(config: z.output<typeof dropConfig.schema>, context: ProcessorContext) {
    super(context);
    this.attribute = config.attribute;
  }
  protected processBatch(batch: PipelineRecord[]): PipelineRecord[] {
    const out = batch.filter((r) => r.attributes[this.attribute] !== true);
    this.stats.drop('flagged', batch.length - out.length);
    return out;
  }
}

export const dropFactory: ProcessorFactory<z.output<typeof dropConfig.schema>> = {
  type: 'test_drop',
  metadata: dropMetadata,
  config: dropConfig,
  create: (config, context) => new DropProcessor(config, context),
};

export const countConfig = defineConfig(
  z.strictObject({
    emit_every: z
      .number()
      .int()
      .min(1)
      .default(1000)
      .describe('Emit a summary every this many records. Default: 1000.'),
  }),
);

const countMetadata: ProcessorMetadata = {
  type: 'test_count',
  description: 'Counts records per host and emits a summary record per host on flush (test double).',
  stability: 'development',
  stateful: true,
  reads: { events: [], attributes: ['host.name'] },
  writes: { events: [], attributes: [], body: 'test.count' },
};

/** The counter's state: records seen per host. */
const countState = defineState({
  version: 1,
  schema: z.strictObject({ counts: z.record(z.string(), z.number().int().nonnegative()) }),
});

export class CountProcessor extends BaseProcessor<z.output<typeof countState.schema>> {
  override readonly metadata = countMetadata;
  private counts = new Map<string, number>();
  private readonly resources = new Map<string, RecordResource>();
  private readonly emitEvery: number;
  private seen = 0;
  constructor(config: z.output<typeof countConfig.schema>, context: ProcessorContext) {
    super(context, countState);
    this.emitEvery = config.emit_every;
  }
  protected processBatch(batch: PipelineRecord[]): PipelineRecord[] {
    for (const r of batch) {
      const host = hostName(r) ?? '(none)';
      this.counts.set(host, (this.counts.get(host) ?? 0) + 1);
      this.resources.set(host, r.resource);
      if (++this.seen % this.emitEvery === 0) this.emitLater(this.summaries());
    }
    return batch;
  }
  /** Lets a test emit outside process(), as a timer would. */
  tick(): void {
    this.emitLater(this.summaries());
  }
  protected override flushState(): PipelineRecord[] {
    const out = this.summaries();
    this.counts = new Map();
    return out;
  }
  protected override snapshotState() {
    return { counts: Object.fromEntries(this.counts) };
  }
  protected override restoreState(state: z.output<typeof countState.schema>): void {
    this.counts = new Map(Object.entries(state.counts));
  }
  protected override stateSize() {
    return { entries: this.counts.size };
  }
  private summaries(): PipelineRecord[] {
    return [...this.counts].map(
      ([host, count]) =>
        new PipelineRecord({
          eventName: EventName.COVERAGE,
          attributes: { 'test.host': host, 'test.count': count },
          resource: this.resources.get(host)!,
          instrumentationScope: TEST_SCOPE,
        }),
    );
  }
}

export const countFactory: ProcessorFactory<z.output<typeof countConfig.schema>> = {
  type: 'test_count',
  metadata: countMetadata,
  config: countConfig,
  create: (config, context) => new CountProcessor(config, context),
};

export const ctx = (id = 'test'): ProcessorContext => ({ id, now: () => 0 });

/** Holds records flagged `hold` until flushed or released by a tick (a test double of a join that waits). */
const holdState = defineState({
  version: 1,
  schema: z.strictObject({
    held: z.array(z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]))),
  }),
});

export class HoldProcessor extends BaseProcessor<z.output<typeof holdState.schema>> {
  override readonly metadata = { ...dropMetadata, stateful: true };
  private waiting: PipelineRecord[] = [];
  constructor(_config: z.output<typeof dropConfig.schema>, context: ProcessorContext) {
    super(context, holdState);
  }
  protected override processBatch(batch: PipelineRecord[]): PipelineRecord[] {
    const out: PipelineRecord[] = [];
    for (const r of batch) (r.attributes.hold === true ? this.waiting : out).push(r);
    return out;
  }
  /** Releases what it holds outside process(), as a timer would. */
  tick(): void {
    const records = this.waiting;
    this.waiting = [];
    this.emitLater(records);
  }
  protected override flushState(): PipelineRecord[] {
    const records = this.waiting;
    this.waiting = [];
    return records;
  }
  protected override heldRecords(): number {
    return this.waiting.length;
  }
  protected override snapshotState() {
    return { held: this.waiting.map((r) => r.attributes as Record<string, string | number | boolean>) };
  }
  protected override restoreState(state: z.output<typeof holdState.schema>): void {
    this.waiting = state.held.map(
      (attributes) =>
        new PipelineRecord({ attributes, resource: createResource({}), instrumentationScope: TEST_SCOPE }),
    );
  }
}
