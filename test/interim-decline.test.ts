/**
 * Interim updates declined through the chain that makes and consumes them (aggregator → novelty filter → ratio
 * detector, in one process): the detector declines the rest of a window's updates of an allowlisted or established
 * process, and the aggregator makes no more of them; those of a process that only learning keeps from qualifying, until
 * learning ends; updates of a process that may still come to qualify are all made; and what leaves the chain is the
 * same as when nothing can be declined (the updates copied between the stages, as across processes).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Pipeline } from '@egressguard/core';
import { assertRecordsConserved } from '@egressguard/core/testing';
import { httpFlowAggregatorFactory } from '@egressguard/http-flow-aggregator';
import { noveltyFilterFactory } from '@egressguard/novelty-filter';
import { ratioDetectorFactory } from '@egressguard/ratio-detector';
import {
  DetectionAttr,
  EventName,
  FlowAttr,
  NoveltyAttr,
  ProcessAttr,
  cloneRecord,
  eventTimeMs,
  type PipelineRecord,
} from '@egressguard/schema';

import { httpRequest } from './support/http-request.ts';

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const UPDATER = '/opt/vendor/bin/updater';
const POLLER = '/opt/vendor/bin/poller';
/** Connections of each process in the window: updates from the tenth on, one per connection. */
const CONNECTIONS = 30;
const UPDATES = CONNECTIONS - 10 + 1;

const context = (id: string) => ({ id, now: () => T0 });

function aggregator() {
  return httpFlowAggregatorFactory.create(
    httpFlowAggregatorFactory.config.parse({
      interim: { enabled: true, min_connections: 10 },
      max_clock_skew_ms: 0,
    }),
    context('http_flow_aggregator'),
  );
}

/**
 * The novelty filter and the detector; the updater is allowlisted, `qualify` is the detector's, `novelty` more of the
 * filter's options.
 */
function judges(
  qualify: Record<string, unknown>,
  interimFlows: 'consume' | 'pass' = 'consume',
  novelty: Record<string, unknown> = {},
) {
  return [
    noveltyFilterFactory.create(
      noveltyFilterFactory.config.parse({
        package_database: 'none',
        check_local_files: false,
        max_clock_skew_ms: 0,
        allowlist: [{ id: 'vendor-updater', paths: [UPDATER] }],
        ...novelty,
      }),
      context('novelty_filter'),
    ),
    ratioDetectorFactory.create(
      ratioDetectorFactory.config.parse({ qualify, interim_flows: interimFlows }),
      context('ratio_detector'),
    ),
  ];
}

/** Both processes, interleaved, one request each every 5 s, in one window. */
function requests(): PipelineRecord[] {
  return Array.from({ length: CONNECTIONS }, (_, i) => [
    httpRequest(UPDATER, T0 + i * 5_000),
    httpRequest(POLLER, T0 + i * 5_000 + 1_000),
  ]).flat();
}

/** Feeds `records` (the requests by default) to `step` a batch each, then calls `flush`, and returns what left. */
async function feed(
  step: (batch: PipelineRecord[]) => Promise<PipelineRecord[]>,
  flush: () => Promise<PipelineRecord[]>,
  records = requests(),
) {
  const out: PipelineRecord[] = [];
  for (const r of records) out.push(...(await step([r])));
  out.push(...(await flush()));
  return out;
}

/**
 * `records` through the aggregator and the judges of `makeJudges` run apart: the updates reach the judges as copies,
 * as they do when the stages run in different processes, so nothing can be declined. Conservation is checked on both.
 */
async function runApart(makeJudges: () => ReturnType<typeof judges>, records = requests()) {
  const makes = Pipeline.of([aggregator()]);
  const judged = Pipeline.of(makeJudges());
  const made: PipelineRecord[] = [];
  const out = await feed(
    async (b) => {
      const batch = await makes.process(b);
      made.push(...batch);
      return judged.process(batch.map(cloneRecord));
    },
    async () => {
      const batch = await makes.shutdown();
      made.push(...batch);
      return [...(await judged.process(batch.map(cloneRecord))), ...(await judged.shutdown())];
    },
    records,
  );
  assertRecordsConserved(makes, 'aggregator apart');
  assertRecordsConserved(judged, 'judges apart');
  return { out, made, judged };
}

/**
 * `records` through the aggregator and the judges in one pipeline, a batch each (or all in one batch), so that the
 * detector can decline; conservation is checked on every stage. What left it, and the stages' counters.
 */
