/**
 * The conformance suite every processor package runs on itself: default config valid, unknown keys rejected,
 * create→shutdown, shutdown idempotent, process after shutdown a no-op, shutdown flushes held records, state
 * round-trips through snapshot and restore, metadata complete; and, as property-based tests over random record
 * sequences, conservation (every input record comes out or is counted as dropped, nothing is lost) and batch-split
 * invariance (the output is the same however the sequence is cut into batches).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import {
  ATTRIBUTE_PREFIX_DOCS,
  EventName,
  attributeDoc,
  eventTimeMs,
  type PipelineRecord,
} from '@egressguard/schema';

import { contractNames, type DefinedProcessorFactory } from '../define-processor.ts';
import { setErrorHandler, getErrorHandler, type ReportedError } from '../errors.ts';
import { Pipeline, type StageBalance } from '../pipeline.ts';
import type { Processor, ProcessorContext } from '../processor.ts';
import type { ProcessorFactory } from '../registry.ts';
import { CONSERVATION_REASONS } from './conservation.ts';
import { buildRecord, recordSequence, splitBatches, type RecordSpec } from './random-records.ts';

/** What the suite needs to know about a processor beyond its factory. */
export interface ConformanceOptions {
  /** Raw configuration to create instances with (default `{}`). */
  readonly config?: unknown;
  /** Records the processor accepts; used for the after-shutdown and round-trip checks. */
  readonly sampleRecords: () => PipelineRecord[];
  /**
   * For stateful processors: records after which the processor holds something that `shutdown` must emit. The
   * check asserts the shutdown output is not empty.
   */
  readonly heldRecords?: () => PipelineRecord[];
  /** Context overrides (a fixed clock). */
  readonly context?: Partial<Omit<ProcessorContext, 'id'>>;
  /**
   * Random sequences the property checks try. Default: the `EGRESSGUARD_PROPERTY_RUNS` environment variable, else
   * 100. The seed is random unless `EGRESSGUARD_PROPERTY_SEED` is set; a failure prints the seed and path that
   * replay it.
   */
  readonly propertyRuns?: number;
  /**
   * The order of the random sequences: `any` (default), or `event_time` for a processor that is batch-split
   * invariant only for input in event-time order (ties: process records first), and must say why.
   */
  readonly propertyInputOrder?: 'any' | 'event_time';
  /**
   * With `propertyInputOrder: 'event_time'`: process exec records are placed as if dated this much earlier, for a
   * processor that matches a process starting up to this long after a connection (a clock slack between sensors).
   * Default 0.
   */
  readonly propertyExecLeadMs?: number;
  /** Added to the suite's name, for a package that runs the suite on several configurations. */
  readonly label?: string;
}

/** The outcome of one conformance check. */
export interface ConformanceResult {
  readonly check: string;
  readonly ok: boolean;
  readonly error?: string;
}

const STABILITIES = new Set(['development', 'alpha', 'beta', 'stable']);

function create<C>(
  factory: ProcessorFactory<C>,
  options: ConformanceOptions,
  emit?: (records: PipelineRecord[]) => void,
): Processor {
  const config = factory.config.parse(options.config ?? {});
  return factory.create(config, {
    id: `${factory.type}/conformance`,
    now: () => 1_764_460_800_000,
    ...options.context,
    ...(emit ? { emit } : {}),
  });
}

/** JSON with object keys sorted, bigints as strings, binary as arrays: equal records give equal text. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === 'bigint') return `${v}n`;
    if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
    if (v instanceof Uint8Array) return { bytes: [...v] };
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}

/**
 * The canonical form of an output: every field a record carries, as a sorted multiset. Order is left out on
 * purpose: a stage may place what it adds at the end of the batch in which a window closed, and a held record comes
 * out with whichever batch releases it; which records come out, and with what content, must not depend on batching.
 */
