/**
 * Interim updates declined through the chain that makes and consumes them (aggregator → novelty filter → ratio
 * detector, in one process): the detector declines the rest of a window's updates of an allowlisted process, and the
 * aggregator makes no more of them; updates of a process that may still come to qualify are all made; and what
 * leaves the chain is the same as when nothing can be declined (the updates copied between the stages, as across
 * processes).
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

/** The novelty filter and the detector; the updater is allowlisted, and `qualify` is the detector's. */
function judges(qualify: Record<string, unknown>, interimFlows: 'consume' | 'pass' = 'consume') {
  return [
    noveltyFilterFactory.create(
      noveltyFilterFactory.config.parse({
        package_database: 'none',
        check_local_files: false,
        max_clock_skew_ms: 0,
        allowlist: [{ id: 'vendor-updater', paths: [UPDATER] }],
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

/** Feeds the requests to `step` a batch each, then calls `flush`, and returns what left. */
async function feed(
  step: (batch: PipelineRecord[]) => Promise<PipelineRecord[]>,
  flush: () => Promise<PipelineRecord[]>,
) {
  const out: PipelineRecord[] = [];
  for (const r of requests()) out.push(...(await step([r])));
  out.push(...(await flush()));
  return out;
}

/** What leaves the chain, comparable between runs: event names and attributes, in order. */
const comparable = (records: PipelineRecord[]) => records.map((r) => [r.eventName, r.attributes]);

const updatesOf = (records: PipelineRecord[], path: string) =>
  records.filter(
    (r) => r.attributes[FlowAttr.INTERIM] === true && r.attributes[ProcessAttr.EXECUTABLE_PATH] === path,
  ).length;

describe('interim updates declined by their consumer', () => {
  it('stops an allowlisted process’s updates after the first, keeps the others’, and changes nothing that leaves', async () => {
    // The poller qualifies (its baseline is learning, and the detector judges during learning): it fires at its
    // tenth connection. The updater is allowlisted: no update of it can fire.
    const qualify = { during_learning: true };
    const chain = Pipeline.of([aggregator(), ...judges(qualify)]);
    const out = await feed(
      (b) => chain.process(b),
      () => chain.shutdown(),
    );
    assertRecordsConserved(chain, 'chain');
    const counters = chain.counters();
    assert.equal(counters['ratio_detector#2'].events.interim_windows_declined, 1, 'the updater’s window');
    assert.equal(
      counters['http_flow_aggregator#0'].events.interim_updates,
      1 + UPDATES,
      'one update of the updater (the one declined), every update of the poller',
    );
    const detections = out.filter((r) => r.eventName === EventName.DETECTION);
    assert.deepEqual(
      detections.map((d) => [
        d.attributes[ProcessAttr.EXECUTABLE_PATH],
        d.attributes[DetectionAttr.REVISION],
      ]),
      [
        [POLLER, 0],
        [POLLER, 1],
      ],
      'the poller fires on an update and is revised when its window closes; the updater never',
    );

    // The same records through stages that cannot decline: the updates are copies when they reach the judges, as
    // they are when the stages run in different processes.
    const makes = Pipeline.of([aggregator()]);
    const judged = Pipeline.of(judges(qualify));
    const made: PipelineRecord[] = [];
    const apart = await feed(
      async (b) => {
        const records = await makes.process(b);
        made.push(...records);
        return judged.process(records.map(cloneRecord));
      },
      async () => {
        const records = await makes.shutdown();
        made.push(...records);
        return [...(await judged.process(records.map(cloneRecord))), ...(await judged.shutdown())];
      },
    );
    assertRecordsConserved(makes, 'aggregator apart');
    assertRecordsConserved(judged, 'judges apart');
    assert.equal(updatesOf(made, UPDATER), UPDATES, 'apart, every update of the updater is made');
    assert.equal(judged.counters()['ratio_detector#1'].events.interim_windows_declined, undefined);
    assert.deepEqual(comparable(out), comparable(apart), 'the same records leave either way');
  });

  it('declines a window once: updates made in the same batch before the decline are consumed as before', async () => {
    const chain = Pipeline.of([aggregator(), ...judges({ during_learning: true })]);
    // Every request in one batch: the aggregator makes all its updates before the detector sees the first.
    const out = [...(await chain.process(requests())), ...(await chain.shutdown())];
    assertRecordsConserved(chain, 'one batch');
    const counters = chain.counters();
    assert.equal(counters['http_flow_aggregator#0'].events.interim_updates, 2 * UPDATES);
    assert.equal(
      counters['ratio_detector#2'].events.interim_windows_declined,
      1,
      'one window, declined once',
    );
    assert.equal(counters['ratio_detector#2'].dropped.interim_flow, 2 * UPDATES, 'every update consumed');
    assert.deepEqual(
      out
        .filter((r) => r.eventName === EventName.DETECTION)
        .map((d) => d.attributes[ProcessAttr.EXECUTABLE_PATH]),
      [POLLER, POLLER],
    );
  });

  it('declines nothing of a process that may yet qualify, nor while updates are passed on', async () => {
    // Default qualification: nothing is judged while the baseline learns, but learning may end within the window.
    const learning = Pipeline.of([aggregator(), ...judges({})]);
    await feed(
      (b) => learning.process(b),
      () => learning.shutdown(),
    );
    assertRecordsConserved(learning, 'learning');
    assert.equal(
      learning.counters()['ratio_detector#2'].events.not_qualified_learning_period,
      1,
      'the poller',
    );
    assert.equal(
      learning.counters()['ratio_detector#2'].events.interim_windows_declined,
      1,
      'the updater alone',
    );
    assert.equal(learning.counters()['http_flow_aggregator#0'].events.interim_updates, 1 + UPDATES);

    // Passed on, every update reaches the output, the updater's included.
    const passing = Pipeline.of([aggregator(), ...judges({ during_learning: true }, 'pass')]);
    const out = await feed(
      (b) => passing.process(b),
      () => passing.shutdown(),
    );
    assertRecordsConserved(passing, 'passing');
    assert.equal(passing.counters()['ratio_detector#2'].events.interim_windows_declined, undefined);
    assert.equal(updatesOf(out, UPDATER), UPDATES);
    assert.equal(updatesOf(out, POLLER), UPDATES);
    const updaterFlows = out.filter(
      (r) => r.eventName === EventName.HTTP_FLOW && r.attributes[ProcessAttr.EXECUTABLE_PATH] === UPDATER,
    );
    assert.equal(updaterFlows.length, UPDATES + 1, 'its updates and its window record');
    for (const flow of updaterFlows) assert.equal(flow.attributes[NoveltyAttr.STATUS], 'allowlisted');
  });
});
