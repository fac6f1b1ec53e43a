/** Every branch of the AN0145 rule, each threshold just below, at and above, through the processor. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { DetectionAttr, FlowAttr, NoveltyAttr, NoveltyStatus } from '@egressguard/schema';

import { flow, type FlowSpec } from '../flow-builder.ts';
import { run } from '../run.ts';

const E = DetectionAttr.EVIDENCE_PREFIX;
const TH = DetectionAttr.THRESHOLD_PREFIX;

interface Case {
  name: string;
  spec: FlowSpec;
  config?: unknown;
  /** The finding expected, or null for none. */
  finding: string | null;
  /** The counter the branch must bump. */
  counter?: string;
  fired?: string[];
}

// Per answered connection: 400 B sent. Ratio 150/400 = 0.375 (> 0.25) unless a case says otherwise.
const cases: Case[] = [
  {
    name: 'min_connections: 9 (below) is too few',
    spec: { external: 9 },
    finding: null,
    counter: 'too_few_connections',
  },
  {
    name: 'min_connections: 10 (at) fires',
    spec: { external: 10 },
    finding: 'low_response',
    fired: ['min_connections', 'max_bytes_received_per_connection', 'regular_interval_cv'],
  },
  { name: 'min_connections: 11 (above) fires', spec: { external: 11 }, finding: 'low_response' },
  {
    name: 'max_bytes_received_per_connection: 1023 (below) fires',
    spec: { external: 20, received: 20 * 1023, sent: 20 * 100 },
    finding: 'low_response',
    fired: ['min_connections', 'max_bytes_received_per_connection', 'regular_interval_cv'],
  },
  {
    name: 'max_bytes_received_per_connection: 1024 (at) fires',
    spec: { external: 20, received: 20 * 1024, sent: 20 * 100 },
    finding: 'low_response',
    fired: ['min_connections', 'max_bytes_received_per_connection', 'regular_interval_cv'],
  },
  {
    name: 'max_bytes_received_per_connection: 1025 (above) with a high ratio is not a low response',
    spec: { external: 20, received: 20 * 1025, sent: 20 * 100 },
    finding: null,
    counter: 'not_low_response',
  },
  {
    name: 'max_received_to_sent_ratio: 0.24 (below) fires on the ratio alone',
    spec: { external: 20, received: 20 * 4800, sent: 20 * 20_000 },
    finding: 'low_response',
    fired: ['min_connections', 'max_received_to_sent_ratio', 'regular_interval_cv'],
  },
  {
    name: 'max_received_to_sent_ratio: 0.25 (at) fires',
    spec: { external: 20, received: 20 * 5000, sent: 20 * 20_000 },
    finding: 'low_response',
    fired: ['min_connections', 'max_received_to_sent_ratio', 'regular_interval_cv'],
  },
  {
    name: 'max_received_to_sent_ratio: 0.26 (above) with large replies is not a low response',
    spec: { external: 20, received: 20 * 5200, sent: 20 * 20_000 },
    finding: null,
    counter: 'not_low_response',
  },
  {
    name: 'both bounds fire together',
    spec: { external: 20, received: 20 * 100, sent: 20 * 1000 },
    finding: 'low_response',
    fired: [
      'min_connections',
      'max_bytes_received_per_connection',
      'max_received_to_sent_ratio',
      'regular_interval_cv',
    ],
  },
  {
    name: 'min_failed_connections: 9 all failed (below) fires nothing',
    spec: { external: 9, failed: 9 },
    finding: null,
    counter: 'all_failed_too_few',
  },
  {
    name: 'min_failed_connections: 10 all failed (at) is all_failed',
    spec: { external: 10, failed: 10 },
    finding: 'all_failed',
    fired: ['min_failed_connections', 'regular_interval_cv'],
  },
  {
    name: 'min_failed_connections: 11 all failed (above) is all_failed',
    spec: { external: 11, failed: 11 },
    finding: 'all_failed',
  },
  {
    name: 'all failed with no byte counts is still all_failed, never low_response',
    spec: { external: 30, failed: 30, withBytes: 0 },
    finding: 'all_failed',
  },
  {
    name: 'failed attempts with zero bytes are not counted as small replies',
    // 12 attempts, 6 failed with 0 B; 6 answered with 1500 B each: 750 B over all 12, 1500 B per answered one.
    spec: { external: 12, failed: 6, withBytes: 12, received: 6 * 1500, sent: 6 * 2000 },
    finding: null,
    counter: 'not_low_response',
  },
  {
    name: 'some failed, answered ones small: low_response with the failures in evidence',
    spec: { external: 12, failed: 5, withBytes: 7, received: 7 * 200, sent: 7 * 400 },
    finding: 'low_response',
  },
  {
    name: 'no byte counts, enough connections: many_connections_no_bytes',
    spec: { external: 25, withBytes: 0 },
    finding: 'many_connections_no_bytes',
    fired: ['min_connections', 'regular_interval_cv'],
  },
  {
    name: 'no byte counts with no_bytes: skip only counts the blind spot',
    spec: { external: 25, withBytes: 0 },
    config: { rules: { an0145: { no_bytes: 'skip' } } },
    finding: null,
    counter: 'blind_no_bytes',
  },
  {
    name: 'no byte counts and too few connections',
    spec: { external: 9, withBytes: 0 },
    finding: null,
    counter: 'too_few_connections',
  },
  {
    name: 'internal-only traffic is evidence, not a trigger',
    spec: { external: 0, internal: 60 },
    finding: null,
    counter: 'internal_only',
  },
  {
    name: 'internal connections do not make up for too few external ones',
    spec: { external: 9, internal: 60 },
    finding: null,
    counter: 'too_few_connections',
  },
  {
    name: "count: 'all' counts internal connections",
    spec: {
      external: 0,
      internal: 60,
      extra: { [FlowAttr.BYTES_RECEIVED]: 60 * 200, [FlowAttr.BYTES_SENT]: 60 * 400 },
    },
    config: { count: 'all' },
    finding: 'low_response',
  },
  {
    name: 'no internal/external split on the flow: all connections counted, counter says so',
    spec: {
      extra: {
        [FlowAttr.EXTERNAL]: undefined,
        [FlowAttr.INTERNAL]: undefined,
        [FlowAttr.EXTERNAL_FAILED]: undefined,
        [FlowAttr.EXTERNAL_COMPLETED]: undefined,
        [FlowAttr.EXTERNAL_WITH_BYTES]: undefined,
        [FlowAttr.EXTERNAL_BYTES_SENT]: undefined,
        [FlowAttr.EXTERNAL_BYTES_RECEIVED]: undefined,
      },
    },
    finding: 'low_response',
    counter: 'no_destination_split',
  },
  { name: 'zero connections', spec: { external: 0 }, finding: null, counter: 'no_connections' },
  {
    name: 'regular_interval_cv: 0.26 (above) is not regular',
    spec: { external: 20, cv: 0.26 },
    finding: 'low_response',
    fired: ['min_connections', 'max_bytes_received_per_connection'],
  },
  {
    name: 'regular_interval_cv: 0.25 (at) is regular',
    spec: { external: 20, cv: 0.25 },
    finding: 'low_response',
    fired: ['min_connections', 'max_bytes_received_per_connection', 'regular_interval_cv'],
  },
  {
    name: 'no interval cv: regularity not compared',
    spec: { external: 20, cv: null, meanMs: null },
    finding: 'low_response',
    fired: ['min_connections', 'max_bytes_received_per_connection'],
  },
  // Qualification.
  {
    name: 'status new, not custom, qualifies',
    spec: { status: NoveltyStatus.NEW, custom: false },
    finding: 'low_response',
  },
  {
    name: 'status rare, not custom, qualifies',
    spec: { status: NoveltyStatus.RARE, custom: false },
    finding: 'low_response',
  },
  {
    name: 'status known, not custom, does not',
    spec: { status: NoveltyStatus.KNOWN, custom: false },
    finding: null,
    counter: 'not_qualified_status_known',
  },
  {
    name: 'status known and custom: the baseline established it, so it does not qualify',
    spec: { status: NoveltyStatus.KNOWN, custom: true },
    finding: null,
    counter: 'not_qualified_status_known',
  },
  {
    name: 'status known and custom qualifies with qualify.custom_known',
    spec: { status: NoveltyStatus.KNOWN, custom: true },
    config: { qualify: { custom_known: true } },
    finding: 'low_response',
  },
  {
    name: 'status rare and custom qualifies during learning',
    spec: { status: NoveltyStatus.RARE, custom: true, extra: { [NoveltyAttr.LEARNING]: true } },
    finding: 'low_response',
  },
  {
    name: 'allowlisted never qualifies',
    spec: { status: NoveltyStatus.ALLOWLISTED, custom: false },
    finding: null,
    counter: 'not_qualified_allowlisted',
  },
  {
    name: 'allowlisted and custom: allowlisted wins',
    spec: { status: NoveltyStatus.ALLOWLISTED, custom: true },
    finding: null,
    counter: 'not_qualified_allowlisted',
  },
  {
    name: 'qualify.allowlisted: true lets allowlisted qualify',
    spec: { status: NoveltyStatus.ALLOWLISTED, custom: false },
    config: { qualify: { allowlisted: true } },
    finding: 'low_response',
  },
  {
    name: 'qualify.custom: false: known custom does not qualify',
    spec: { status: NoveltyStatus.KNOWN, custom: true },
    config: { qualify: { custom: false } },
    finding: null,
    counter: 'not_qualified_status_known',
  },
  {
    name: "qualify.statuses: ['new'] leaves rare out",
    spec: { status: NoveltyStatus.RARE, custom: false },
    config: { qualify: { statuses: ['new'] } },
    finding: null,
    counter: 'not_qualified_status_rare',
  },
  {
    name: 'no novelty status does not qualify by default',
    spec: { status: null, custom: false },
    finding: null,
    counter: 'not_qualified_no_novelty_status',
  },
  {
    name: 'qualify.missing_status: true judges flows without a status',
    spec: { status: null, custom: false },
    config: { qualify: { missing_status: true } },
    finding: 'low_response',
  },
  { name: 'an0145 disabled', spec: {}, config: { rules: { an0145: { enabled: false } } }, finding: null },
];

