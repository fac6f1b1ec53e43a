/** The sibling rules: AN0144 byte ratio and AN0146 long-lived irregular activity, every branch. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { DetectionAttr } from '@egressguard/schema';

import { flow, type FlowSpec } from '../flow-builder.ts';
import { run } from '../run.ts';

const MIB = 1_048_576;
const ONLY = (rule: string) => ({ rules: { an0145: { enabled: false }, [rule]: { enabled: true } } });

interface Case {
  name: string;
  spec: FlowSpec;
  fires: boolean;
  counter?: string;
  fired?: string[];
}

void describe('AN0144 byte ratio', () => {
  void it('off by default', async () => {
    const { detections } = await run({ rules: { an0145: { enabled: false } } }, [
      flow({ external: 4, sent: 8 * MIB, received: MIB }),
    ]);
    assert.equal(detections.length, 0);
  });
  const cases: Case[] = [
    {
      name: 'ratio 4:1 (at) with 1 MiB sent (at) fires',
      spec: { external: 4, sent: MIB, received: MIB / 4 },
      fires: true,
    },
    {
      name: 'ratio just below 4:1 does not',
      spec: { external: 4, sent: MIB, received: MIB / 4 + 1 },
      fires: false,
      counter: 'below_sent_to_received_ratio',
    },
    { name: 'ratio above 4:1 fires', spec: { external: 4, sent: 4 * MIB, received: MIB / 2 }, fires: true },
    {
      name: 'sent just below 1 MiB does not',
      spec: { external: 4, sent: MIB - 1, received: 10 },
      fires: false,
      counter: 'below_min_bytes_sent',
    },
    { name: 'nothing received fires', spec: { external: 2, sent: 2 * MIB, received: 0 }, fires: true },
    {
      name: 'no byte counts cannot be judged',
      spec: { external: 20, withBytes: 0 },
      fires: false,
      counter: 'blind_no_bytes',
    },
  ];
  for (const c of cases) {
    void it(c.name, async () => {
      const { detections, counters } = await run(ONLY('an0144_byte_ratio'), [flow(c.spec)]);
      assert.equal(detections.length, c.fires ? 1 : 0);
      if (c.fires) {
        const a = detections[0].attributes;
        assert.equal(a[DetectionAttr.ANALYTIC], 'AN0144');
        assert.equal(a[DetectionAttr.FINDING], 'byte_ratio');
        assert.deepEqual(a[DetectionAttr.FIRED], ['min_bytes_sent', 'min_sent_to_received_ratio']);
        assert.equal(a[`${DetectionAttr.THRESHOLD_PREFIX}min_sent_to_received_ratio`], 4);
      }
      if (c.counter) assert.equal(counters.events[c.counter], 1);
    });
  }
  void it('the sentence says what left and what came back', async () => {
    const { detections } = await run(ONLY('an0144_byte_ratio'), [
      flow({ external: 2, sent: 2 * MIB, received: 0 }),
    ]);
    assert.match(
      String(detections[0].body),
      /sent 2048\.0 KiB \(>= 1024\.0 KiB\) and received 0 B .* sent:received with nothing received/,
    );
  });
});

void describe('AN0146 long session', () => {
  void it('off by default', async () => {
    const { detections } = await run({ rules: { an0145: { enabled: false } } }, [flow({ cv: 2, open: 2 })]);
    assert.equal(detections.length, 0);
  });
  const cases: Case[] = [
    {
      name: 'span 480000 (at) and cv 1 (at) fires',
      spec: { spanMs: 480_000, cv: 1 },
      fires: true,
      fired: ['min_active_span_ms', 'min_interval_cv'],
    },
    {
      name: 'span 479999 (below), nothing open: not long-lived',
      spec: { spanMs: 479_999, cv: 1.5 },
      fires: false,
      counter: 'not_long_lived',
    },
    {
      name: 'short span but a connection still open fires',
      spec: { spanMs: 60_000, cv: 1.5, open: 1 },
      fires: true,
      fired: ['min_open_connections', 'min_interval_cv'],
    },
    {
      name: 'both long-lived signals',
      spec: { spanMs: 590_000, cv: 1.2, open: 3 },
      fires: true,
      fired: ['min_active_span_ms', 'min_open_connections', 'min_interval_cv'],
    },
    {
      name: 'cv 0.99 (below): regular, not irregular',
      spec: { spanMs: 590_000, cv: 0.99 },
      fires: false,
      counter: 'not_irregular',
    },
    {
      name: 'no interval cv: cannot judge',
      spec: { spanMs: 590_000, cv: null },
      fires: false,
      counter: 'no_intervals',
    },
  ];
  for (const c of cases) {
    void it(c.name, async () => {
      const { detections, counters } = await run(ONLY('an0146_long_session'), [flow(c.spec)]);
      assert.equal(detections.length, c.fires ? 1 : 0);
      if (c.fires) {
        const a = detections[0].attributes;
        assert.equal(a[DetectionAttr.ANALYTIC], 'AN0146');
        assert.equal(a[DetectionAttr.FINDING], 'long_session');
        assert.deepEqual(a[DetectionAttr.FIRED], c.fired);
      }
      if (c.counter) assert.equal(counters.events[c.counter], 1);
    });
  }
});
