/**
 * The baseline matures on durations, through the chain that decides (aggregator → novelty filter → ratio
 * detector): a poller present from the start of the learning period is not judged once learning ends, and an
 * implant first seen seconds before learning ends is still caught when it floods afterwards. The same two with
 * every duration scaled down 100 times, as short replays and tests run them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Pipeline } from '@egressguard/core';
import { httpFlowAggregatorFactory } from '@egressguard/http-flow-aggregator';
import { noveltyFilterFactory } from '@egressguard/novelty-filter';
import { ratioDetectorFactory } from '@egressguard/ratio-detector';
import {
  DetectionAttr,
  EventName,
  NoveltyAttr,
  ProcessAttr,
  hrTimeToMs,
  type PipelineRecord,
} from '@egressguard/schema';

import { httpRequest } from './support/http-request.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 0, 5);

/** The chain with every duration divided by `scale` (thresholds, which are counts, unchanged). */
function chain(scale: number): Pipeline {
  const context = (id: string) => ({ id, now: () => T0 });
  const aggregator = httpFlowAggregatorFactory.create(
    httpFlowAggregatorFactory.config.parse({
      windowing: { type: 'tumbling', window_ms: (10 * MINUTE) / scale },
      out_of_order_ms: 5_000 / scale,
      allowed_lateness_ms: MINUTE / scale,
      max_clock_skew_ms: 0,
    }),
    context('http_flow_aggregator'),
  );
  const novelty = noveltyFilterFactory.create(
    noveltyFilterFactory.config.parse({
      package_database: 'none',
      check_local_files: false,
      max_clock_skew_ms: 0,
      learning_period_ms: DAY / scale,
      history_ms: (14 * DAY) / scale,
      mature_span_ms: (18 * HOUR) / scale,
      mature_interval_ms: HOUR / scale,
    }),
    context('novelty_filter'),
  );
  const detector = ratioDetectorFactory.create(
    ratioDetectorFactory.config.parse({ suppress_ms: HOUR / scale }),
    context('ratio_detector'),
  );
  return Pipeline.of([aggregator, novelty, detector]);
}

/** Feeds connections in event-time order, a batch per connection, and collects what leaves the chain. */
async function feed(pipeline: Pipeline, connections: PipelineRecord[]): Promise<PipelineRecord[]> {
  const sorted = connections.sort((a, b) => hrTimeToMs(a.hrTime) - hrTimeToMs(b.hrTime));
  const out: PipelineRecord[] = [];
  for (const c of sorted) out.push(...(await pipeline.process([c])));
  out.push(...(await pipeline.shutdown()));
  return out;
}

const POLLER = '/usr/local/bin/fleet-poller';
const IMPLANT = '/usr/local/bin/update-helper';

for (const scale of [1, 100]) {
  const label = scale === 1 ? 'default durations' : 'every duration scaled down 100 times';
  describe(`baseline maturity (${label})`, () => {
    const learningEnd = T0 + DAY / scale;

    it('the poller present from the start is not qualified after learning', async () => {
      const pipeline = chain(scale);
      // From the first minute of learning to two hours after it: one request a minute, tiny answers. After
      // learning that is 10 a window, AN0145's count, from a program the baseline saw all day.
      const polls = Array.from({ length: (DAY + 2 * HOUR) / MINUTE }, (_, i) =>
        httpRequest(POLLER, T0 + (i * MINUTE + 7_000) / scale),
      );
      const out = await feed(pipeline, polls);
      const detections = out.filter((r) => r.eventName === EventName.DETECTION);
      assert.deepEqual(detections, [], 'the poller never fires');
      const after = out.filter(
        (r) =>
          r.eventName === EventName.HTTP_FLOW &&
          hrTimeToMs(r.hrTime) >= learningEnd &&
          r.attributes[NoveltyAttr.LEARNING] === false,
      );
      assert.ok(after.length >= 10, `${after.length} windows after learning`);
      for (const flow of after) assert.equal(flow.attributes[NoveltyAttr.STATUS], 'known');
      const counters = pipeline.counters()['ratio_detector#2'];
      assert.ok((counters.events.not_qualified_status_known ?? 0) >= 10);
    });

    it('the implant first seen seconds before learning ends is detected when it floods afterwards', async () => {
      const pipeline = chain(scale);
      // The baseline's learning starts with another program at T0.
      const start = [httpRequest('/usr/bin/curl', T0 + 1_000 / scale)];
      // Twelve requests in the last 12 seconds of learning: more sightings (connections and flows count) than
      // rare_min_count, so a rule on counts alone would call it known.
      const early = Array.from({ length: 12 }, (_, i) =>
        httpRequest(IMPLANT, learningEnd - (12_000 - i * 1_000) / scale),
      );
      // Then a flood five minutes after learning ended: 40 requests two seconds apart.
      const flood = Array.from({ length: 40 }, (_, i) =>
        httpRequest(IMPLANT, learningEnd + (5 * MINUTE + i * 2_000) / scale),
      );
      const out = await feed(pipeline, [...start, ...early, ...flood]);
      const detections = out.filter(
        (r) => r.eventName === EventName.DETECTION && r.attributes[ProcessAttr.EXECUTABLE_PATH] === IMPLANT,
      );
      assert.ok(detections.length > 0, 'the flood is detected');
      const first = detections[0];
      assert.equal(
        first.attributes[NoveltyAttr.STATUS],
        'rare',
        'seen over seconds, not over the maturity span',
      );
      assert.equal(
        first.attributes[NoveltyAttr.CUSTOM],
        false,
        'caught for being rare, not for being custom',
      );
      assert.equal(first.attributes[DetectionAttr.FINDING], 'low_response');
      assert.ok(hrTimeToMs(first.hrTime) >= learningEnd, 'after learning');
    });
  });
}
