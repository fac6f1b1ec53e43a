import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, it } from 'node:test';

import { createContextKey, ROOT_CONTEXT, type Context } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  SimpleLogRecordProcessor,
  type LogRecordProcessor,
  type ReadWriteLogRecord,
} from '@opentelemetry/sdk-logs';

import type { PipelineRecord } from '@egressguard/schema';
import {
  BaseProcessor,
  ChainLogRecordProcessor,
  ConfigError,
  getErrorHandler,
  setErrorHandler,
  type ChainLogRecordProcessorOptions,
  type ErrorHandler,
  type Processor,
  type ProcessorContext,
  type ProcessorMetadata,
  type ReportedError,
} from '@egressguard/core';

import { assertRecordsConserved, runNativesChild } from '@egressguard/core/testing';

import { CountProcessor, DropProcessor, ctx } from './fixtures.ts';

describe('ChainLogRecordProcessor inside a real SDK LoggerProvider', () => {
  it('drops what the chain drops, passes what passes, and forwards what the chain emits on flush', async () => {
    const exporter = new InMemoryLogRecordExporter();
    const chain = new ChainLogRecordProcessor({
      processors: [
        new DropProcessor({ attribute: 'drop' }, ctx('drop')),
        new CountProcessor({ emit_every: 1000 }, ctx('count')),
      ],
      next: new SimpleLogRecordProcessor({ exporter }),
    });
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'host.name': 'agent-host', 'service.name': 'agent' }),
      processors: [chain],
    });
    const logger = provider.getLogger('egressguard-test', '1.0.0');
    logger.emit({ eventName: 'egressguard.connection', attributes: { n: 1, drop: true }, body: 'dropped' });
    logger.emit({ eventName: 'egressguard.connection', attributes: { n: 2 }, body: 'passes' });

    await provider.forceFlush();
    const exported = exporter.getFinishedLogRecords();
    const bodies = exported.map((r) => r.body);
    assert.ok(!bodies.includes('dropped'), 'a record the chain drops never reaches the exporter');
    assert.ok(bodies.includes('passes'), 'a passing record reaches the exporter');
    const passing = exported.find((r) => r.body === 'passes')!;
    assert.equal(passing.resource.attributes['host.name'], 'agent-host', 'the SDK resource is kept');
    assert.equal(passing.instrumentationScope.name, 'egressguard-test');
    const summary = exported.find((r) => r.attributes['test.count'] !== undefined);
    assert.ok(summary, 'the record the chain emits on flush reaches the exporter');
    assert.equal(
      summary.attributes['test.count'],
      1,
      'the counter saw only the record that passed the drop stage',
    );
    assert.equal(summary.attributes['test.host'], 'agent-host');

    await provider.shutdown();
    await provider.shutdown();
    assertRecordsConserved(chain.balance(), 'sdk chain');
    assert.deepEqual(
      Object.values(chain.balance()).map((b) => [b.recordsIn, b.dropped, b.added]),
      [
        [2, 1, 0],
        [1, 0, 1],
      ],
    );
  });

  it('flushes what the chain holds on shutdown', async () => {
    const exporter = new InMemoryLogRecordExporter();
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'host.name': 'h' }),
      processors: [
        new ChainLogRecordProcessor({
          processors: [new CountProcessor({ emit_every: 1000 }, ctx())],
          next: new SimpleLogRecordProcessor({ exporter }),
        }),
      ],
    });
    provider.getLogger('t').emit({ attributes: { a: 1 } });
    // InMemoryLogRecordExporter forgets on shutdown; capture what it receives.
    const seen: unknown[] = [];
    const original = exporter.export.bind(exporter);
    exporter.export = (records, cb) => {
      seen.push(...records.map((r) => r.attributes['test.count']));
      original(records, cb);
    };
    await provider.shutdown();
    assert.ok(
      seen.includes(1),
      `summary emitted at shutdown reaches the exporter (saw ${JSON.stringify(seen)})`,
    );
  });
});

/** Records each batch it gets (the `n` attribute of its records), marks every record, and may take its time. */
class RecordingProcessor extends BaseProcessor {
  override readonly metadata: ProcessorMetadata = {
    type: 'test_recording',
    description: 'Records the batches it receives (test double).',
    stability: 'development',
    stateful: false,
    reads: { events: [], attributes: [], body: 'the test attribute n' },
    writes: { events: [], attributes: [], body: 'marks each record with test.seen' },
  };
  readonly batches: number[][] = [];
  private readonly delayMs: number;

  constructor(context: ProcessorContext, delayMs = 0) {
    super(context);
    this.delayMs = delayMs;
  }

  protected override async processBatch(batch: PipelineRecord[]): Promise<PipelineRecord[]> {
    this.batches.push(batch.map((r) => r.attributes['n'] as number));
    for (const r of batch) r.attributes['test.seen'] = true;
    if (this.delayMs > 0) await sleep(this.delayMs);
    return batch;
  }
}

