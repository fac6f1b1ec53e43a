/**
 * The example for real: the test Collector (built from Go modules, `test/collector`) runs `otelcol.yaml` and tails
 * an audit log while the test writes it, rotates it, and stops and restarts the Collector (whose read offsets
 * `file_storage` keeps); `egressguard run --config egressguard.yaml` receives the lines over OTLP/HTTP and sends its
 * output back to the Collector's `otlp/egressguard-results` receiver; the Collector's file exporter writes it, and
 * the test reads the detections and the blind-spot report from that file.
 */
import assert from 'node:assert/strict';
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { Writable } from 'node:stream';

import { createProcessorRegistry, loadConfigFile, replay } from '@egressguard/cli';
import { decodeLogsJson } from '@egressguard/otlp';
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
  type PipelineRecord,
} from '@egressguard/schema';

import { findCollector, startCollector, type RunningCollector } from '../../../test/collector/otelcol.ts';
import { AUDIT_LOG, IMPLANT, startEgressguard, stopEgressguard } from './support/egressguard-stage.ts';

const EXAMPLE = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const HOST = 'audit-host-1';

/** A port that was free a moment ago on 127.0.0.1. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as { port: number };
  await new Promise<void>((ok) => server.close(() => ok()));
  return port;
}

/** Every record of the file exporter's OTLP JSON lines. */
function readResults(file: string): PipelineRecord[] {
  if (!existsSync(file)) return [];
  // Complete lines only: the Collector may be writing the last one.
  return readFileSync(file, 'utf8')
    .split('\n')
    .slice(0, -1)
    .filter((line) => line.trim() !== '')
    .flatMap((line) => decodeLogsJson(Buffer.from(line)).records);
}

const connectionsOf = (records: PipelineRecord[]) =>
  records.filter((r) => r.eventName === EventName.CONNECTION);

/** Waits until `check` holds, polling; fails after `timeoutMs` with `what` and the Collector's log. */
async function waitFor(
  what: string,
  check: () => boolean,
  timeoutMs: number,
  log: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline)
      assert.fail(`timed out waiting for ${what}\nCollector log:\n${log().slice(-4000)}`);
    await sleep(250);
  }
}

/** Waits until the results file has stopped growing for `quietMs`. */
async function settle(file: string, quietMs: number, timeoutMs: number, log: () => string): Promise<void> {
  let size = -1;
  let since = Date.now();
  await waitFor(
    'the results to settle',
    () => {
      const now = existsSync(file) ? readFileSync(file).length : 0;
      if (now !== size) {
        size = now;
        since = Date.now();
      }
      return Date.now() - since >= quietMs;
    },
    timeoutMs,
    log,
  );
}

/** Appends lines to a file in a few writes with pauses, as a logging daemon would. */
async function write(file: string, lines: readonly string[], chunks = 8): Promise<void> {
  const size = Math.ceil(lines.length / chunks);
  for (let i = 0; i < lines.length; i += size) {
    appendFileSync(file, `${lines.slice(i, i + size).join('\n')}\n`);
    await sleep(100);
  }
}