function canonicalOutput(records: readonly PipelineRecord[]): string[] {
  return records
    .map((r) =>
      canonicalJson({
        eventName: r.eventName,
        time: r.hrTime,
        observed: r.hrTimeObserved,
        severity: [r.severityNumber, r.severityText],
        body: r.body,
        attributes: r.attributes,
        resource: r.resource.attributes,
        scope: [r.instrumentationScope.name, r.instrumentationScope.version],
      }),
    )
    .sort();
}

interface ChainRun {
  readonly out: PipelineRecord[];
  readonly balance: StageBalance;
  readonly reports: readonly ReportedError[];
}

/** Runs the batches through a one-stage pipeline of a new instance, shuts it down, returns all that came out. */
async function runBatches<C>(
  factory: ProcessorFactory<C>,
  options: ConformanceOptions,
  batches: readonly PipelineRecord[][],
): Promise<ChainRun> {
  const previous = getErrorHandler();
  const reports: ReportedError[] = [];
  // Random input makes processors report plenty; only conservation failures matter here.
  setErrorHandler((e) => {
    if (CONSERVATION_REASONS.includes(e.reason)) reports.push(e);
  });
  try {
    const emitted: PipelineRecord[] = [];
    const pipeline = new Pipeline({ onEmit: (records) => void emitted.push(...records) });
    pipeline.addStage(factory.type, (emit) => create(factory, options, emit));
    const out: PipelineRecord[] = [];
    for (const batch of batches) out.push(...(await pipeline.process(batch)));
    out.push(...(await pipeline.shutdown()));
    await pipeline.idle();
    out.push(...emitted);
    return { out, balance: pipeline.balance()[factory.type], reports };
  } finally {
    setErrorHandler(previous);
  }
}

function assertConserved(run: ChainRun, input: readonly PipelineRecord[], how: string): void {
  assert.deepEqual(
    run.reports.map((r) => `${r.reason}: ${r.message}`),
    [],
    `${how}: records_lost must stay 0`,
  );
  const out = new Set(run.out);
  const missing = input.filter((r) => !out.has(r)).length;
  assert.equal(run.balance.held, 0, `${how}: nothing is held after shutdown`);
  assert.equal(
    missing,
    run.balance.dropped,
    `${how}: every input record must come out or be counted as dropped (${missing} missing, ${run.balance.dropped} dropped: ${JSON.stringify(run.balance.droppedByReason)})`,
  );
  assert.equal(run.balance.lost, 0, `${how}: records_lost must stay 0`);
}

/**
 * Records sorted by event time (records without a time last), exec records `execLeadMs` earlier than their time,
 * execs first and exits last among equal times.
 */
function inEventTimeOrder(records: PipelineRecord[], execLeadMs: number): PipelineRecord[] {
  const rank = (r: PipelineRecord) =>
    r.eventName === EventName.PROCESS_EXEC ? 0 : r.eventName === EventName.PROCESS_EXIT ? 2 : 1;
  const key = (r: PipelineRecord) =>
    (eventTimeMs(r) ?? Infinity) - (r.eventName === EventName.PROCESS_EXEC ? execLeadMs : 0);
  return records.sort((a, b) => key(a) - key(b) || rank(a) - rank(b));
}

