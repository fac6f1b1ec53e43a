import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Pipeline, setErrorHandler, stderrErrorHandler, type ReportedError } from '@egressguard/core';
import { assertRecordsConserved, makeConnection, watchRecordsLost } from '@egressguard/core/testing';
import type { PipelineRecord } from '@egressguard/schema';

import { CountProcessor, DropProcessor, HoldProcessor, ctx } from './fixtures.ts';

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
    assertRecordsConserved(p);
  });

  it("times each stage's calls: the records and calls it got, and the time it took", async () => {
    const slow = new CountProcessor({ emit_every: 1000 }, ctx());
    const process = slow.process.bind(slow);
    // A stage that takes at least 30 ms per call (an await, as a stage waiting on I/O would).
    slow.process = async (batch) => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      return process(batch);
    };
    const p = Pipeline.of([new DropProcessor({ attribute: 'drop' }, ctx()), slow]);
    await p.process([makeConnection({ n: 1 }), makeConnection({ n: 2, drop: true })]);
    await p.process([makeConnection({ n: 3 })]);
    await p.flush();
    const timings = p.timings();
    assert.deepEqual(Object.keys(timings), ['test_drop#0', 'test_count#1'], 'every stage, in chain order');
    assert.equal(timings['test_drop#0']?.records, 3);
    assert.equal(timings['test_count#1']?.records, 2, 'what the stage before it passed on');
    assert.equal(timings['test_drop#0']?.calls, 3, 'two batches and the flush');
    assert.equal(timings['test_count#1']?.calls, 3);
    assert.ok(
      timings['test_count#1'].ms >= 55,
      `the awaited work counts (${timings['test_count#1']?.ms} ms)`,
    );
    assert.ok(timings['test_drop#0'].ms < timings['test_count#1'].ms);
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
    assertRecordsConserved(p);
    assertRecordsConserved(q);
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
    assertRecordsConserved(p);
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
    assertRecordsConserved(p);
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
    assertRecordsConserved(a);
    assertRecordsConserved(b);
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
      assertRecordsConserved(p);
    } finally {
      setErrorHandler(stderrErrorHandler);
    }
    assert.equal(errors[0]?.component, 'thrower');
    assert.equal(errors[0]?.reason, 'processing_failed');
  });

  describe('conservation', () => {
    it('balances passed, dropped, held, released and added records for every stage', async () => {
      const watch = watchRecordsLost();
      try {
        const hold = new HoldProcessor({ attribute: 'drop' }, ctx('hold'));
        const p = Pipeline.of([
          new DropProcessor({ attribute: 'drop' }, ctx()),
          hold,
          new CountProcessor({ emit_every: 2 }, ctx()),
        ]);
        await p.process([
          makeConnection({ n: 1 }),
          makeConnection({ n: 2, drop: true }),
          makeConnection({ n: 3, hold: true }),
        ]);
        assert.equal(p.balance()['test_drop#1']?.held, 1);
        hold.tick();
        await p.process([makeConnection({ n: 4, hold: true })]);
        await p.shutdown();
        const b = p.balance();
        assert.deepEqual(
          [b['test_drop#0'], b['test_drop#1'], b['test_count#2']].map((s) => [
            s?.recordsIn,
            s?.passed,
            s?.released,
            s?.added,
            s?.dropped,
            s?.held,
            s?.lost,
          ]),
          [
            [4, 3, 0, 0, 1, 0, 0],
            [3, 1, 2, 0, 0, 0, 0],
            [3, 3, 0, 2, 0, 0, 0],
          ],
        );
        assertRecordsConserved(p);
        watch.assertNone();
      } finally {
        watch.restore();
      }
    });

    it('reports records_lost naming the stage when a stage silently loses records', async () => {
      class Leaky extends DropProcessor {
        protected override processBatch(batch: PipelineRecord[]): PipelineRecord[] {
          return batch.slice(0, 1);
        }
      }
      const errors: ReportedError[] = [];
      setErrorHandler((e) => errors.push(e));
      let p: Pipeline;
      try {
        p = new Pipeline().addStage('leaky/a', () => new Leaky({ attribute: 'd' }, ctx('leaky')));
        await p.process([makeConnection({ n: 1 }), makeConnection({ n: 2 }), makeConnection({ n: 3 })]);
        await p.process([makeConnection({ n: 4 })]);
      } finally {
        setErrorHandler(stderrErrorHandler);
      }
      assert.deepEqual(
        errors.map((e) => [e.component, e.reason]),
        [['leaky/a', 'records_lost']],
      );
      assert.match(errors[0].message, /^2 record\(s\) neither passed on/);
      assert.equal(p.balance()['leaky/a']?.lost, 2);
      assert.equal(p.recordsLost(), 2);
      assert.throws(() => assertRecordsConserved(p), /records_lost must stay 0/);
    });

    it('sees a stage that swaps a record for another in place, in the array it was given', async () => {
      class Swapping extends DropProcessor {
        protected override processBatch(batch: PipelineRecord[]): PipelineRecord[] {
          // Same array, same length: only the element tells that the second record went and a new one came.
          batch[1] = makeConnection({ n: 99 });
          return batch;
        }
      }
      const errors: ReportedError[] = [];
      setErrorHandler((e) => errors.push(e));
      let p: Pipeline;
      try {
        p = new Pipeline().addStage('swap', () => new Swapping({ attribute: 'd' }, ctx('swap')));
        const out = await p.process([
          makeConnection({ n: 1 }),
          makeConnection({ n: 2 }),
          makeConnection({ n: 3 }),
        ]);
        assert.deepEqual(
          out.map((r) => r.attributes.n),
          [1, 99, 3],
        );
      } finally {
        setErrorHandler(stderrErrorHandler);
      }
      assert.deepEqual(
        errors.map((e) => [e.component, e.reason]),
        [['swap', 'records_lost']],
      );
      const b = p.balance().swap;
      assert.deepEqual([b.recordsIn, b.passed, b.added, b.lost], [3, 2, 1, 1]);
    });

    it('counts outputs that add, leave out long runs, reorder and repeat records, whatever their shape', async () => {
      // Each shape: what the stage returns for a batch of 60 (indices into it, or 'new' for a record of its own),
      // and the balance expected. Runs of left-out records longer than the book's look-ahead, records of the
      // batch out of order and a record returned twice are counted as a set would count them.
      const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
      const shapes: {
        name: string;
        out: (number | 'new')[];
        passed: number;
        added: number;
        dropped: number;
      }[] = [
        {
          name: 'every record, a new one after every fifth',
          out: range(0, 60).flatMap((i) => (i % 5 === 4 ? [i, 'new' as const] : [i])),
          passed: 60,
          added: 12,
          dropped: 0,
        },
        {
          name: 'every third left out, new ones among them',
          out: range(0, 60)
            .filter((i) => i % 3 !== 0)
            .flatMap((i) => (i % 7 === 0 ? ['new' as const, i] : [i])),
          passed: 40,
          added: 6,
          dropped: 20,
        },
        {
          name: 'a run of 31 left out, then the rest and a new one',
          out: [...range(0, 10), ...range(41, 60), 'new'],
          passed: 29,
          added: 1,
          dropped: 31,
        },
        { name: 'reversed', out: range(0, 60).reverse(), passed: 60, added: 0, dropped: 0 },
        {
          name: 'the first last, the last first',
          out: [59, ...range(1, 59), 0],
          passed: 60,
          added: 0,
          dropped: 0,
        },
        { name: 'none but new ones', out: ['new', 'new'], passed: 0, added: 2, dropped: 60 },
        {
          name: 'one returned twice',
          out: [...range(0, 30), 7, ...range(30, 60)],
          passed: 60,
          added: 1,
          dropped: 0,
        },
      ];
      for (const shape of shapes) {
        class Shaping extends DropProcessor {
          protected override processBatch(batch: PipelineRecord[]): PipelineRecord[] {
            const out = shape.out.map((i) => (i === 'new' ? makeConnection({ n: -1 }) : batch[i]));
            const kept = new Set(out);
            this.stats.drop('shaped', batch.filter((r) => !kept.has(r)).length);
            return out;
          }
        }
        const p = new Pipeline().addStage('shape', () => new Shaping({ attribute: 'd' }, ctx('shape')));
        const out = await p.process(range(0, 60).map((n) => makeConnection({ n })));
        assert.equal(out.length, shape.out.length, shape.name);
        const b = p.balance().shape;
        assert.deepEqual(
          [b.recordsIn, b.passed, b.added, b.dropped, b.lost],
          [60, shape.passed, shape.added, shape.dropped, 0],
          shape.name,
        );
      }
    });

    it('reports a stage that counts more drops than records it received', async () => {
      class DoubleCounting extends DropProcessor {
        protected override processBatch(batch: PipelineRecord[]): PipelineRecord[] {
          this.stats.drop('flagged', batch.length * 2);
          return [];
        }
      }
      const errors: ReportedError[] = [];
      setErrorHandler((e) => errors.push(e));
      try {
        const p = new Pipeline().addStage('double', () => new DoubleCounting({ attribute: 'd' }, ctx()));
        await p.process([makeConnection({ n: 1 })]);
        assert.equal(p.balance().double?.overcounted, 1);
      } finally {
        setErrorHandler(stderrErrorHandler);
      }
      assert.deepEqual(
        errors.map((e) => e.reason),
        ['records_overcounted'],
      );
    });

    it('counts records a stage emits later from what it held as released, through emit and after a restore', async () => {
      const watch = watchRecordsLost();
      try {
        let hold: HoldProcessor | undefined;
        const emitted: PipelineRecord[] = [];
        const p = new Pipeline({ onEmit: (r) => void emitted.push(...r) });
        p.addStage('hold', (emit) => (hold = new HoldProcessor({ attribute: 'drop' }, { ...ctx(), emit })));
        await p.process([makeConnection({ n: 1, hold: true }), makeConnection({ n: 2, hold: true })]);
        const snap = await p.snapshot();
        hold!.tick();
        await p.idle();
        assert.equal(emitted.length, 2);
        assert.deepEqual(p.balance().hold, {
          recordsIn: 2,
          recordsOut: 2,
          passed: 0,
          released: 2,
          added: 0,
          dropped: 0,
          droppedByReason: {},
          held: 0,
          lost: 0,
          overcounted: 0,
        });

        // A new pipeline restored from the snapshot holds the two records again, as new objects.
        const q = Pipeline.of([new HoldProcessor({ attribute: 'drop' }, ctx())]);
        q.restore({ version: 1, stages: { 'test_drop#0': snap.stages.hold } });
        assert.deepEqual(await q.shutdown().then((r) => r.length), 2);
        const b = q.balance()['test_drop#0'];
        assert.deepEqual([b.recordsIn, b.released, b.added, b.held, b.lost], [2, 2, 0, 0, 0]);
        watch.assertNone();
      } finally {
        watch.restore();
      }
    });
  });
});