describe('collector-auditd with the real Collector: a live audit log in, detections and the blind-spot report back', () => {
  const collector = findCollector();
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'egressguard-collector-auditd-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it(
    'reads every line once across a rotation and a Collector restart, and brings the findings back',
    { skip: collector.skip },
    async (t) => {
      if (!existsSync(AUDIT_LOG)) {
        t.skip(`the recorded scenario ${AUDIT_LOG} is not present`);
        return;
      }
      const egressguardConfig = resolve(EXAMPLE, 'egressguard.yaml');
      const lines = readFileSync(AUDIT_LOG, 'utf8')
        .split('\n')
        .filter((l) => l.length > 0);

      // What the chain makes of the whole log, read once: the number of connections the live run must match exactly.
      const expected = await replay({
        config: loadConfigFile(egressguardConfig, {
          registry: createProcessorRegistry(),
          env: {},
          requireEnds: false,
        }),
        inputs: [AUDIT_LOG],
        format: 'auditd',
        host: HOST,
        stateDirectory: join(dir, 'replay-state'),
        output: new Writable({ write: (_c, _e, done) => done() }),
      });
      const expectedConnections = expected.coverage.reduce(
        (n, r) => n + (getInt(r.attributes, CoverageAttr.CONNECTIONS) ?? 0),
        0,
      );
      assert.ok(expectedConnections > 0);

      const auditLog = join(dir, 'audit.log');
      const resultsFile = join(dir, 'results.jsonl');
      const resultsPort = await freePort();
      const run = await startEgressguard(egressguardConfig, {
        EGRESSGUARD_OTLP_PORT: '0',
        EGRESSGUARD_RESULTS_PORT: String(resultsPort),
        EGRESSGUARD_STATE_DIR: join(dir, 'state'),
      });
      const egressguardPort = new URL(run.url).port;
      const collectorEnv = {
        AUDIT_LOG: auditLog,
        OTELCOL_START_AT: 'beginning',
        OTELCOL_STORAGE_DIR: join(dir, 'file_storage'),
        OTELCOL_RESULTS_FILE: resultsFile,
        EGRESSGUARD_OTLP_PORT: egressguardPort,
        EGRESSGUARD_RESULTS_PORT: String(resultsPort),
        HOSTNAME: HOST,
      };
      const otelcolYaml = resolve(EXAMPLE, 'otelcol.yaml');
      let otelcol: RunningCollector | undefined;
      let log = '';
      const start = async () => {
        otelcol = startCollector(collector.path!, otelcolYaml, collectorEnv);
        const current = otelcol;
        await waitFor(
          'the Collector to start',
          () => /Everything is ready/.test(current.log()),
          120_000,
          current.log,
        );
      };
      const stop = async () => {
        await otelcol?.stop();
        log += otelcol?.log() ?? '';
        otelcol = undefined;
      };
      const collectorLog = () => log + (otelcol?.log() ?? '');

      try {
        const a = Math.floor(lines.length * 0.4);
        const b = Math.floor(lines.length * 0.7);
        writeFileSync(auditLog, '');
        await start();
        await write(auditLog, lines.slice(0, a));
        await waitFor(
          'connection records to come back',
          () => connectionsOf(readResults(resultsFile)).length > 0,
          180_000,
          collectorLog,
        );
        await settle(resultsFile, 3_000, 180_000, collectorLog);
        // auditd's rotation right after a write: audit.log becomes audit.log.1 before the Collector has read its last
        // lines (they are read from audit.log.1), and a new audit.log is written.
        const tail = a + 40;
        appendFileSync(auditLog, `${lines.slice(a, tail).join('\n')}\n`);
        renameSync(auditLog, `${auditLog}.1`);
        writeFileSync(auditLog, '');
        // auditd's own order: the rotated file's last lines are older than the new file's, and egressguard reads event
        // time with a bounded lateness; give the Collector a poll or two before the new file grows.
        await sleep(1_500);
        await write(auditLog, lines.slice(tail, b));
        await waitFor(
          'connection records to come back',
          () => connectionsOf(readResults(resultsFile)).length > 0,
          180_000,
          collectorLog,
        );
        await settle(resultsFile, 5_000, 180_000, collectorLog);

        // The Collector stops; auditd goes on writing; the Collector comes back and resumes from its stored offsets.
        await stop();
        await write(auditLog, lines.slice(b));
        await start();
        // The last events stay open in normalize until a later line or the shutdown completes them: wait for the
        // lines written while the Collector was down to come through, then let egressguard's SIGTERM flush the rest.
        const before = connectionsOf(readResults(resultsFile)).length;
        await waitFor(
          'connection records of the lines written while the Collector was down',
          () => connectionsOf(readResults(resultsFile)).length > before,
          180_000,
          collectorLog,
        );
        await settle(resultsFile, 5_000, 180_000, collectorLog);
        // egressguard flushes its open windows at SIGTERM: the detections and the blind-spot report come back then.
        await stopEgressguard(run);
        await waitFor(
          'the blind-spot report',
          () => readResults(resultsFile).some((r) => r.eventName === EventName.COVERAGE),
          120_000,
          collectorLog,
        );
        await settle(resultsFile, 3_000, 60_000, collectorLog);
      } finally {
        if (run.child.exitCode === null) run.child.kill('SIGTERM');
        await stop();
      }
      // Where records went when a count is off: egressguard's own account (sent, retried, queued) and what the
      // Collector complained of.
      const egressguardSaid = (await run.done).stderr;
      const collectorSaid = log
        .split('\n')
        .filter((line) => /\t(warn|error)\t/.test(line) && !/alias is deprecated/.test(line))
        .join('\n');
      const accounts = `\negressguard:\n${egressguardSaid}\nCollector warnings and errors:\n${collectorSaid || '(none)'}`;

      const received = readResults(resultsFile);
      assert.ok(
        received.every((r) => r.eventName?.startsWith('egressguard.')),
        'no raw line comes back: normalize turned the lines into schema records',
      );
      assert.ok(
        received.every((r) => r.resource.attributes[ResourceAttr.HOST_NAME] === HOST),
        'the Collector’s resource (host.name) is kept on everything egressguard sends back',
      );
      const connections = connectionsOf(received);
      assert.equal(
        connections.length,
        expectedConnections,
        `every connection exactly once: nothing lost to the rotation or the restart, nothing read twice${accounts}`,
      );
      for (const conn of connections) {
        assert.equal(getString(conn.attributes, ProvenanceAttr.SOURCE_FORMAT), 'auditd');
        assert.equal(
          getInt(conn.attributes, ConnectionAttr.BYTES_RECEIVED),
          undefined,
          'auditd sees no bytes',
        );
      }
      const detections = received.filter(
        (r) =>
          r.eventName === EventName.DETECTION &&
          getString(r.attributes, ProcessAttr.EXECUTABLE_PATH) === IMPLANT,
      );
      assert.equal(detections.length, 1, 'one detection for the implant’s window');
      assert.equal(getString(detections[0].attributes, DetectionAttr.ANALYTIC), 'AN0145');
      const finding = getString(detections[0].attributes, DetectionAttr.FINDING);
      assert.ok(['all_failed', 'many_connections_no_bytes'].includes(finding ?? ''), `finding ${finding}`);

      const coverage = received.filter((r) => r.eventName === EventName.COVERAGE);
      assert.equal(coverage.length, 1, 'one blind-spot report for the one host, source and period');
      const report = coverage[0].attributes;
      assert.equal(getString(report, ProvenanceAttr.SOURCE_FORMAT), 'auditd');
      assert.equal(getInt(report, CoverageAttr.CONNECTIONS), expectedConnections);
      assert.equal(
        getInt(report, CoverageAttr.WITH_PROCESS),
        expectedConnections,
        'auditd names every process',
      );
      assert.equal(getInt(report, CoverageAttr.WITH_BYTES), 0, 'the report says auditd carried no bytes');
      assert.equal(getInt(report, CoverageAttr.WITH_HTTP), 0);
    },
  );
});
