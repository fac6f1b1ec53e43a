/**
 * Interim updates of open windows: a detection fires on the update whose connection crossed the thresholds, dated
 * at that connection, and the window's close revises it under the same id: one alert, its final evidence after.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { setErrorHandler, stderrErrorHandler, type ReportedError } from '@egressguard/core';
import { makeConnection } from '@egressguard/core/testing';
import {
  DetectionAttr,
  EventName,
  FlowAttr,
  NoveltyStatus,
  ProcessAttr,
  hrTimeToMs,
} from '@egressguard/schema';

import { T0, WINDOW_MS, flow, type FlowSpec } from './flow-builder.ts';
import { detector, run } from './run.ts';

const E = DetectionAttr.EVIDENCE_PREFIX;

/** An interim update as the aggregator writes it: the window so far, no revision, the trigger's time. */
function interim(spec: FlowSpec, triggerMs: number) {
  return flow({
    ...spec,
    extra: {
      [FlowAttr.REVISION]: undefined,
      [FlowAttr.INTERIM]: true,
      [FlowAttr.INTERIM_TRIGGER]: triggerMs,
    },
  });
}

void describe('interim updates', () => {
  void it('fire at the update that crosses the thresholds, and the window record revises the same detection', async () => {
    const conn = makeConnection({ [ProcessAttr.PID]: 7 });
    const { out, detections, counters } = await run(
      {},
      [interim({ external: 9 }, T0 + 45_000), conn],
      [interim({ external: 10 }, T0 + 50_000), interim({ external: 11 }, T0 + 55_000)],
      [flow({ external: 40 })],
    );
    assert.equal(detections.length, 2, 'fired once, revised once');
    const [first, revision] = detections;
    assert.equal(first.attributes[DetectionAttr.REVISION], 0);
    assert.equal(first.attributes[DetectionAttr.FINAL], false);
    assert.equal(
      first.attributes[`${E}counted_connections`],
      10,
      'the tenth connection crossed min_connections',
    );
    assert.equal(hrTimeToMs(first.hrTime), T0 + 50_000, 'dated at the connection that crossed');
    assert.match(String(first.attributes[DetectionAttr.REASON]), /in the first 50 s of a 10 min window/);
    assert.equal(revision.attributes[DetectionAttr.ID], first.attributes[DetectionAttr.ID]);
    assert.equal(revision.attributes[DetectionAttr.REVISION], 1);
    assert.equal(revision.attributes[DetectionAttr.FINAL], true);
    assert.equal(revision.attributes[`${E}counted_connections`], 40);
    assert.equal(hrTimeToMs(revision.hrTime), T0 + 50_000, 'a revision keeps the detection time');
    assert.equal(counters.events.detection_low_response, 1, 'one alert');
    assert.equal(counters.events.detection_revisions, 1);
    assert.equal(counters.events.interim_flows_judged, 3);
    assert.equal(counters.dropped.interim_flow, 3, 'every interim update consumed, with its reason');
    // What passed: the connection and the window record, each followed by what it caused.
    assert.deepEqual(
      out.map((r) => r.eventName),
      [EventName.CONNECTION, EventName.DETECTION, EventName.HTTP_FLOW, EventName.DETECTION],
    );
  });

  void it('an update below the thresholds fires nothing and is still consumed', async () => {
    const { out, counters } = await run({}, [interim({ external: 6 }, T0 + 30_000)]);
    assert.deepEqual(out, []);
    assert.equal(counters.dropped.interim_flow, 1);
    assert.equal(counters.events.too_few_connections, undefined, 'interim skips are not counted as windows');
  });

  void it('an update of a process that does not qualify is consumed unread; its window record is checked', async () => {
    const errors: ReportedError[] = [];
    setErrorHandler((e) => errors.push(e));
    try {
      // Known and not custom: no rule can fire on it, so its interim updates are not read further (a malformed
      // field in one goes unreported); the window record is checked and judged as every window is.
      const known = { status: NoveltyStatus.KNOWN, external: 30 };
      const update = interim(known, T0 + 30_000);
      update.attributes[FlowAttr.CONNECTIONS] = 'many';
      const { out, detections, counters } = await run(
        {},
        [update],
        [flow({ ...known, extra: { [FlowAttr.CONNECTIONS]: 'many' } })],
      );
      assert.equal(detections.length, 0);
      assert.equal(counters.events.interim_flows_judged, 1);
      assert.equal(counters.dropped.interim_flow, 1);
      assert.deepEqual(
        out.map((r) => r.eventName),
        [EventName.HTTP_FLOW],
      );
      assert.equal(counters.events.malformed_flow, 1, 'the window record is checked');
      assert.equal(errors.length, 1, 'the update was not reported');
    } finally {
      setErrorHandler(stderrErrorHandler);
    }
  });

  void it('pass keeps the updates in the output', async () => {
    const update = interim({ external: 12 }, T0 + 30_000);
    const { out } = await run({ interim_flows: 'pass' }, [update]);
    assert.equal(out[0], update);
    assert.equal(out[1].eventName, EventName.DETECTION);
  });

  void it('the close revises a detection whose finding no longer holds, saying so', async () => {
    const { detections, counters } = await run(
      {},
      [interim({ external: 10 }, T0 + 50_000)],
      // Large answers came later: 40 connections, 200 KiB back each.
      [flow({ external: 40, received: 40 * 200_000 })],
    );
    assert.equal(detections.length, 2);
    const revision = detections[1];
    assert.equal(revision.attributes[DetectionAttr.REVISION], 1);
    assert.equal(revision.attributes[DetectionAttr.FINAL], true);
    assert.equal(revision.attributes[`${E}bytes_received`], 40 * 200_000);
    assert.match(String(revision.attributes[DetectionAttr.REASON]), /no longer held \(not low response\)/);
    assert.equal(counters.events.detection_revisions_no_longer_firing, 1);
  });

  void it('the next window is suppressed on its interim update as on its record', async () => {
    const { detections, counters } = await run(
      {},
      [interim({ external: 10 }, T0 + 50_000)],
      [flow()],
      [interim({ windowStart: T0 + WINDOW_MS, external: 10 }, T0 + WINDOW_MS + 50_000)],
      [flow({ windowStart: T0 + WINDOW_MS })],
    );
    assert.equal(detections.length, 2, 'the first window fired and was revised');
    assert.equal(counters.events.suppressed, 1);
    assert.equal(counters.events.already_decided, 1, 'the second window, decided on its update');
  });

  void it('a detection fired before a restart is revised after it', async () => {
    const a = detector();
    await a.process([interim({ external: 10 }, T0 + 50_000)]);
    const snap = JSON.parse(JSON.stringify(a.snapshot())) as { version: number };
    await a.shutdown();
    assert.equal(snap.version, 2);
    const b = detector();
    b.restore(snap);
    const out = await b.process([flow()]);
    assert.equal(out.length, 2);
    assert.equal(out[1].attributes[DetectionAttr.REVISION], 1);
    assert.equal(hrTimeToMs(out[1].hrTime), T0 + 50_000);
    await b.shutdown();
  });
});
