/** The adaptive mode: learning, deviation in connections and in ratio, floors, bounds, corrections, state. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { DetectionAttr, NoveltyStatus } from '@egressguard/schema';

import { robustScore } from '../../src/internal/robust-statistics.ts';
import { T0, WINDOW_MS, flow, type FlowSpec } from '../flow-builder.ts';
import { detector, run } from '../run.ts';

const E = DetectionAttr.EVIDENCE_PREFIX;
const ADAPTIVE = {
  adaptive: { enabled: true, min_windows: 4, history_windows: 8 },
  rules: { an0145: { enabled: false } },
};
// A known agent: 6, 8, 7, 9, 8 connections a window, replies as big as requests (ratio 1).
const HISTORY = [6, 8, 7, 9, 8];
const known = (i: number, spec: FlowSpec = {}) =>
  flow({
    windowStart: T0 + i * WINDOW_MS,
    status: NoveltyStatus.KNOWN,
    custom: false,
    received: (spec.external ?? 8) * 400,
    ...spec,
  });
const history = (n = HISTORY.length) => HISTORY.slice(0, n).map((c, i) => known(i, { external: c }));

void describe('adaptive mode', () => {
  void it('off by default', async () => {
    const { detections } = await run({ rules: { an0145: { enabled: false } } }, [
      ...history(),
      known(5, { external: 60 }),
    ]);
    assert.equal(detections.length, 0);
  });

  void it('before min_windows it learns and does not judge', async () => {
    const { detections, counters } = await run(ADAPTIVE, [...history(3), known(3, { external: 60 })]);
    assert.equal(detections.length, 0);
    assert.equal(counters.events.adaptive_learning, 4);
  });

  void it('after min_windows a spike in connections fires, with the baseline in the evidence', async () => {
    const { detections } = await run(ADAPTIVE, [...history(4), known(4, { external: 60 })]);
    assert.equal(detections.length, 1);
    const a = detections[0].attributes;
    assert.equal(a[DetectionAttr.FINDING], 'adaptive_deviation');
    assert.equal(a[DetectionAttr.RULE], 'adaptive');
    assert.deepEqual(a[DetectionAttr.FIRED], ['min_windows', 'adaptive_min_connections', 'connections_z']);
    assert.equal(a[`${E}baseline_windows`], 4);
    assert.equal(a[`${E}connections_median`], 7.5);
    // History 6 8 7 9: median 7.5, MAD 1, scale 1.4826: z = (60 - 7.5) / 1.4826.
    assert.ok(Math.abs((a[`${E}connections_z`] as number) - 52.5 / 1.4826) < 1e-9);
    assert.equal(a[`${DetectionAttr.THRESHOLD_PREFIX}connections_z`], 3.5);
    assert.match(
      String(a[DetectionAttr.REASON]),
      /made 60 external HTTP connections in 10 min against a median of 7.5 \(robust z 35.4 >= 3.5\)/,
    );
  });

  void it('within the baseline nothing fires', async () => {
    const { detections, counters } = await run(ADAPTIVE, [...history(), known(5, { external: 10 })]);
    assert.equal(detections.length, 0);
    assert.equal(counters.events.adaptive_within_baseline, 2);
  });

  void it('z just below and at the threshold', async () => {
    // History 6 8 7 9 8: median 8, MAD 1, scale 1.4826; z = 3.5 at 8 + 5.1891.
    const at = await run(
      { ...ADAPTIVE, adaptive: { ...ADAPTIVE.adaptive, deviation_threshold: (14 - 8) / 1.4826 } },
      [...history(), known(5, { external: 14 })],
    );
    assert.equal(at.detections.length, 1);
    const below = await run(
      { ...ADAPTIVE, adaptive: { ...ADAPTIVE.adaptive, deviation_threshold: (14 - 8) / 1.4826 + 1e-9 } },
      [...history(), known(5, { external: 14 })],
    );
    assert.equal(below.detections.length, 0);
  });

  void it('a drop in the received/sent ratio fires on its own', async () => {
    const { detections } = await run(ADAPTIVE, [...history(), known(5, { external: 8, received: 8 * 10 })]);
    const a = detections[0].attributes;
    assert.deepEqual(a[DetectionAttr.FIRED], ['min_windows', 'adaptive_min_connections', 'ratio_z']);
    assert.equal(a[`${E}ratio_median`], 1);
    assert.ok((a[`${E}ratio_z`] as number) < -3.5);
  });

  void it('below adaptive.min_connections it does not judge', async () => {
    const { detections, counters } = await run(ADAPTIVE, [
      ...history(),
      known(5, { external: 4, received: 4 }),
    ]);
    assert.equal(detections.length, 0);
    assert.equal(counters.events.adaptive_too_few_connections, 1);
  });

  void it('judges known identities but never allowlisted ones', async () => {
    const allow = (i: number, c: number) => known(i, { external: c, status: NoveltyStatus.ALLOWLISTED });
    const { detections } = await run(ADAPTIVE, [...HISTORY.map((c, i) => allow(i, c)), allow(5, 60)]);
    assert.equal(detections.length, 0);
  });

  void it('a correction replaces its window in the baseline instead of adding one', async () => {
    const p = detector(ADAPTIVE);
    await p.process([...history(4), known(3, { external: 9, revision: 1 })]);
    const snap = p.snapshot() as unknown as { baselines: [string, [number, number, number | null][]][] };
    assert.equal(snap.baselines[0][1].length, 4);
    await p.shutdown();
  });

  void it('keeps history_windows per identity and max_identities identities (evictions counted)', async () => {
    const p = detector({
      adaptive: { enabled: true, min_windows: 2, history_windows: 3, max_identities: 2 },
    });
    await p.process(Array.from({ length: 6 }, (_, i) => known(i)));
    await p.process([known(0, { key: 'b', path: '/opt/b' }), known(0, { key: 'c', path: '/opt/c' })]);
    const snap = p.snapshot() as unknown as { baselines: [string, unknown[]][] };
    assert.equal(snap.baselines.length, 2);
    assert.ok(snap.baselines.every(([, s]) => s.length <= 3));
    assert.equal(p.counters().events.adaptive_identity_evicted, 1);
    await p.shutdown();
  });

  void it('baselines survive snapshot and restore: the restored instance judges as the original would', async () => {
    const a = detector(ADAPTIVE);
    await a.process(history(4));
    const b = detector(ADAPTIVE);
    b.restore(JSON.parse(JSON.stringify(a.snapshot())) as { version: number });
    const out = await b.process([known(4, { external: 60 })]);
    assert.equal(out[1].attributes[DetectionAttr.FINDING], 'adaptive_deviation');
    await a.shutdown();
    await b.shutdown();
  });

  void it('robust z: MAD, then mean absolute deviation, then the floor', () => {
    assert.equal(robustScore(10, [1, 2, 3], 0.1).scale, 1.4826);
    // 5 5 5 9: median 5, MAD 0, mean absolute deviation 1: scale 1.2533.
    assert.equal(robustScore(9, [5, 5, 5, 9], 0.1).scale, 1.2533);
    assert.equal(robustScore(9, [5, 5, 5], 0.5).scale, 0.5);
  });
});
