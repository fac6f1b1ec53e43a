/**
 * The Collector's part played for real: `egressguard run --config examples/collector-auditd/egressguard.yaml` as a
 * child process on loopback, fed what the filelog receiver sends (one OTLP/protobuf, gzip record per raw line of a
 * real audit log, through the OpenTelemetry OTLP exporter), its output received by an OTLP/HTTP server standing in
 * for the Collector's otlp/egressguard-results receiver.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

import {
  ConnectionAttr,
  CoverageAttr,
  DetectionAttr,
  EventName,
  getInt,
  getString,
  ProcessAttr,
  ProvenanceAttr,
  ResourceAttr,
} from '@egressguard/schema';

import { loadCollectorConfig, type Options } from './support/collector-config.ts';
import {
  fileLogRecords,
  sendAsCollector,
  AUDIT_LOG,
  IMPLANT,
  startExample,
  startResultsReceiver,
  stopEgressguard,
  type ResultsReceiver,
} from './support/egressguard-stage.ts';

const EXAMPLE = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const HOST = 'audit-host-1';

describe('collector-auditd end to end: filelog lines in, detections and the blind-spot report back', () => {
  let dir: string;
  let results: ResultsReceiver;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'egressguard-collector-auditd-'));
    results = await startResultsReceiver();
  });
  after(() => {
    results.server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('detects the failing implant from raw auditd lines and reports that auditd carries no bytes', async (t) => {
    if (!existsSync(AUDIT_LOG)) {
      t.skip(`the recorded scenario ${AUDIT_LOG} is not present`);
      return;
    }
    const run = await startExample(EXAMPLE, dir, results);
    try {
      // Batches as the Collector's batch/egressguard processor cuts them.
      const otelcol = loadCollectorConfig(resolve(EXAMPLE, 'otelcol.yaml'));
      const batchSize = (otelcol.processors['batch/egressguard'] as Options).send_batch_size as number;
      const lines = readFileSync(AUDIT_LOG, 'utf8')
        .split('\n')
        .filter((l) => l.length > 0);
      await sendAsCollector(run.url, fileLogRecords(lines, HOST, 'audit.log'), batchSize);
    } finally {
      await stopEgressguard(run);
    }

    const received = results.records;
    assert.ok(
      received.every((r) => r.eventName?.startsWith('egressguard.')),
      'no raw line comes back: normalize turned the lines into schema records',
    );
    assert.ok(
      received.every((r) => r.resource.attributes[ResourceAttr.HOST_NAME] === HOST),
      'the Collector’s resource (host.name) is kept on everything egressguard sends back',
    );

    const connections = received.filter((r) => r.eventName === EventName.CONNECTION);
    assert.ok(connections.length > 0, 'connection records come back');
    for (const c of connections) {
      assert.equal(getString(c.attributes, ProvenanceAttr.SOURCE_FORMAT), 'auditd');
      assert.equal(getInt(c.attributes, ConnectionAttr.BYTES_RECEIVED), undefined, 'auditd sees no bytes');
    }
    assert.ok(connections.some((c) => getString(c.attributes, ProcessAttr.EXECUTABLE_PATH) === IMPLANT));

    const detections = received.filter(
      (r) =>
        r.eventName === EventName.DETECTION &&
        getString(r.attributes, ProcessAttr.EXECUTABLE_PATH) === IMPLANT,
    );
    assert.equal(detections.length, 1, 'one detection for the implant’s window');
    const finding = getString(detections[0].attributes, DetectionAttr.FINDING);
    assert.equal(getString(detections[0].attributes, DetectionAttr.ANALYTIC), 'AN0145');
    assert.ok(['all_failed', 'many_connections_no_bytes'].includes(finding ?? ''), `finding ${finding}`);

    const coverage = received.filter((r) => r.eventName === EventName.COVERAGE);
    assert.equal(coverage.length, 1, 'one blind-spot report for the one host, source and period');
    const report = coverage[0].attributes;
    assert.equal(getString(report, ProvenanceAttr.SOURCE_FORMAT), 'auditd');
    assert.equal(getInt(report, CoverageAttr.CONNECTIONS), connections.length);
    assert.equal(getInt(report, CoverageAttr.WITH_PROCESS), connections.length, 'auditd names every process');
    assert.equal(getInt(report, CoverageAttr.WITH_BYTES), 0, 'the report says auditd carried no bytes');
    assert.equal(getInt(report, CoverageAttr.WITH_HTTP), 0);
  });
});
