/**
 * The example for real: the test Collector (built from Go modules, `test/collector`) runs `otelcol-gateway.yaml`,
 * whose load-balancing exporter routes by resource straight to three `egressguard run --config egressguard.yaml`
 * instances over OTLP/gRPC; their output comes back to the gateway's results receiver and its file exporter. Six
 * hosts send the same recorded audit log, interleaved request by request; halfway through, an instance that owns
 * hosts is killed (SIGKILL) and started again on the same port and state directory.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';

import { createOtlpGrpcExporter, decodeLogsJson } from '@egressguard/otlp';
import {
  ConnectionAttr,
  CoverageAttr,
  createResource,
  EventName,
  getInt,
  getString,
  hostName,
  NetworkAttr,
  PipelineRecord,
  ProcessAttr,
  ResourceAttr,
} from '@egressguard/schema';

import { findCollector, startCollector } from '../../../test/collector/otelcol.ts';
import {
  AUDIT_LOG,
  IMPLANT,
  startEgressguard,
  stopEgressguard,
  type RunningEgressguard,
} from '../../collector-auditd/test/support/egressguard-stage.ts';

const EXAMPLE = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const HOSTS = [
  'scale-host-1',
  'scale-host-2',
  'scale-host-3',
  'scale-host-4',
  'scale-host-5',
  'scale-host-6',
];
const BATCH = 400;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as { port: number };
  await new Promise<void>((ok) => server.close(() => ok()));
  return port;
}

function readResults(file: string): PipelineRecord[] {
  if (!existsSync(file)) return [];
  // Complete lines only: the Collector may be writing the last one.
  return readFileSync(file, 'utf8')
    .split('\n')
    .slice(0, -1)
    .filter((line) => line.trim() !== '')
    .flatMap((line) => decodeLogsJson(Buffer.from(line)).records);
}

/** What a host's Collector (filelog, no operators) sends: one record per raw line, host.name on the resource. */
function agentRecords(lines: readonly string[], host: string): PipelineRecord[] {
  const resource = createResource({ [ResourceAttr.HOST_NAME]: host });
  const scope = { name: '' };
  return lines.map(
    (line) =>
      new PipelineRecord({
        hrTime: [0, 0],
        hrTimeObserved: [Math.floor(Date.now() / 1000), 0],
        body: line,
        attributes: { 'log.file.name': 'audit.log' },
        resource,
        instrumentationScope: scope,
      }),
  );
}

/**
 * A host's connections, each once: a connection's time, process, destination and outcome. An instance killed
 * between checkpoints replays its write-ahead log from the last checkpoint on restart and exports those records
 * again (at least once), so the killed instance's hosts may see some connections twice, never fewer.
 */
function distinctConnections(records: readonly PipelineRecord[], host: string): Set<string> {
  const keys = new Set<string>();
  for (const r of records)
    if (r.eventName === EventName.CONNECTION && hostName(r) === host)
      keys.add(
        JSON.stringify([
          r.hrTime,
          getInt(r.attributes, ProcessAttr.PID),
          getString(r.attributes, NetworkAttr.DESTINATION_ADDRESS),
          getInt(r.attributes, NetworkAttr.DESTINATION_PORT),
          getString(r.attributes, ConnectionAttr.OUTCOME),
        ]),
      );
  return keys;
}

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