/** Property: conservation and batch-split invariance over random record sequences. */
async function checkConservationProperty<C>(
  factory: ProcessorFactory<C>,
  options: ConformanceOptions,
): Promise<void> {
  const runs = options.propertyRuns ?? Number(process.env.EGRESSGUARD_PROPERTY_RUNS ?? 100);
  const seed = process.env.EGRESSGUARD_PROPERTY_SEED;
  const samples = [...options.sampleRecords(), ...(options.heldRecords?.() ?? [])];
  const build = (specs: readonly RecordSpec[]) => {
    const records = specs.map((s) => buildRecord(s, samples));
    return options.propertyInputOrder === 'event_time'
      ? inEventTimeOrder(records, options.propertyExecLeadMs ?? 0)
      : records;
  };
  await fc.assert(
    fc.asyncProperty(recordSequence, async (sequence) => {
      const { specs, cuts } = sequence;
      const wholeInput = build(specs);
      const whole = await runBatches(factory, options, [wholeInput]);
      assertConserved(whole, wholeInput, 'one batch');
      const splitInput = build(specs);
      const split = await runBatches(factory, options, splitBatches(splitInput, cuts));
      assertConserved(split, splitInput, 'split batches');
      const singleInput = build(specs);
      const single = await runBatches(
        factory,
        options,
        singleInput.map((r) => [r]),
      );
      assertConserved(single, singleInput, 'one record per batch');
      const expected = canonicalOutput(whole.out);
      assert.deepEqual(
        canonicalOutput(split.out),
        expected,
        'split batches must give the output of one batch',
      );
      assert.deepEqual(
        canonicalOutput(single.out),
        expected,
        'one record per batch must give the output of one batch',
      );
    }),
    { numRuns: runs, includeErrorInReport: true, ...(seed !== undefined ? { seed: Number(seed) } : {}) },
  );
}

function comparable(records: PipelineRecord[]): unknown[] {
  return records
    .map((r) => ({ eventName: r.eventName, time: r.hrTime, attributes: r.attributes }))
    .map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)))
    .sort();
}

