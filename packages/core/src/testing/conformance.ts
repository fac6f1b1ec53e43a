/**
 * The conformance suite every processor package runs on itself: default config valid, unknown keys rejected,
 * create→shutdown, shutdown idempotent, process after shutdown a no-op, shutdown flushes held records, state
 * round-trips through snapshot and restore, metadata complete.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { PipelineRecord } from '@egressguard/schema';

import type { ProcessorContext } from '../processor.ts';
import type { ProcessorFactory } from '../registry.ts';

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
}

/** The outcome of one conformance check. */
export interface ConformanceResult {
  readonly check: string;
  readonly ok: boolean;
  readonly error?: string;
}

const STABILITIES = new Set(['development', 'alpha', 'beta', 'stable']);

function create<C>(factory: ProcessorFactory<C>, options: ConformanceOptions) {
  const config = factory.config.parse(options.config ?? {});
  return factory.create(config, {
    id: `${factory.type}/conformance`,
    now: () => 1_764_460_800_000,
    ...options.context,
  });
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
      assert.ok(m.reads.length > 0, 'metadata.reads must list what the processor reads');
      assert.ok(m.writes.length > 0, 'metadata.writes must list what the processor writes');
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
  void describe(`${factory.type} conformance`, () => {
    for (const [check, run] of Object.entries(conformanceChecks(factory, options))) {
      void it(check, run);
    }
  });
}
