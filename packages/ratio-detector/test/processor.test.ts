/** The processor: pass-through, the detection record, corrections, suppression, overflow, bad input, state. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

import { Pipeline, setErrorHandler, stderrErrorHandler, type ReportedError } from '@egressguard/core';
import {
  assertRecordsConserved,
  makeConnection,
  makeRecord,
  watchRecordsLost,
} from '@egressguard/core/testing';
import {
  DetectionAttr,
  EventName,
  FlowAttr,
  NoveltyAttr,
  ProcessAttr,
  ResourceAttr,
  hrTimeToMs,
} from '@egressguard/schema';

import { VERSION } from '../src/version.ts';
import { T0, WINDOW_MS, flow } from './flow-builder.ts';
import { NOW, detector, run } from './run.ts';

const E = DetectionAttr.EVIDENCE_PREFIX;

void describe('ratio detector processor', () => {
  void it('passes flows and other records through unchanged, detections right after their flow', async () => {
    const conn = makeConnection({ [ProcessAttr.PID]: 1 });
    const quiet = flow({ external: 3, key: 'quiet' });
    const loud = flow();
    const before = [conn, quiet, loud].map((r) => JSON.stringify(r.attributes));
    const { out } = await run({}, [conn, quiet, loud]);
    assert.deepEqual(out.slice(0, 3), [conn, quiet, loud]);
    assert.deepEqual(
      [conn, quiet, loud].map((r) => JSON.stringify(r.attributes)),
      before,
    );
    assert.equal(out.length, 4);
    assert.equal(out[3].eventName, EventName.DETECTION);
  });

  void it('records after a flow that fired are not lost', async () => {
    const fires = flow();
    const after = [
      makeConnection({ [ProcessAttr.PID]: 2 }),
      flow({ external: 3, key: 'quiet' }),
      makeRecord('vendor.other', {}),
      makeRecord(undefined, {}),
      flow({ key: 'also-fires', path: '/dev/shm/.y' }),
      makeConnection({ [ProcessAttr.PID]: 3 }),
    ];
    const batch = [makeConnection({ [ProcessAttr.PID]: 1 }), fires, ...after];
    const pipeline = new Pipeline().addStage('ratio_detector', () => detector());
    const lost = watchRecordsLost();
    let out;
    try {
      out = await pipeline.process(batch);
      out.push(...(await pipeline.shutdown()));
    } finally {
      lost.restore();
    }
    const passed = out.filter((r) => r.eventName !== EventName.DETECTION);
    assert.deepEqual(passed, batch, 'every input record comes out, in order');
    assert.equal(out.length - passed.length, 2, 'both firing flows add their detection');
    assert.equal(out[2].eventName, EventName.DETECTION, 'a detection follows its flow');
    assert.equal(out[out.length - 2].eventName, EventName.DETECTION);
    assert.deepEqual(lost.reports, []);
    assertRecordsConserved(pipeline);
  });

  void it('returns the same batch object when nothing is detected', async () => {
    const p = detector();
    const batch = [flow({ external: 2 })];
    assert.equal(await p.process(batch), batch);
    await p.shutdown();
  });

  void it('writes a complete, explainable detection record', async () => {
    const source = flow({
      extra: { [NoveltyAttr.FIRST_SEEN]: T0 - 1000, [ProcessAttr.COMMAND_LINE]: '/tmp/.x/kworkerd -d' },
    });
    const { detections } = await run({}, [source]);
    const d = detections[0];
    const a = d.attributes;
    assert.equal(d.resource, source.resource, 'same resource object, so host.name stays');
    assert.deepEqual(d.instrumentationScope, { name: '@egressguard/ratio-detector', version: VERSION });
    assert.equal(a[DetectionAttr.ANALYTIC], 'AN0145');
    assert.equal(a[DetectionAttr.STRATEGY], 'DET0053');
    assert.equal(a[DetectionAttr.TECHNIQUE_ID], 'T1001');
    assert.equal(a[DetectionAttr.TECHNIQUE_NAME], 'Data Obfuscation');
    assert.equal(a[DetectionAttr.RULE], 'an0145');
    assert.equal(a[DetectionAttr.FINDING], 'low_response');
    assert.equal(a[DetectionAttr.HOST_ROLE], 'default');
    assert.equal(a[DetectionAttr.WINDOW_START], T0);
    assert.equal(a[DetectionAttr.WINDOW_END], T0 + WINDOW_MS);
    assert.equal(a[DetectionAttr.SUPPRESSED_COUNT], 0);
    assert.match(String(a[DetectionAttr.ID]), /^[0-9a-f]{32}$/);
    assert.equal(d.body, a[DetectionAttr.REASON]);
    assert.equal(
      d.body,
      'AN0145 many connections, little back: /tmp/.x/kworkerd (new, custom: no_package_owner, hidden_directory) on test-host (role default) made 40 external HTTP connections in 10 min (>= 10) and received 150 B per answered connection (<= 1024 B); regular intervals every 15 s (cv 0.05 <= 0.25).',
    );
    // Score: 55 + 15 (4x min) + 5 (one bound) + 15 (new, custom) + 10 (regular) = 100: critical.
    assert.equal(a[DetectionAttr.SCORE], 100);
    assert.equal(d.severityNumber, 21);
    assert.equal(d.severityText, 'critical');
    assert.equal(hrTimeToMs(d.hrTime), T0 + WINDOW_MS);
    assert.equal(hrTimeToMs(d.hrTimeObserved), NOW);
    for (const key of [
      ProcessAttr.EXECUTABLE_PATH,
      ProcessAttr.PID,
      ProcessAttr.COMMAND_LINE,
      NoveltyAttr.STATUS,
      NoveltyAttr.CUSTOM,
      NoveltyAttr.CUSTOM_REASONS,
      NoveltyAttr.FIRST_SEEN,
      FlowAttr.KEY,
    ]) {
      assert.deepEqual(a[key], source.attributes[key], key);
    }
    assert.equal(a[`${E}novelty_status`], 'new');
    assert.equal(a[`${E}interval_cv`], 0.05);
    assert.equal(a[`${E}interval_mean_ms`], 15_000);
    assert.equal(a[`${E}destinations`], 1);
    assert.equal(a[`${E}window_ms`], WINDOW_MS);
    assert.equal(a[`${E}revision`], 0);
    const parts = Object.entries(a)
      .filter(([k]) => k.startsWith(`${E}score_`))
      .reduce((s, [, v]) => s + (v as number), 0);
    assert.equal(parts, 100, 'the score parts in the evidence add up to the score');
  });

  void it('the detection id is stable for the same host, key, window, rule and finding, and differs otherwise', async () => {
    const id = async (spec: Parameters<typeof flow>[0]) =>
      (await run({}, [flow(spec)])).detections[0].attributes[DetectionAttr.ID];
    assert.equal(await id({}), await id({ external: 55 }));
    assert.notEqual(await id({}), await id({ windowStart: T0 + WINDOW_MS }));
    assert.notEqual(await id({}), await id({ key: 'other' }));
    assert.notEqual(await id({}), await id({ host: 'other-host', key: 'test-host|/tmp/.x/kworkerd' }));
  });

  void describe('corrections (revision > 0)', () => {
    void it('a window that newly qualifies on correction fires', async () => {
      const { detections } = await run({}, [flow({ external: 8 })], [flow({ external: 12, revision: 1 })]);
      assert.equal(detections.length, 1);
      assert.equal(detections[0].attributes[`${E}revision`], 1);
    });
    void it('a window that already fired is revised under the same id, never fired again', async () => {
      const { detections, counters } = await run(
        {},
        [flow()],
        [flow({ external: 60, revision: 1 })],
        [flow({ external: 70, revision: 2 })],
      );
      assert.equal(detections.length, 3);
      assert.equal(new Set(detections.map((d) => d.attributes[DetectionAttr.ID])).size, 1);
      assert.deepEqual(
        detections.map((d) => d.attributes[DetectionAttr.REVISION]),
        [0, 1, 2],
      );
      assert.deepEqual(
        detections.map((d) => d.attributes[`${E}counted_connections`]),
        [40, 60, 70],
      );
      assert.equal(counters.events.detection_revisions, 2);
      assert.equal(counters.events.detection_low_response, 1, 'one alert');
    });
    void it('a suppressed window is not revised: its correction is already decided', async () => {
      const { detections, counters } = await run(
        {},
        [flow(), flow({ windowStart: T0 + WINDOW_MS })],
        [flow({ windowStart: T0 + WINDOW_MS, external: 60, revision: 1 })],
      );
      assert.equal(detections.length, 1);
      assert.equal(counters.events.suppressed, 1);
      assert.equal(counters.events.already_decided, 1);
    });
    void it('a correction that turns all failures into a low response is a new finding', async () => {
      const { detections } = await run(
        {},
        [flow({ external: 12, failed: 12 })],
        [flow({ external: 20, failed: 8, withBytes: 12, revision: 1 })],
      );
      assert.deepEqual(
        detections.map((d) => d.attributes[DetectionAttr.FINDING]),
        ['all_failed', 'low_response'],
      );
    });
  });

  void describe('suppression', () => {
    const windows = (n: number, spec: Parameters<typeof flow>[0] = {}) =>
      Array.from({ length: n }, (_, i) => flow({ ...spec, windowStart: T0 + i * WINDOW_MS }));

    void it('one detection per key and finding per suppress_ms; repeats counted on the next one', async () => {
      // Windows end at T0+10m … T0+70m: the first emits, the next five fall within the hour, the seventh (60 min after) emits.
      const { detections, counters } = await run({}, windows(7));
      assert.equal(detections.length, 2);
      assert.equal(detections[0].attributes[DetectionAttr.SUPPRESSED_COUNT], 0);
      assert.equal(detections[1].attributes[DetectionAttr.SUPPRESSED_COUNT], 5);
      assert.equal(detections[1].attributes[DetectionAttr.WINDOW_START], T0 + 6 * WINDOW_MS);
      assert.equal(counters.events.suppressed, 5);
    });
    void it('suppress_ms: 0 emits every window', async () => {
      const { detections } = await run({ suppress_ms: 0 }, windows(4));
      assert.equal(detections.length, 4);
    });
    void it('different keys and different findings are suppressed apart', async () => {
      const { detections } = await run({}, [
        flow(),
        flow({ key: 'other' }),
        flow({ windowStart: T0 + WINDOW_MS, failed: 40 }),
      ]);
      assert.deepEqual(
        detections.map((d) => d.attributes[DetectionAttr.FINDING]),
        ['low_response', 'low_response', 'all_failed'],
      );
    });
    void it('a correction of an older window that newly fires within suppress_ms counts as a repeat', async () => {
      const { detections } = await run(
        {},
        [flow({ windowStart: T0 + WINDOW_MS }), flow({ external: 5 })],
        [flow({ revision: 1 })],
        [flow({ windowStart: T0 + 7 * WINDOW_MS })],
      );
      assert.equal(detections.length, 2);
      assert.equal(detections[1].attributes[DetectionAttr.SUPPRESSED_COUNT], 1);
    });
    void it('an older window arriving out of order does not reopen the suppression of later windows', async () => {
      const { detections } = await run(
        {},
        [flow({ windowStart: T0 + 24 * WINDOW_MS })],
        [flow({ windowStart: T0 })],
        [flow({ windowStart: T0 + 25 * WINDOW_MS })],
      );
      assert.deepEqual(
        detections.map((d) => d.attributes[DetectionAttr.WINDOW_START]),
        [T0 + 24 * WINDOW_MS, T0],
        'the window 10 minutes after the 4-hour detection is a repeat',
      );
    });
    void it('the suppression key bound evicts and counts', async () => {
      const { counters } = await run({ max_suppression_keys: 2 }, [
        flow({ key: 'a' }),
        flow({ key: 'b' }),
        flow({ key: 'c' }),
      ]);
      assert.equal(counters.events.suppression_evicted, 1);
      assert.equal(counters.state.entries, 2 + 3 + 3, 'suppression keys, decided ids, emitted ids');
    });
    void it('the decided-id bound evicts and counts', async () => {
      const { counters } = await run({ max_fired_ids: 1 }, [flow({ key: 'a' }), flow({ key: 'b' })]);
      assert.equal(counters.events.decided_ids_evicted, 1);
    });
  });

  void describe('overflow records', () => {
    const overflow = () =>
      flow({
        overflow: true,
        key: 'test-host|__overflow__',
        status: null,
        custom: false,
        extra: {
          [ProcessAttr.EXECUTABLE_PATH]: undefined,
          [ProcessAttr.EXECUTABLE_NAME]: undefined,
          [ProcessAttr.PID]: undefined,
        },
      });
    void it('report (default): a low-severity overflow finding', async () => {
      const { detections } = await run({}, [overflow()]);
      assert.equal(detections.length, 1);
      const d = detections[0];
      assert.equal(d.attributes[DetectionAttr.FINDING], 'overflow');
      assert.equal(d.attributes[DetectionAttr.SCORE], 20);
      assert.equal(d.severityNumber, 9);
      assert.equal(d.severityText, 'low');
      assert.match(String(d.body), /ran out of keys and folded 40 external HTTP connections/);
    });
    void it('ignore: counted only', async () => {
      const { detections, counters } = await run({ overflow: 'ignore' }, [overflow()]);
      assert.equal(detections.length, 0);
      assert.equal(counters.events.overflow_ignored, 1);
    });
    void it('judge: the rules run (here with flows without status allowed to qualify)', async () => {
      const { detections } = await run({ overflow: 'judge', qualify: { missing_status: true } }, [
        overflow(),
      ]);
      assert.equal(detections[0].attributes[DetectionAttr.FINDING], 'low_response');
    });
    void it('judge: without a novelty status an overflow record does not qualify by default', async () => {
      const { detections } = await run({ overflow: 'judge' }, [overflow()]);
      assert.equal(detections.length, 0);
    });
  });

  void describe('bad input', () => {
    void it('a malformed flow is reported and passed on; the rest of the batch is judged', async () => {
      const errors: ReportedError[] = [];
      setErrorHandler((e) => errors.push(e));
      try {
        const bad = flow({ extra: { [FlowAttr.KEY]: undefined, [FlowAttr.CONNECTIONS]: 'many' } });
        const good = flow({ key: 'good' });
        const { out, detections, counters } = await run({}, [bad, good]);
        assert.equal(out[0], bad);
        assert.equal(detections.length, 1);
        assert.equal(counters.events.malformed_flow, 1);
        assert.equal(errors.length, 1);
        assert.match(errors[0].message, /needs egressguard\.flow\.key/);
        assert.match(errors[0].message, /egressguard\.flow\.connections must be int/);
      } finally {
        setErrorHandler(stderrErrorHandler);
      }
    });
    void it('a flow without host.name is reported', async () => {
      const errors: ReportedError[] = [];
      setErrorHandler((e) => errors.push(e));
      try {
        const { createResource } = await import('@egressguard/schema');
        const { detections } = await run({}, [
          flow({ resource: createResource({ [ResourceAttr.HOST_TYPE]: 'x' }) }),
        ]);
        assert.equal(detections.length, 0);
        assert.match(errors[0].message, /host\.name/);
      } finally {
        setErrorHandler(stderrErrorHandler);
      }
    });
  });

  void describe('state', () => {
    void it('suppression and decided ids survive snapshot and restore', async () => {
      const a = detector();
      await a.process([flow()]);
      await a.process([flow({ windowStart: T0 + WINDOW_MS })]);
      const snap = JSON.parse(JSON.stringify(a.snapshot())) as { version: number };
      await a.shutdown();
      const b = detector();
      b.restore(snap);
      // A correction of the window that already fired is revised, not fired again, after the restart.
      const corrected = flow({ revision: 1, external: 80 });
      const revised = await b.process([corrected]);
      assert.equal(revised.length, 2);
      assert.equal(revised[1].attributes[DetectionAttr.REVISION], 1);
      assert.equal(b.counters().events.detection_revisions, 1);
      // The repeat suppressed before the restart is reported on the next detection that passes.
      const out = await b.process([flow({ windowStart: T0 + 6 * WINDOW_MS })]);
      assert.equal(out[1].attributes[DetectionAttr.SUPPRESSED_COUNT], 1);
      await b.shutdown();
    });
    void it('restore refuses an unknown version and a malformed snapshot', () => {
      const p = detector();
      assert.throws(
        () => p.restore({ version: 3 }),
        /ratio_detector.*: state snapshot has unknown version 3/,
      );
      // The error names the processor and every key that is wrong.
      assert.throws(
        () => p.restore({ version: 1, suppression: [] }),
        /ratio_detector.*: state snapshot \(version 1\) is not valid: decided: .*; baselines: /,
      );
      assert.throws(
        () => p.restore({ version: 2, suppression: [], decided: [], baselines: [], revisions: {} }),
        /state snapshot \(version 2\) is not valid: revisions\.emitted: .*; revisions\.open: /,
      );
      assert.throws(
        () =>
          p.restore({
            version: 2,
            suppression: [['k', [1, 'x']]],
            decided: [],
            baselines: [],
            revisions: { emitted: [], open: [] },
          }),
        /is not valid: suppression\[0\]\[1\]\[1\]: /,
      );
      // Version 1 (before revisions) restores with nothing to revise.
      p.restore({ version: 1, suppression: [], decided: [], baselines: [] });
    });
    void it('holds no records: flush emits nothing', async () => {
      const p = detector();
      await p.process([flow()]);
      assert.deepEqual(await p.flush(), []);
      await p.shutdown();
    });
  });

  void it('the scope version is the package version', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    assert.equal(VERSION, pkg.version);
  });
});
