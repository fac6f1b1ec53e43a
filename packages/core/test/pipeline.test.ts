import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Pipeline, setErrorHandler, stderrErrorHandler, type ReportedError } from '@egressguard/core';
import { makeConnection } from '@egressguard/core/testing';
import type { PipelineRecord } from '@egressguard/schema';

import { CountProcessor, DropProcessor, ctx } from './fixtures.ts';

describe('Pipeline', () => {
  it('chains stages and drops what a stage drops', async () => {
    const p = Pipeline.of([
      new DropProcessor({ attribute: 'drop' }, ctx()),
      new CountProcessor({ emit_every: 1000 }, ctx()),
    ]);
    const out = await p.process([
      makeConnection({ n: 1 }),
      makeConnection({ n: 2, drop: true }),
      makeConnection({ n: 3 }),
    ]);
    assert.deepEqual(
      out.map((r) => r.attributes.n),
      [1, 3],
    );
    const counters = p.counters();
    assert.deepEqual(counters['test_drop#0']?.dropped, { flagged: 1 });
    assert.equal(counters['test_count#1']?.recordsIn, 2);
  });

  it('runs what a stage emits later through the stages after it, to onEmit', async () => {
    const emitted: PipelineRecord[][] = [];
    let counter: CountProcessor | undefined;
    const p = new Pipeline({ onEmit: (records) => void emitted.push(records) });
    p.addStage(
      'test_count/a',
      (emit) => (counter = new CountProcessor({ emit_every: 1000 }, { ...ctx('a'), emit })),
    );
    p.addStage(
      'test_drop/b',
      (emit) => new DropProcessor({ attribute: 'test.count' }, { ...ctx('b'), emit }),
    );
    await p.process([makeConnection({}, { host: 'h1' }), makeConnection({}, { host: 'h2' })]);
    counter!.tick();
    await p.idle();
    assert.equal(emitted.length, 1);
    assert.deepEqual(emitted[0].map((r) => r.attributes['test.host']).sort(), ['h1', 'h2']);

    // A later stage that drops the emitted records: nothing reaches onEmit.
    const q = new Pipeline({ onEmit: (records) => void emitted.push(records) });
    let c2: CountProcessor | undefined;
    q.addStage('a', (emit) => (c2 = new CountProcessor({ emit_every: 1000 }, { ...ctx('a'), emit })));
    q.addStage('b', (emit) => new DropProcessor({ attribute: 'test.count' }, { ...ctx('b'), emit }));
    await q.process([makeConnection({ 'test.count': 1 })]);
    c2!.tick();
    await q.idle();
    assert.equal(emitted.length, 2, 'second pipeline emitted one more batch');
  });

  it('holds later emissions for the next result when there is no onEmit', async () => {
    const counter = new CountProcessor({ emit_every: 2 }, ctx());
    const p = Pipeline.of([counter]);
    const first = await p.process([makeConnection({ n: 1 }), makeConnection({ n: 2 })]);
    // emit_every=2: the summary emitted during the batch comes out with that batch's result.
    assert.deepEqual(
      first.map((r) => r.attributes['test.count'] ?? r.attributes.n),
      [2, 1, 2],
    );
  });

  it('flushes each stage through the stages after it, and shutdown is idempotent', async () => {
    const p = Pipeline.of([
      new CountProcessor({ emit_every: 1000 }, ctx()),
      new DropProcessor({ attribute: 'nope' }, ctx()),
    ]);
    await p.process([makeConnection({}, { host: 'h1' })]);
    const flushed = await p.shutdown();
    assert.equal(flushed.length, 1);
    assert.equal(flushed[0].attributes['test.count'], 1);
    assert.deepEqual(await p.shutdown(), flushed);
    assert.deepEqual(await p.process([makeConnection({})]), [], 'process after shutdown returns nothing');
  });

  it('snapshots and restores stateful stages by id, reporting unknown ids', async () => {
    const a = Pipeline.of([new CountProcessor({ emit_every: 1000 }, ctx())]);
    await a.process([makeConnection({}, { host: 'h1' }), makeConnection({}, { host: 'h1' })]);
    const snap = await a.snapshot();
    const b = Pipeline.of([new CountProcessor({ emit_every: 1000 }, ctx())]);
    const errors: ReportedError[] = [];
    setErrorHandler((e) => errors.push(e));
    try {
      b.restore({ version: 1, stages: { ...snap.stages, 'gone#9': { version: 1 } } });
    } finally {
      setErrorHandler(stderrErrorHandler);
    }
    assert.equal(errors[0]?.reason, 'snapshot_stage_unknown');
    const out = await b.flush();
    assert.equal(out[0].attributes['test.count'], 2);
  });

  it('rejects duplicate stage ids', () => {
    const p = new Pipeline();
    p.addStage('x', () => new DropProcessor({ attribute: 'd' }, ctx()));
    assert.throws(
      () => p.addStage('x', () => new DropProcessor({ attribute: 'd' }, ctx())),
      /duplicate pipeline stage id x/,
    );
  });

  it('contains a processor that throws: the batch passes unprocessed and the error is reported', async () => {
    class Throwing extends DropProcessor {
      protected override processBatch(): PipelineRecord[] {
        throw new Error('boom');
      }
    }
    const errors: ReportedError[] = [];
    setErrorHandler((e) => errors.push(e));
    try {
      const p = Pipeline.of([new Throwing({ attribute: 'd' }, ctx('thrower'))]);
      const out = await p.process([makeConnection({ n: 1 })]);
      assert.equal(out.length, 1);
    } finally {
      setErrorHandler(stderrErrorHandler);
    }
    assert.equal(errors[0]?.component, 'thrower');
    assert.equal(errors[0]?.reason, 'processing_failed');
  });
});