/** The checks, by name; each throws on failure. */
export function conformanceChecks<C>(
  factory: ProcessorFactory<C>,
  options: ConformanceOptions,
): Record<string, () => Promise<void>> {
  return {
    'metadata is complete': async () => {
      const m = factory.metadata;
      assert.equal(m.type, factory.type, 'metadata.type must equal the factory type');
      assert.ok(m.description.length >= 10, 'metadata.description must say what the processor does');
      assert.ok(
        STABILITIES.has(m.stability),
        `metadata.stability must be one of ${[...STABILITIES].join(', ')}`,
      );
      assert.equal(typeof m.stateful, 'boolean', 'metadata.stateful must be a boolean');
      assert.ok(contractNames(m.reads).length > 0, 'metadata.reads must list what the processor reads');
      assert.ok(contractNames(m.writes).length > 0, 'metadata.writes must list what the processor writes');
      for (const name of [...m.reads.attributes, ...m.writes.attributes])
        assert.ok(
          attributeDoc(name) !== undefined || ATTRIBUTE_PREFIX_DOCS.some((doc) => doc.name === name),
          `metadata names ${name}, which the schema does not document`,
        );
      const p = create(factory, options);
      assert.equal(p.metadata, m, 'instances must expose the factory metadata');
      await p.shutdown();
    },
    'default config is valid': async () => {
      const parsed = factory.config.parse({});
      assert.deepEqual(parsed, factory.config.defaults(), 'parse({}) must equal defaults()');
      // zod does not validate defaults: feeding them back in explicitly is what proves they satisfy the schema.
      assert.deepEqual(
        factory.config.parse(JSON.parse(JSON.stringify(parsed))),
        parsed,
        'the defaults must themselves validate',
      );
      const schema = factory.config.jsonSchema();
      assert.equal(schema.type, 'object', 'the JSON Schema must describe an object');
      await create(factory, { ...options, config: {} }).shutdown();
    },
    'unknown keys are rejected with their path': () => {
      assert.throws(
        () => factory.config.parse({ no_such_key_xyz: 1 }, `processors.${factory.type}`),
        (error: Error) => error.message.includes(`processors.${factory.type}.no_such_key_xyz`),
      );
      return Promise.resolve();
    },
    'create then shutdown, idempotently': async () => {
      const p = create(factory, options);
      const first = await p.shutdown();
      const second = await p.shutdown();
      assert.ok(Array.isArray(first));
      assert.deepEqual(comparable(second), comparable(first), 'a second shutdown must not emit anything new');
    },
    'process after shutdown is a no-op': async () => {
      const p = create(factory, options);
      await p.shutdown();
      const before = p.counters();
      const out = await p.process(options.sampleRecords());
      assert.deepEqual(out, [], 'process after shutdown must return nothing');
      const after = p.counters();
      assert.equal(after.recordsIn, before.recordsIn, 'process after shutdown must not count records in');
      assert.equal(after.recordsOut, before.recordsOut);
      assert.deepEqual(after.state, before.state, 'process after shutdown must not change state');
    },
    'shutdown flushes held records': async () => {
      if (!factory.metadata.stateful || !options.heldRecords) {
        const p = create(factory, options);
        await p.process(options.sampleRecords());
        assert.deepEqual(await p.shutdown(), [], 'a stateless processor holds nothing to flush');
        return;
      }
      const p = create(factory, options);
      await p.process(options.heldRecords());
      const flushed = await p.shutdown();
      assert.ok(flushed.length > 0, 'shutdown must emit the records the processor held');
    },
    'state round-trips through snapshot and restore': async () => {
      const a = create(factory, options);
      await a.process(options.sampleRecords());
      const snap = a.snapshot();
      if (!factory.metadata.stateful) {
        assert.equal(snap, undefined, 'a stateless processor has no snapshot');
        await a.shutdown();
        return;
      }
      assert.ok(snap !== undefined, 'a stateful processor must snapshot its state');
      assert.equal(typeof snap.version, 'number', 'snapshots carry a version');
      const json = JSON.parse(JSON.stringify(snap)) as typeof snap;
      const b = create(factory, options);
      b.restore(json);
      assert.deepEqual(
        JSON.parse(JSON.stringify(b.snapshot())),
        json,
        'restore then snapshot must give the same state',
      );
      assert.deepEqual(
        comparable(await b.shutdown()),
        comparable(await a.shutdown()),
        'a restored instance must flush what the original flushes',
      );
    },
    'a snapshot that does not fit the state schema is refused, naming the processor and the key':
      async () => {
        const state = (factory as DefinedProcessorFactory<C>).state;
        if (!factory.metadata.stateful || state === undefined) return;
        const a = create(factory, options);
        await a.process(options.sampleRecords());
        const snap = JSON.parse(JSON.stringify(a.snapshot())) as Record<string, unknown>;
        await a.shutdown();
        assert.equal(snap.version, state.version, 'a snapshot carries its definition version');
        assert.doesNotThrow(() => state.decode(snap, factory.type), 'a snapshot must fit its own schema');
        const key = Object.keys(snap).find((k) => k !== 'version');
        assert.ok(key !== undefined, 'a stateful processor snapshots at least one key');
        const wrong = typeof snap[key] === 'number' ? 'not a number' : 7;
        const b = create(factory, options);
        assert.throws(
          () => b.restore({ ...snap, version: state.version, [key]: wrong }),
          (error: Error) =>
            error.message.includes(factory.type) && error.message.includes(key)
              ? true
              : assert.fail(`the error must name ${factory.type} and ${key}: ${error.message}`),
        );
        assert.throws(
          () => b.restore({ ...snap, version: state.version + 1 }),
          /unknown version/,
          'a snapshot of a later version is refused',
        );
        await b.shutdown();
      },
    'conserves records and is batch-split invariant (property)': () =>
      checkConservationProperty(factory, options),
  };
}

/** Runs every check and returns the outcomes (used to prove the suite catches broken processors). */
export async function checkConformance<C>(
  factory: ProcessorFactory<C>,
  options: ConformanceOptions,
): Promise<ConformanceResult[]> {
  const results: ConformanceResult[] = [];
  for (const [check, run] of Object.entries(conformanceChecks(factory, options))) {
    try {
      await run();
      results.push({ check, ok: true });
    } catch (error) {
      results.push({ check, ok: false, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return results;
}

/** Registers the conformance checks as `node:test` tests under one `describe`. */
export function conformanceSuite<C>(factory: ProcessorFactory<C>, options: ConformanceOptions): void {
  void describe(`${factory.type} conformance${options.label ? ` (${options.label})` : ''}`, () => {
    for (const [check, run] of Object.entries(conformanceChecks(factory, options))) {
      void it(check, run);
    }
  });
}