async function runTogether(
  stages: ReturnType<typeof judges>,
  label: string,
  records = requests(),
  oneBatch = false,
) {
  const chain = Pipeline.of([aggregator(), ...stages]);
  const out = oneBatch
    ? [...(await chain.process(records)), ...(await chain.shutdown())]
    : await feed(
        (b) => chain.process(b),
        () => chain.shutdown(),
        records,
      );
  assertRecordsConserved(chain, label);
  return { out, counters: chain.counters() };
}

/** What leaves the chain, comparable between runs: event names and attributes, in order. */
const comparable = (records: PipelineRecord[]) => records.map((r) => [r.eventName, r.attributes]);

/** The detections among `records`, as the executable each is of and its revision. */
const detectionsOf = (records: PipelineRecord[]) =>
  records
    .filter((r) => r.eventName === EventName.DETECTION)
    .map((d) => [d.attributes[ProcessAttr.EXECUTABLE_PATH], d.attributes[DetectionAttr.REVISION]]);

const updatesOf = (records: PipelineRecord[], path: string) =>
  records.filter(
    (r) => r.attributes[FlowAttr.INTERIM] === true && r.attributes[ProcessAttr.EXECUTABLE_PATH] === path,
  ).length;

describe('interim updates declined by their consumer', () => {
  it('stops an allowlisted process’s updates after the first, keeps the others’, and changes nothing that leaves', async () => {
    // The poller qualifies (its baseline is learning, and the detector judges during learning): it fires at its
    // tenth connection. The updater is allowlisted: no update of it can fire.
    const qualify = { during_learning: true };
    const { out, counters } = await runTogether(judges(qualify), 'chain');
    assert.equal(counters['ratio_detector#2'].events.interim_windows_declined, 1, 'the updater’s window');
    assert.equal(
      counters['http_flow_aggregator#0'].events.interim_updates,
      1 + UPDATES,
      'one update of the updater (the one declined), every update of the poller',
    );
    assert.deepEqual(
      detectionsOf(out),
      [
        [POLLER, 0],
        [POLLER, 1],
      ],
      'the poller fires on an update and is revised when its window closes; the updater never',
    );

    // The same records through stages that cannot decline: the updates are copies when they reach the judges, as
    // they are when the stages run in different processes.
    const { out: apart, made, judged } = await runApart(() => judges(qualify));
    assert.equal(updatesOf(made, UPDATER), UPDATES, 'apart, every update of the updater is made');
    assert.equal(judged.counters()['ratio_detector#1'].events.interim_windows_declined, undefined);
    assert.deepEqual(comparable(out), comparable(apart), 'the same records leave either way');
  });

  it('stops an established (known) process’s updates after learning, and a new implant still fires', async () => {
    // A baseline that learns for 5 minutes and calls an identity known after 3 sightings over 4 minutes in 3 intervals
    // of 10 s: the poller, seen once a minute from 8 minutes before the window, is known in it; the implant is new,
    // then rare (its 150 s of requests are too short a span to become known).
    const novelty = {
      learning_period_ms: 5 * 60_000,
      rare_min_count: 3,
      mature_span_ms: 4 * 60_000,
      mature_interval_ms: 10_000,
      mature_min_intervals: 3,
    };
    const IMPLANT = '/dev/shm/.x/implant';
    const records = [
      ...Array.from({ length: 6 }, (_, i) => httpRequest(POLLER, T0 - 8 * 60_000 + i * 60_000)),
      ...requests(),
      ...Array.from({ length: CONNECTIONS }, (_, i) => httpRequest(IMPLANT, T0 + i * 5_000 + 2_000)),
    ].sort((a, b) => a.hrTime[0] - b.hrTime[0] || a.hrTime[1] - b.hrTime[1]);
    const { out, counters } = await runTogether(judges({}, 'consume', novelty), 'after learning', records);
    assert.equal(
      counters['ratio_detector#2'].events.interim_windows_declined,
      2,
      'the updater’s and the poller’s',
    );
    assert.equal(counters['http_flow_aggregator#0'].events.interim_updates, 1 + 1 + UPDATES);
    const window = out.find(
      (r) =>
        r.eventName === EventName.HTTP_FLOW &&
        r.attributes[ProcessAttr.EXECUTABLE_PATH] === POLLER &&
        r.attributes[FlowAttr.WINDOW_START] === T0,
    );
    assert.equal(window?.attributes[NoveltyAttr.STATUS], 'known', 'the poller is established in the window');
    assert.equal(window?.attributes[NoveltyAttr.LEARNING], false);
    assert.deepEqual(detectionsOf(out), [
      [IMPLANT, 0],
      [IMPLANT, 1],
    ]);
    const { out: apart, made } = await runApart(() => judges({}, 'consume', novelty), records);
    assert.equal(updatesOf(made, POLLER), UPDATES, 'apart, every update of the poller is made');
    assert.deepEqual(comparable(out), comparable(apart), 'the same records leave either way');
  });

  it('declines a window once: updates made in the same batch before the decline are consumed as before', async () => {
    // Every request in one batch: the aggregator makes all its updates before the detector sees the first.
    const { out, counters } = await runTogether(
      judges({ during_learning: true }),
      'one batch',
      requests(),
      true,
    );
    assert.equal(counters['http_flow_aggregator#0'].events.interim_updates, 2 * UPDATES);
    assert.equal(
      counters['ratio_detector#2'].events.interim_windows_declined,
      1,
      'one window, declined once',
    );
    assert.equal(counters['ratio_detector#2'].dropped.interim_flow, 2 * UPDATES, 'every update consumed');
    assert.deepEqual(
      detectionsOf(out).map(([path]) => path),
      [POLLER, POLLER],
    );
  });

  it('declines a learning process’s updates until learning ends, and nothing while updates are passed on', async () => {
    // Default qualification: nothing but custom executables is judged while the baseline learns (a day, by default),
    // and the poller is not custom, which its path alone decides here (no local files are read).
    const { out, counters } = await runTogether(judges({}), 'learning');
    assert.equal(counters['ratio_detector#2'].events.not_qualified_learning_period, 1, 'the poller');
    assert.equal(
      counters['ratio_detector#2'].events.interim_windows_declined,
      2,
      'the updater’s for good, the poller’s until learning ends',
    );
    assert.equal(counters['http_flow_aggregator#0'].events.interim_updates, 1 + 1);
    const { out: apart, made } = await runApart(() => judges({}));
    assert.equal(updatesOf(made, POLLER), UPDATES, 'apart, every update of the poller is made');
    assert.deepEqual(comparable(out), comparable(apart), 'the same records leave either way');

    // Passed on, every update reaches the output, the updater's included.
    const { out: passed, counters: passing } = await runTogether(judges({}, 'pass'), 'passing');
    assert.equal(passing['ratio_detector#2'].events.interim_windows_declined, undefined);
    assert.equal(updatesOf(passed, UPDATER), UPDATES);
    assert.equal(updatesOf(passed, POLLER), UPDATES);
    const updaterFlows = passed.filter(
      (r) => r.eventName === EventName.HTTP_FLOW && r.attributes[ProcessAttr.EXECUTABLE_PATH] === UPDATER,
    );
    assert.equal(updaterFlows.length, UPDATES + 1, 'its updates and its window record');
    for (const flow of updaterFlows) assert.equal(flow.attributes[NoveltyAttr.STATUS], 'allowlisted');
  });

  it('makes a learning process’s updates again once a connection is past the end of learning: it fires there', async () => {
    // Learning ends 100 s after the first record (T0), within the window: the poller's updates from its 10th
    // connection (T0 + 46 s) are declined until then, and its 21st (T0 + 101 s) makes an update again, no longer
    // learning, rare: it fires on it, as it does when every update is made.
    const novelty = { learning_period_ms: 100_000 };
    const { out, counters } = await runTogether(judges({}, 'consume', novelty), 'learning ends');
    assert.equal(counters['ratio_detector#2'].events.interim_windows_declined, 2);
    // The updater's first; the poller's 10th connection's, then one for each connection from its 21st on.
    assert.equal(counters['http_flow_aggregator#0'].events.interim_updates, 1 + 1 + (CONNECTIONS - 20));
    assert.deepEqual(detectionsOf(out), [
      [POLLER, 0],
      [POLLER, 1],
    ]);
    const fired = out.find((r) => r.eventName === EventName.DETECTION)!;
    assert.equal(fired.attributes[NoveltyAttr.LEARNING], false);
    assert.equal(
      eventTimeMs(fired),
      T0 + 20 * 5_000 + 1_000,
      'at the poller’s first connection past the end of learning',
    );
    const { out: apart, made } = await runApart(() => judges({}, 'consume', novelty));
    assert.equal(updatesOf(made, POLLER), UPDATES, 'apart, every update of the poller is made');
    assert.deepEqual(comparable(out), comparable(apart), 'the same records leave either way');
  });

  it('declines no learning updates when the custom verdict reads this machine’s files, which can change', async () => {
    const { counters } = await runTogether(judges({}, 'consume', { check_local_files: true }), 'local files');
    assert.equal(counters['ratio_detector#2'].events.interim_windows_declined, 1, 'the updater alone');
    assert.equal(counters['http_flow_aggregator#0'].events.interim_updates, 1 + UPDATES);
  });
});
