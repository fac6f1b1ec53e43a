/**
 * What one instance of the scale-out setup sees: the gateway gives it every record of several hosts, and the
 * sidecar's requests mix them. A real `egressguard run --config examples/collector-scale-out/egressguard.yaml`
 * receives the same real audit log from two hosts, interleaved request by request, and must keep them apart: one
 * parser, one set of windows and one report per host (the state that makes routing by resource necessary).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

import {
  CoverageAttr,
  EventName,
  getInt,
  getString,
  hostName,
  ProcessAttr,
  type PipelineRecord,
} from '@egressguard/schema';

import {
  fileLogRecords,
  sendAsCollector,
  AUDIT_LOG,
  IMPLANT,
  startExample,
  startResultsReceiver,
  stopEgressguard,
  type ResultsReceiver,
} from '../../collector-auditd/test/support/egressguard-stage.ts';

const EXAMPLE = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const HOSTS = ['web-1', 'web-2'];

function ofHost(records: readonly PipelineRecord[], host: string, eventName: string): PipelineRecord[] {
  return records.filter((r) => r.eventName === eventName && hostName(r) === host);
}

describe('collector-scale-out: one instance, several hosts', () => {
  let dir: string;
  let results: ResultsReceiver;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'egressguard-scale-out-'));
    results = await startResultsReceiver();
  });
  after(() => {
    results.server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the hosts apart when their lines arrive interleaved', async (t) => {
    if (!existsSync(AUDIT_LOG)) {
      t.skip(`the recorded scenario ${AUDIT_LOG} is not present`);
      return;
    }
    const run = await startExample(EXAMPLE, dir, results);
    try {
      const lines = readFileSync(AUDIT_LOG, 'utf8')
        .split('\n')
        .filter((l) => l.length > 0);
      const [a, b] = HOSTS.map((h) => fileLogRecords(lines, h, 'audit.log'));
      // Line i of web-1, then line i of web-2: every request carries both hosts, cut at a different event each
      // time, so that an event's lines of one host arrive in separate requests with the other host's in between.
      const mixed = a.flatMap((rec, i) => [rec, b[i]]);
      await sendAsCollector(run.url, mixed, 301);
    } finally {
      await stopEgressguard(run);
    }

    const received = results.records;
    const perHost = HOSTS.map((h) => ofHost(received, h, EventName.CONNECTION).length);
    assert.ok(perHost[0] > 0);
    assert.equal(perHost[0], perHost[1], 'the same lines give the same connections on each host');
    assert.equal(
      received.filter((r) => r.eventName === EventName.CONNECTION).length,
      perHost[0] * 2,
      'every connection is attributed to its own host, none to a merged or unknown one',
    );
    for (const host of HOSTS) {
      const detections = ofHost(received, host, EventName.DETECTION).filter(
        (r) => getString(r.attributes, ProcessAttr.EXECUTABLE_PATH) === IMPLANT,
      );
      assert.equal(detections.length, 1, `one detection of the implant on ${host}`);
      const coverage = ofHost(received, host, EventName.COVERAGE);
      assert.equal(coverage.length, 1, `one blind-spot report for ${host}`);
      assert.equal(
        getInt(coverage[0].attributes, CoverageAttr.CONNECTIONS),
        perHost[0],
        `${host}'s report counts ${host}'s connections only`,
      );
    }
  });
});