describe('collector-scale-out with the real Collector: load balancing straight to three instances over gRPC', () => {
  const collector = findCollector();
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'egressguard-scale-out-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it(
    'routes every host to one instance, brings every host’s detections back, and loses nothing when an instance is killed and restarted',
    { skip: collector.skip },
    async (t) => {
      if (!existsSync(AUDIT_LOG)) {
        t.skip(`the recorded scenario ${AUDIT_LOG} is not present`);
        return;
      }
      const lines = readFileSync(AUDIT_LOG, 'utf8')
        .split('\n')
        .filter((l) => l.length > 0);
      const [gatewayGrpc, gatewayHttp, gatewayResults, ...instancePorts] = await Promise.all(
        Array.from({ length: 6 }, () => freePort()),
      );
      const resultsFile = join(dir, 'results.jsonl');
      const config = resolve(EXAMPLE, 'egressguard.yaml');
      const instanceEnv = (i: number) => ({
        EGRESSGUARD_GRPC_ENDPOINT: `127.0.0.1:${instancePorts[i]}`,
        EGRESSGUARD_RESULTS_ENDPOINT: `127.0.0.1:${gatewayResults}`,
        EGRESSGUARD_STATE_DIR: join(dir, `state-${i + 1}`),
      });
      const instances: RunningEgressguard[] = [];
      let restartedHosts: string[] = [];
      for (let i = 0; i < 3; i++) instances.push(await startEgressguard(config, instanceEnv(i)));
      const gateway = startCollector(collector.path!, resolve(EXAMPLE, 'otelcol-gateway.yaml'), {
        GATEWAY_GRPC_ENDPOINT: `127.0.0.1:${gatewayGrpc}`,
        GATEWAY_HTTP_ENDPOINT: `127.0.0.1:${gatewayHttp}`,
        GATEWAY_RESULTS_ENDPOINT: `127.0.0.1:${gatewayResults}`,
        GATEWAY_RESULTS_FILE: resultsFile,
        EGRESSGUARD_1: `127.0.0.1:${instancePorts[0]}`,
        EGRESSGUARD_2: `127.0.0.1:${instancePorts[1]}`,
        EGRESSGUARD_3: `127.0.0.1:${instancePorts[2]}`,
      });
      try {
        await waitFor(
          'the gateway to start',
          () => /Everything is ready/.test(gateway.log()),
          120_000,
          gateway.log,
        );
        const agent = createOtlpGrpcExporter({ endpoint: `http://127.0.0.1:${gatewayGrpc}`, env: {} });
        const perHost = HOSTS.map((h) => agentRecords(lines, h));
        const send = async (from: number, to: number) => {
          for (let i = from; i < to; i += BATCH)
            // Hosts interleaved request by request, as a fleet's agents send.
            for (const records of perHost) await agent.export(records.slice(i, Math.min(i + BATCH, to)));
        };
        const half = Math.floor(lines.length / 2);
        await send(0, half);

        // Kill (SIGKILL: no flush, no goodbye) an instance that owns at least one host, as its state directory
        // shows, then restart it on the same port and state directory while the rest is being sent. Every record
        // the gateway was told was accepted must still come through.
        const ownerOf = (host: string) =>
          [0, 1, 2].find((i) => {
            const stateDir = instanceEnv(i).EGRESSGUARD_STATE_DIR;
            return (
              existsSync(stateDir) &&
              readdirSync(stateDir, { recursive: true, encoding: 'utf8' })
                .map((f) => join(stateDir, f))
                .some((f) => statSync(f).isFile() && readFileSync(f).includes(host))
            );
          });
        await waitFor(
          'the first half of every host in an instance’s state',
          () => HOSTS.every((h) => ownerOf(h) !== undefined),
          120_000,
          gateway.log,
        );
        const victim = ownerOf(HOSTS[0])!;
        restartedHosts = HOSTS.filter((h) => ownerOf(h) === victim);
        instances[victim].child.kill('SIGKILL');
        await instances[victim].done;
        const resend = send(half, lines.length);
        await sleep(2_000);
        instances[victim] = await startEgressguard(config, instanceEnv(victim));
        await resend;
        await agent.shutdown();

        // Every record the gateway accepted reaches an instance: wait until every host's connections are back, then
        // stop the instances (they flush their open windows: detections and blind-spot reports come back).
        // The restarted instance catches up after the others (the gateway retries with back-off, the instance
        // replays its write-ahead log first): wait until every host has the same connections and nothing more
        // arrives for a while, before stopping the instances.
        let last = '';
        let stableSince = Date.now();
        await waitFor(
          'the same connections of every host',
          () => {
            const sizes = HOSTS.map((h) => distinctConnections(readResults(resultsFile), h).size);
            const now = JSON.stringify(sizes);
            if (now !== last) [last, stableSince] = [now, Date.now()];
            return sizes[0] > 0 && sizes.every((n) => n === sizes[0]) && Date.now() - stableSince > 5_000;
          },
          300_000,
          gateway.log,
        );
        for (const run of instances) await stopEgressguard(run);
        await waitFor(
          'a blind-spot report of every host',
          () => {
            const reports = readResults(resultsFile).filter((r) => r.eventName === EventName.COVERAGE);
            return HOSTS.every((h) => reports.some((r) => hostName(r) === h));
          },
          120_000,
          gateway.log,
        );
        await sleep(3_000);
      } finally {
        for (const run of instances) if (run.child.exitCode === null) run.child.kill('SIGTERM');
        await gateway.stop();
      }

      // The gateway held and retried what it could not deliver to the killed instance; it dropped nothing.
      const dropped = gateway
        .log()
        .split('\n')
        .filter((l) => /Dropping data|dropped_items|No more retries/.test(l));
      assert.deepEqual(dropped, [], 'the gateway drops nothing');
      const received = readResults(resultsFile);
      const complete = HOSTS.map((h) => distinctConnections(received, h).size);
      const counts = HOSTS.map(
        (h) => received.filter((r) => r.eventName === EventName.CONNECTION && hostName(r) === h).length,
      );
      assert.ok(restartedHosts.length > 0);
      assert.ok(complete[0] > 0);
      const steady = HOSTS.findIndex((h) => !restartedHosts.includes(h));
      assert.ok(steady >= 0, 'one host at least is on an instance that was not killed');
      for (let i = 0; i < HOSTS.length; i++) {
        assert.equal(
          complete[i],
          complete[steady],
          `${HOSTS[i]}: the same lines give the same connections, none lost (killed and restarted: ${restartedHosts.includes(HOSTS[i])})`,
        );
        if (!restartedHosts.includes(HOSTS[i]))
          assert.equal(counts[i], counts[steady], `${HOSTS[i]}: on an instance that ran through, none twice`);
        else assert.ok(counts[i] >= counts[steady], `${HOSTS[i]}: replayed records come again, never fewer`);
      }
      for (const host of HOSTS) {
        const reports = received.filter((r) => r.eventName === EventName.COVERAGE && hostName(r) === host);
        assert.equal(
          reports.length,
          1,
          `one blind-spot report for ${host}: all of its records reached one instance`,
        );
        const reported = getInt(reports[0].attributes, CoverageAttr.CONNECTIONS) ?? 0;
        const i = HOSTS.indexOf(host);
        if (!restartedHosts.includes(host))
          assert.equal(reported, counts[steady], `${host}'s report counts all of its connections, once each`);
        else
          // Records taken in again after the kill (replayed from the write-ahead log, or resent by the gateway when
          // the kill came between the log's fsync and the reply) are counted again, like the connections exported.
          assert.ok(
            reported >= counts[steady] && reported <= counts[i],
            `${host}'s report counts all of its connections: ${reported}, between ${counts[steady]} and ${counts[i]}`,
          );
        const detections = received.filter(
          (r) =>
            r.eventName === EventName.DETECTION &&
            hostName(r) === host &&
            getString(r.attributes, ProcessAttr.EXECUTABLE_PATH) === IMPLANT,
        );
        assert.equal(detections.length, 1, `the implant is detected once on ${host}`);
      }

      // Each host's records and state are in exactly one instance's state directory (its write-ahead log and
      // checkpoints), and the hosts are spread over instances.
      const owners = HOSTS.map((host) =>
        [1, 2, 3].filter((i) => {
          const stateDir = join(dir, `state-${i}`);
          return (
            existsSync(stateDir) &&
            readdirSync(stateDir, { recursive: true, encoding: 'utf8' })
              .map((f) => join(stateDir, f))
              .some((f) => statSync(f).isFile() && readFileSync(f).includes(host))
          );
        }),
      );
      owners.forEach((o, i) =>
        assert.equal(o.length, 1, `${HOSTS[i]} is in one instance's state, found in ${JSON.stringify(o)}`),
      );
      assert.ok(
        new Set(owners.map((o) => o[0])).size >= 2,
        `the hosts are spread over instances: ${JSON.stringify(owners)}`,
      );
    },
  );
});