/** A next processor that keeps what it receives, synchronously, with the context it came with. */
class CapturingProcessor implements LogRecordProcessor {
  readonly records: ReadWriteLogRecord[] = [];
  readonly contexts: (Context | undefined)[] = [];
  flushes = 0;
  shutdowns = 0;

  onEmit(record: ReadWriteLogRecord, context?: Context): void {
    this.records.push(record);
    this.contexts.push(context);
  }
  forceFlush(): Promise<void> {
    this.flushes++;
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    this.shutdowns++;
    return Promise.resolve();
  }
  numbers(): unknown[] {
    return this.records.map((r) => r.attributes['n']);
  }
}

interface Setup<P extends Processor = RecordingProcessor> {
  readonly chain: ChainLogRecordProcessor;
  readonly stage: P;
  readonly next: CapturingProcessor;
  readonly provider: LoggerProvider;
  readonly emit: (from: number, count: number) => void;
}

function setup(
  options: Omit<ChainLogRecordProcessorOptions, 'next' | 'processors'> = {},
  delayMs = 0,
  extra: LogRecordProcessor[] = [],
): Setup {
  return setupWith(new RecordingProcessor(ctx('recording'), delayMs), options, extra);
}

/** An SDK provider whose one processor is the adapter, with `stage` as its chain and a capturing next processor. */
function setupWith<P extends Processor>(
  stage: P,
  options: Omit<ChainLogRecordProcessorOptions, 'next' | 'processors'> = {},
  extra: LogRecordProcessor[] = [],
): Setup<P> {
  const next = new CapturingProcessor();
  const chain = new ChainLogRecordProcessor({ ...options, processors: [stage], next });
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'host.name': 'h' }),
    processors: [chain, ...extra],
  });
  const logger = provider.getLogger('egressguard-test');
  return {
    chain,
    stage,
    next,
    provider,
    emit: (from, count) => {
      for (let n = from; n < from + count; n++) logger.emit({ attributes: { n } });
    },
  };
}

const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i);
const endOfTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** received = handed + dropped + buffered, and every stage conserved what it was handed. */
function assertIntakeConserved(chain: ChainLogRecordProcessor): void {
  const intake = chain.intakeBalance();
  assert.equal(
    intake.received,
    intake.handed + intake.dropped + intake.buffered,
    `received = handed + dropped + buffered (${JSON.stringify(intake)})`,
  );
  assert.equal(
    intake.dropped,
    Object.values(intake.droppedByReason).reduce((n, d) => n + d, 0),
  );
  assertRecordsConserved(chain.balance(), 'sdk chain');
}

