/** The cases that fool naive rules, each as the chain would see it, with the default configuration. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { DetectionAttr, FlowAttr, NoveltyAttr, NoveltyStatus } from '@egressguard/schema';

import { T0, flow } from './flow-builder.ts';
import { run } from './run.ts';

const E = DetectionAttr.EVIDENCE_PREFIX;

void describe('cases that fool naive rules', () => {
  void it('a package-manager download: many connections, large responses: no detection', async () => {
    // apt on a new mirror: 60 connections in 10 minutes, 2 MiB back per connection, 300 B out.
    const download = flow({
      path: '/usr/lib/apt/methods/http',
      external: 60,
      sent: 60 * 300,
      received: 60 * 2_097_152,
      cv: 0.9,
      status: NoveltyStatus.RARE,
      custom: false,
      destinations: 3,
    });
    const { detections, counters } = await run({}, [download]);
    assert.equal(detections.length, 0);
    assert.equal(counters.events.not_low_response, 1, 'judged and let go because the replies are large');
  });

  void it('a monitoring agent polling with tiny responses: allowlisted or known: no detection', async () => {
    const agent = (status: string, i: number) =>
      flow({
        path: '/usr/bin/prometheus-node-exporter',
        external: 120,
        received: 120 * 60,
        sent: 120 * 250,
        cv: 0.01,
        status,
        custom: false,
        windowStart: T0 + i * 600_000,
        extra: status === NoveltyStatus.ALLOWLISTED ? { [NoveltyAttr.ALLOWLIST_ENTRY]: 'monitoring' } : {},
      });
    const { detections, counters } = await run({}, [
      agent(NoveltyStatus.ALLOWLISTED, 0),
      agent(NoveltyStatus.KNOWN, 1),
    ]);
    assert.equal(detections.length, 0);
    assert.equal(counters.events.not_qualified_allowlisted, 1);
    assert.equal(counters.events.not_qualified_status_known, 1);
  });

  void it('a packaged program polling with tiny responses while the baseline still learns: no detection', async () => {
    // The first day after installation every identity is "rare"; only custom executables are judged then.
    const poller = (custom: boolean) =>
      flow({
        path: custom ? '/tmp/.cache/poller' : '/usr/bin/perl',
        external: 120,
        received: 120 * 60,
        sent: 120 * 250,
        cv: 0.01,
        status: NoveltyStatus.RARE,
        custom,
        extra: { [NoveltyAttr.LEARNING]: true },
      });
    const quiet = await run({}, [poller(false)]);
    assert.equal(quiet.detections.length, 0);
    assert.equal(quiet.counters.events.not_qualified_learning_period, 1);
    const custom = await run({}, [poller(true)]);
    assert.equal(custom.detections.length, 1, 'a custom executable is judged even while the baseline learns');
    const judged = await run({ qualify: { during_learning: true } }, [poller(false)]);
    assert.equal(judged.detections.length, 1, 'during_learning: true judges rare identities while learning');
  });

  void it('a new process with three connections: too few', async () => {
    const { detections, counters } = await run({}, [
      flow({ path: '/home/u/.local/bin/tool', external: 3, received: 3 * 90, sent: 3 * 400 }),
    ]);
    assert.equal(detections.length, 0);
    assert.equal(counters.events.too_few_connections, 1);
  });

  void it('an implant whose connections all fail: the separate all_failed finding, never low_response', async () => {
    const implant = flow({
      path: '/dev/shm/.k',
      external: 30,
      failed: 30,
      withBytes: 30,
      sent: 0,
      received: 0,
      cv: 0.1,
      meanMs: 20_000,
    });
    const { detections } = await run({}, [implant]);
    assert.equal(detections.length, 1);
    const a = detections[0].attributes;
    assert.equal(a[DetectionAttr.FINDING], 'all_failed');
    assert.equal(a[`${E}failed_connections`], 30);
    assert.equal(a[`${E}counted_connections`], 30);
    assert.equal(a[`${DetectionAttr.THRESHOLD_PREFIX}min_failed_connections`], 10);
    assert.match(
      String(a[DetectionAttr.REASON]),
      /all failed \(>= 10\); an implant that cannot reach its server/,
    );
  });

  void it('a beacon with 204 responses every few seconds: a detection with its regularity in the evidence', async () => {
    // Every 5 s with 10% jitter for 10 minutes: 120 requests of 350 B, each answered by a 204 of about 150 B of headers.
    const beacon = flow({
      path: '/tmp/.x/kworkerd',
      external: 120,
      sent: 120 * 350,
      received: 120 * 150,
      cv: 0.06,
      meanMs: 5000,
      reasons: ['no_package_owner', 'hidden_directory'],
      extra: { [FlowAttr.HTTP_EXCHANGES]: 120 },
    });
    const { detections } = await run({}, [beacon]);
    assert.equal(detections.length, 1);
    const d = detections[0];
    const a = d.attributes;
    assert.equal(a[DetectionAttr.FINDING], 'low_response');
    assert.deepEqual(a[DetectionAttr.FIRED], [
      'min_connections',
      'max_bytes_received_per_connection',
      'regular_interval_cv',
    ]);
    assert.equal(a[`${E}interval_cv`], 0.06);
    assert.equal(a[`${E}interval_mean_ms`], 5000);
    assert.equal(a[`${E}score_regularity`], 10);
    assert.equal(a[`${DetectionAttr.THRESHOLD_PREFIX}regular_interval_cv`], 0.25);
    assert.match(String(d.body), /regular intervals every 5 s \(cv 0.06 <= 0.25\)/);
    assert.deepEqual(a[NoveltyAttr.CUSTOM_REASONS], ['no_package_owner', 'hidden_directory']);
    assert.ok((d.severityNumber ?? 0) >= 17);
  });
});