void describe('AN0145 rule', () => {
  for (const c of cases) {
    void it(c.name, async () => {
      const { detections, counters } = await run(c.config ?? {}, [flow(c.spec)]);
      if (c.finding === null)
        assert.equal(
          detections.length,
          0,
          `unexpected ${String(detections[0]?.attributes[DetectionAttr.FINDING])}`,
        );
      else {
        assert.equal(detections.length, 1);
        const a = detections[0].attributes;
        assert.equal(a[DetectionAttr.FINDING], c.finding);
        assert.equal(a[DetectionAttr.ANALYTIC], 'AN0145');
        if (c.fired) assert.deepEqual(a[DetectionAttr.FIRED], c.fired);
      }
      if (c.counter)
        assert.equal(
          counters.events[c.counter],
          1,
          `counter ${c.counter}: ${JSON.stringify(counters.events)}`,
        );
    });
  }

  void it('evidence of a low response holds every number and threshold used', async () => {
    const { detections } = await run({}, [
      flow({ external: 12, failed: 5, withBytes: 7, received: 7 * 200, sent: 7 * 400, internal: 3 }),
    ]);
    const a = detections[0].attributes;
    assert.equal(a[`${E}counted_connections`], 12);
    assert.equal(a[`${E}external_connections`], 12);
    assert.equal(a[`${E}internal_connections`], 3);
    assert.equal(a[`${E}connections`], 15);
    assert.equal(a[`${E}failed_connections`], 5);
    assert.equal(a[`${E}answered_connections`], 7);
    assert.equal(a[`${E}bytes_received`], 1400);
    assert.equal(a[`${E}bytes_sent`], 2800);
    assert.equal(a[`${E}bytes_received_per_connection`], 200);
    assert.equal(a[`${E}received_to_sent_ratio`], 0.5);
    assert.equal(a[`${E}counted_scope`], 'external');
    assert.equal(a[`${E}connections_per_hour`], 72);
    assert.equal(a[`${TH}min_connections`], 10);
    assert.equal(a[`${TH}max_bytes_received_per_connection`], 1024);
    assert.equal(a[`${TH}max_received_to_sent_ratio`], 0.25);
    assert.match(
      String(a[DetectionAttr.REASON]),
      /made 12 external HTTP connections in 10 min \(>= 10\) and received 200 B per answered connection \(<= 1024 B\)/,
    );
  });

  void it('a rarer, non-custom minimal hit scores lower than a new custom regular beacon', async () => {
    const low = await run({}, [flow({ external: 10, status: NoveltyStatus.RARE, custom: false, cv: 0.9 })]);
    const high = await run({}, [flow({ external: 40, received: 40 * 100, sent: 40 * 1000 })]);
    const lowScore = low.detections[0].attributes[DetectionAttr.SCORE] as number;
    const highScore = high.detections[0].attributes[DetectionAttr.SCORE] as number;
    assert.equal(lowScore, 60); // base 55 + one response bound 5
    assert.equal(highScore, 100); // 55 + 15 (rate: 4x) + 10 (both) + 15 (new, custom) + 10 (regular) = 105, clamped
    assert.equal(low.detections[0].severityNumber, 13);
    assert.equal(high.detections[0].severityNumber, 21);
    assert.equal(low.detections[0].attributes[`${E}score_base`], 55);
    assert.equal(low.detections[0].attributes[`${E}score_response`], 5);
  });
});