describe('ChainLogRecordProcessor batching', () => {
  let reports: ReportedError[];
  let previous: ErrorHandler;
  beforeEach(() => {
    reports = [];
    previous = getErrorHandler();
    setErrorHandler((e) => reports.push(e));
  });
  afterEach(() => setErrorHandler(previous));

  it('runs the records emitted in one turn through the chain as one batch, in order', async () => {
    const s = setup();
    s.emit(0, 300);
    assert.deepEqual(s.stage.batches, [], 'nothing runs while the turn that emits is still going');
    await endOfTurn();
    assert.deepEqual(s.stage.batches, [range(0, 300)], 'one batch for the whole turn, in emit order');
    assert.deepEqual(
      s.next.numbers(),
      range(0, 300),
      'the next processor gets them in order, without a flush',
    );
    assert.equal(s.next.flushes, 0);

    s.emit(300, 5);
    await endOfTurn();
    assert.deepEqual(s.stage.batches.slice(1), [range(300, 5)], 'the next turn is a batch of its own');
    assert.deepEqual(s.chain.intakeBalance(), {
      received: 305,
      handed: 305,
      batches: 2,
      dropped: 0,
      droppedByReason: {},
      buffered: 0,
    });
    assertIntakeConserved(s.chain);
  });

  it('cuts a batch at maxBatchRecords', async () => {
    const { chain, stage, next, emit } = setup({ maxBatchRecords: 10 });
    emit(0, 25);
    await endOfTurn();
    assert.deepEqual(stage.batches, [range(0, 10), range(10, 10), range(20, 5)]);
    assert.deepEqual(next.numbers(), range(0, 25));
    assert.equal(chain.intakeBalance().batches, 3);
    assertIntakeConserved(chain);
  });

  it('copies the record: what the chain adds never reaches the SDK record other processors see', async () => {
    const spy = new CapturingProcessor();
    const { next, emit } = setup({}, 0, [spy]);
    emit(0, 1);
    await endOfTurn();
    assert.equal(next.records[0].attributes['test.seen'], true, 'the chain marked its copy');
    assert.equal(spy.records[0].attributes['test.seen'], undefined, 'the SDK record is untouched');
    assert.equal(spy.records[0].attributes['n'], 0);
    assert.notEqual(next.records[0].hrTime, undefined);
    assert.deepEqual(next.records[0].hrTime, spy.records[0].hrTime, 'the time comes through');
  });

  it('forwards each passing record with the context it was emitted in', async () => {
    const key = createContextKey('egressguard-test');
    const { next, provider } = setup();
    const logger = provider.getLogger('egressguard-test');
    const context = ROOT_CONTEXT.setValue(key, 'request-7');
    logger.emit({ attributes: { n: 0 }, context });
    logger.emit({ attributes: { n: 1 } });
    await endOfTurn();
    assert.equal(next.contexts[0]?.getValue(key), 'request-7');
    assert.equal(next.contexts[1], ROOT_CONTEXT, 'no context of its own: the empty one');
  });

  it('drops what arrives while maxBufferedRecords wait, counts it, and reports once per burst', async () => {
    const { chain, stage, next, emit } = setup({ maxBatchRecords: 4, maxBufferedRecords: 5 });
    emit(0, 12);
    // The first 4 went to the chain as soon as they made a batch; 5 more may wait; the last 3 find no room.
    assert.deepEqual(chain.intakeBalance(), {
      received: 12,
      handed: 4,
      batches: 1,
      dropped: 3,
      droppedByReason: { buffer_full: 3 },
      buffered: 5,
    });
    const full = reports.filter((r) => r.reason === 'buffer_full');
    assert.equal(full.length, 1, 'one report for the burst, not one per record');
    assert.equal(full[0].component, 'sdk-adapter');
    assert.match(full[0].message, /5 log records are waiting/);
    assertIntakeConserved(chain);

    await chain.forceFlush();
    assert.deepEqual(stage.batches, [range(0, 4), range(4, 4), [8]]);
    assert.deepEqual(next.numbers(), range(0, 9), 'what was not dropped passes, in order');
    assert.equal(chain.intakeBalance().buffered, 0);
    assertIntakeConserved(chain);

    emit(100, 12);
    assert.equal(
      reports.filter((r) => r.reason === 'buffer_full').length,
      2,
      'a new burst once the buffer had room again is reported again',
    );
    await chain.forceFlush();
    const intake = chain.intakeBalance();
    assert.deepEqual(intake.droppedByReason, { buffer_full: 6 });
    assert.equal(intake.received, 24);
    assert.equal(intake.handed + intake.dropped, 24);
    assert.equal(next.records.length, intake.handed, 'every record handed to the chain passed it');
    assertIntakeConserved(chain);
  });

  it('reports a batch the next processor refuses, and goes on with the batches after it', async () => {
    const s = setup({ maxBatchRecords: 2 });
    const onEmit = s.next.onEmit.bind(s.next);
    // The next processor throws on the record n = 1: the rest of that batch is lost past the chain, with a report.
    s.next.onEmit = (record, context) => {
      if (record.attributes['n'] === 1) throw new Error('exporter refused the record');
      onEmit(record, context);
    };
    s.emit(0, 5);
    await s.chain.forceFlush();
    assert.deepEqual(s.stage.batches, [range(0, 2), range(2, 2), [4]], 'every batch went through the chain');
    assert.deepEqual(s.next.numbers(), [0, 2, 3, 4], 'the batches after the refused one are delivered');
    const failed = reports.filter((r) => r.reason === 'processing_failed');
    assert.equal(failed.length, 1);
    assert.equal(failed[0].component, 'sdk-adapter');
    assert.match(failed[0].message, /batch of 2 log records/);
    assertIntakeConserved(s.chain);
  });

  it('drops records emitted into a drain that cannot keep up, and delivers the rest', async () => {
    // A slow chain: 2 ms a batch, while 3 records arrive per turn and at most 4 may wait.
    const { chain, next, emit } = setup({ maxBatchRecords: 2, maxBufferedRecords: 4 }, 2);
    for (let turn = 0; turn < 20; turn++) {
      emit(turn * 3, 3);
      await endOfTurn();
    }
    await chain.forceFlush();
    const intake = chain.intakeBalance();
    assert.equal(intake.received, 60);
    assert.ok(intake.dropped > 0, `the bound bit (${JSON.stringify(intake)})`);
    assert.equal(next.records.length, intake.handed);
    const seen = next.numbers() as number[];
    assert.deepEqual(
      seen,
      [...seen].sort((a, b) => a - b),
      'what passes keeps its order',
    );
    assert.ok(reports.filter((r) => r.reason === 'buffer_full').length >= 1);
    assertIntakeConserved(chain);
  });

  it('forceFlush runs what is buffered through the chain, then flushes the chain and the next processor', async () => {
    const { chain, next, provider, emit } = setupWith(new CountProcessor({ emit_every: 1000 }, ctx('count')));
    emit(0, 3);
    // Same turn: nothing has gone through the chain yet.
    await provider.forceFlush();
    assert.deepEqual(next.numbers(), [0, 1, 2, undefined], 'the buffered records, then the flush output');
    assert.equal(next.records[3].attributes['test.count'], 3, 'the chain counted all three before its flush');
    assert.equal(next.flushes, 1);
    assertIntakeConserved(chain);
  });

  it('shutdown delivers what is buffered and what the chain holds, once; later records are counted', async () => {
    const { chain, next, emit } = setupWith(new CountProcessor({ emit_every: 1000 }, ctx('count')));
    emit(0, 700);
    await Promise.all([chain.shutdown(), chain.shutdown()]);
    assert.equal(next.records.length, 701, '700 records and the summary the chain held');
    assert.deepEqual(next.numbers().slice(0, 700), range(0, 700));
    assert.equal(next.records[700].attributes['test.count'], 700);
    assert.equal(next.shutdowns, 1);

    // The provider itself was not shut down, so it still calls onEmit.
    emit(700, 1);
    const intake = chain.intakeBalance();
    assert.deepEqual(intake.droppedByReason, { after_shutdown: 1 });
    assert.equal(intake.handed, 700);
    assert.equal(next.records.length, 701);
    assertIntakeConserved(chain);
  });

  it('a flush does not wait for records emitted after it was called', async () => {
    const { chain, next, emit } = setup({ maxBatchRecords: 1 }, 5);
    emit(0, 3);
    let n = 3;
    // The application keeps logging, faster than the chain takes records (a batch takes 5 ms).
    const timer = setInterval(() => emit(n++, 1), 1);
    try {
      const flushed = await Promise.race([
        chain.forceFlush().then(() => true),
        sleep(2000).then(() => false),
      ]);
      assert.ok(flushed, 'forceFlush ended while records kept coming');
      assert.deepEqual(next.numbers().slice(0, 3), [0, 1, 2], 'with every record emitted before it');
    } finally {
      clearInterval(timer);
    }
    await chain.shutdown();
    assertIntakeConserved(chain);
  });

  it('forwards what a stage emits later (a timer) at once, without a flush', async () => {
    let counter: CountProcessor | undefined;
    const next = new CapturingProcessor();
    const chain = new ChainLogRecordProcessor({
      stages: (pipeline) => {
        pipeline.addStage('count', (emit) => {
          counter = new CountProcessor({ emit_every: 1000 }, { ...ctx('count'), emit });
          return counter;
        });
      },
      next,
    });
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'host.name': 'h' }),
      processors: [chain],
    });
    provider.getLogger('t').emit({ attributes: { n: 0 } });
    await endOfTurn();
    counter!.tick();
    await endOfTurn();
    assert.equal(next.records.length, 2);
    assert.equal(
      next.records[1].attributes['test.count'],
      1,
      'the later emission reached the next processor',
    );
    assert.equal(next.flushes, 0);
  });

  it('validates its options, naming the key', () => {
    const next = new CapturingProcessor();
    for (const [options, key] of [
      [{ maxBatchRecords: 0 }, 'maxBatchRecords'],
      [{ maxBatchRecords: 1.5 }, 'maxBatchRecords'],
      [{ maxBufferedRecords: -1 }, 'maxBufferedRecords'],
      [{ maxBufferedRecords: Number.NaN }, 'maxBufferedRecords'],
    ] as const) {
      assert.throws(
        () => new ChainLogRecordProcessor({ ...options, next }),
        (e: unknown) =>
          e instanceof ConfigError && e.message.includes(`${key}: must be an integer of at least 1`),
      );
    }
    new ChainLogRecordProcessor({ maxBatchRecords: 100, maxBufferedRecords: 10, next });
    assert.deepEqual(
      reports.map((r) => r.reason),
      ['option_clamped'],
      'a batch larger than the buffer is clamped, with a report',
    );
  });
});

describe('ChainLogRecordProcessor copies in V8', () => {
  it('copies SDK records into attribute dictionaries that stay fast V8 objects when stages add attributes', () => {
    // A V8 property, observable only with --allow-natives-syntax: checked in a child process. A hash dictionary
    // makes every later read and write of the record, and the serializer's walk over it, a hash lookup.
    const { adapter, spread } = runNativesChild<{ adapter: [number, number]; spread: [number, number] }>(
      join(import.meta.dirname, 'support', 'sdk-dictionary-mode-child.ts'),
    );
    assert.ok(adapter[1] > 0);
    assert.deepEqual(adapter, [adapter[1], adapter[1]], 'every copy still in fast mode');
    assert.equal(spread[0], 0, 'spread copies are not: the check can fail');
  });
});
