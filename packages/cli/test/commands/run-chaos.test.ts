/**
 * Chaos: a real OpenTelemetry JS SDK client (LoggerProvider, BatchLogRecordProcessor, the OTLP/protobuf exporter)
 * streams recorded scenarios into `egressguard run`, a child process that is killed with SIGKILL at random moments
 * five times and restarted each time, while the backend (an OTLP/HTTP sink on 127.0.0.1) is down for part of the
 * run. At the end every record the client saw acknowledged reached the backend at least once, and the detections
 * are exactly those of an uninterrupted run over the same input.
 *
 * The client keeps a batch until `run` acknowledges it (its exporter is wrapped to retry a failed export, as a
 * Collector's sending queue would): the input of both runs is then the same, in the same order, and only `run`'s
 * crashes differ. The randomness is seeded: `EGRESSGUARD_CHAOS_SEED=<n>` repeats a run; the seed is printed.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';

import { readSensorFile } from '@egressguard/normalize';
import { decodeLogsJson, decodeLogsProto } from '@egressguard/otlp';
import { DetectionAttr, EventName, getInt, getString, type PipelineRecord } from '@egressguard/schema';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchLogRecordProcessor,
  LoggerProvider,
  type LogRecordExporter,
  type ReadableLogRecord,
} from '@opentelemetry/sdk-logs';

import { startRun, type RunningService } from '../support/run-service.ts';

const SCENARIOS = join(import.meta.dirname, '..', '..', '..', '..', 'test', 'scenarios');
const INPUT = ['flood', 'beacon', 'push-out', 'failing-implant'].flatMap((s) => [
  join(SCENARIOS, s, 'auditd-exec.log'),
  join(SCENARIOS, s, 'tcplife.csv'),
]);
const SEQ = 'chaos.seq';
const KILLS = 5;
/** Records the client emits per tick, and the tick: the stream lasts about ten seconds. */
const PER_TICK = 3;
const TICK_MS = 25;

/** mulberry32: a small seeded generator, so that a failing run can be repeated. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every `run` started, so that a failed assertion does not leave one running. */
const children = new Set<RunningService>();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The scenarios' records as `replay` reads them (host `vm`), in event-time order. */
async function scenarioRecords(): Promise<PipelineRecord[]> {
  const records: PipelineRecord[] = [];
  for (const path of INPUT) {
    for await (const batch of readSensorFile(path, 'auto', { host: 'vm' })) records.push(...batch.records);
  }
  const ms = (r: PipelineRecord) => r.hrTime[0] * 1000 + r.hrTime[1] / 1e6;
  return records
    .map((r, i) => ({ r, i }))
    .sort((a, b) => ms(a.r) - ms(b.r) || a.i - b.i)
    .map(({ r }) => r);
}

/** An OTLP/HTTP backend on a fixed loopback port that can go down (stop listening) and come back. */
class Backend {
  readonly records: PipelineRecord[] = [];
  private server: Server | undefined;
  port = 0;

  async up(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        let body = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        const json = !(req.headers['content-type'] ?? '').includes('protobuf');
        const decoded = json ? decodeLogsJson(body.toString('utf8')) : decodeLogsProto(body);
        this.records.push(...decoded.records);
        res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
        res.end(json ? '{}' : undefined);
      });
    });
    server.listen(this.port, '127.0.0.1');
    await once(server, 'listening');
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise((resolve) => server.close(resolve));
    server.closeAllConnections();
    await closed;
  }
}

/**
 * Wraps the SDK's OTLP exporter: a batch is acknowledged when `run` answered 200; a failed export (run down,
 * 503) is tried again after a pause, so the client loses nothing and keeps the order.
 */
class AckingExporter implements LogRecordExporter {
  readonly acked = new Set<number>();
  attempts = 0;
  failures = 0;
  private readonly inner: OTLPLogExporter;

  constructor(inner: OTLPLogExporter) {
    this.inner = inner;
  }

  export(records: ReadableLogRecord[], done: (result: ExportResult) => void): void {
    const attempt = () => {
      this.attempts++;
      this.inner.export(records, (result) => {
        if (result.code === ExportResultCode.SUCCESS) {
          for (const r of records) this.acked.add(r.attributes[SEQ] as number);
          done(result);
        } else {
          this.failures++;
          setTimeout(attempt, 100);
        }
      });
    };
    attempt();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }
}

function writeConfig(dir: string, name: string, backendPort: number): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `receivers:
  otlp:
processors:
  normalize:
  process_attribution:
  http_flow_aggregator:
  novelty_filter:
  ratio_detector:
exporters:
  otlphttp:
    endpoint: http://127.0.0.1:${backendPort}
    timeout: 2s
    sending_queue:
      storage: file
      batch: { max_records: 500, flush_timeout: 50ms }
    retry_on_failure: { initial_interval: 50ms, max_interval: 200ms, max_elapsed_time: 0s }
service:
  state:
    directory: ${join(dir, `${name}-state`)}
    checkpoint_interval_ms: 300
  pipelines:
    logs:
      receivers: [otlp]
      processors: [normalize, process_attribution, http_flow_aggregator, novelty_filter, ratio_detector]
      exporters: [otlphttp]
`,
  );
  return file;
}

interface Outcome {
  sent: number;
  acked: Set<number>;
  backend: PipelineRecord[];
  kills: number;
  clientRetries: number;
}

/** Streams the scenario through `run`; `chaos` kills and restarts it and takes the backend down meanwhile. */
async function stream(
  dir: string,
  name: string,
  input: PipelineRecord[],
  chaos: { rand: () => number } | undefined,
): Promise<Outcome> {
  const backend = new Backend();
  await backend.up();
  // A free port for `run`, kept across restarts so that the client's endpoint stays the same.
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const port = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  const config = writeConfig(dir, name, backend.port);
  const start = async () => {
    const started = await startRun(config, { listen: `127.0.0.1:${port}` });
    children.add(started);
    return started;
  };
  let run: RunningService = await start();
  const exits: Promise<unknown>[] = [];

  const exporter = new AckingExporter(
    new OTLPLogExporter({ url: `http://127.0.0.1:${port}/v1/logs`, timeoutMillis: 2000 }),
  );
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'host.name': 'vm' }),
    processors: [
      new BatchLogRecordProcessor({
        exporter,
        // One record per request: the chain then sees the same batches in both runs, whatever the timing, so that
        // a stage whose output depends on how its input is split cannot tell the runs apart.
        maxExportBatchSize: 1,
        scheduledDelayMillis: 50,
        maxQueueSize: 100_000,
        // The wrapped exporter retries until `run` takes a batch; the processor must not give up meanwhile.
        exportTimeoutMillis: 600_000,
      }),
    ],
  });
  const logger = provider.getLogger('egressguard.chaos', '1');

  let kills = 0;
  let streaming = true;
  const chaosLoop = (async () => {
    if (!chaos) return;
    const total = (input.length / PER_TICK) * TICK_MS;
    // The backend goes down somewhere in the first half and stays down for a quarter of the stream.
    const downAt = chaos.rand() * total * 0.5;
    const backendOutage = (async () => {
      await sleep(downAt);
      await backend.down();
      await sleep(total * 0.25);
      await backend.up();
    })();
    while (kills < KILLS) {
      await sleep(200 + chaos.rand() * (total / KILLS));
      run.child.kill('SIGKILL');
      exits.push(run.done);
      await run.done;
      kills++;
      run = await start();
    }
    await backendOutage;
  })();

  let sent = 0;
  for (let i = 0; i < input.length; i += PER_TICK) {
    for (const r of input.slice(i, i + PER_TICK)) {
      logger.emit({
        timestamp: r.hrTime,
        observedTimestamp: r.hrTimeObserved,
        ...(r.eventName !== undefined ? { eventName: r.eventName } : {}),
        ...(r.body !== undefined ? { body: r.body } : {}),
        attributes: { ...r.attributes, [SEQ]: sent++ },
      });
    }
    await sleep(TICK_MS);
  }
  streaming = false;
  await chaosLoop;
  await provider.forceFlush();
  await provider.shutdown();
  run.child.kill('SIGTERM');
  const result = await run.done;
  assert.equal(result.code, 0, result.stderr);
  await Promise.all(exits);
  await backend.down();
  assert.equal(streaming, false);
  return { sent, acked: exporter.acked, backend: backend.records, kills, clientRetries: exporter.failures };
}

describe('egressguard run under chaos', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'egressguard-chaos-'));
  });
  after(async () => {
    for (const c of children) {
      if (c.child.exitCode === null && c.child.signalCode === null) {
        c.child.kill('SIGKILL');
        await c.done;
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('loses no acknowledged record and fires exactly the detections of an uninterrupted run', async (t) => {
    const seed = Number(process.env.EGRESSGUARD_CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
    t.diagnostic(`seed ${seed} (EGRESSGUARD_CHAOS_SEED=${seed} repeats this run)`);
    const input = await scenarioRecords();
    const detections = (records: PipelineRecord[]) =>
      records
        .filter((r) => r.eventName === EventName.DETECTION)
        .map((r) => getString(r.attributes, DetectionAttr.ID)!);

    const calm = await stream(dir, 'calm', input, undefined);
    const calmIds = new Set(detections(calm.backend));
    const chaos = await stream(dir, 'chaos', input, { rand: random(seed) });

    const deliveredSeqs = (o: Outcome) =>
      o.backend.map((r) => getInt(r.attributes, SEQ)).filter((s) => s !== undefined);
    const seqs = deliveredSeqs(chaos);
    const delivered = new Set(seqs);
    const calmDelivered = new Set(deliveredSeqs(calm));
    // Records the chain itself drops (on purpose, or by a stage's defect) are missing from both runs alike; what a
    // crash would lose is missing from the chaos run only.
    const droppedByChain = [...calm.acked].filter((s) => !calmDelivered.has(s));
    const lost = [...chaos.acked].filter((s) => !delivered.has(s) && calmDelivered.has(s));
    const chaosDetections = detections(chaos.backend);
    const chaosIds = new Set(chaosDetections);
    // A detection is emitted once when it fires and once more as its window's final revision (same id): a duplicate is
    // the same id and revision delivered again.
    const revisionsOf = (records: PipelineRecord[]) =>
      records
        .filter((r) => r.eventName === EventName.DETECTION)
        .map(
          (r) =>
            `${getString(r.attributes, DetectionAttr.ID)}#${getInt(r.attributes, DetectionAttr.REVISION) ?? 0}`,
        );
    const chaosRevisions = revisionsOf(chaos.backend);
    const duplicates = seqs.length - delivered.size + (chaosRevisions.length - new Set(chaosRevisions).size);
    t.diagnostic(
      `kills ${chaos.kills}, records sent ${chaos.sent}, acknowledged ${chaos.acked.size}, delivered ${[...chaos.acked].filter((s) => delivered.has(s)).length} (uninterrupted run: ${[...calm.acked].filter((s) => calmDelivered.has(s)).length}; not passed on by the chain in that run: ${droppedByChain.length}), duplicates ${duplicates}, client retries ${chaos.clientRetries}, detections ${chaosIds.size} (uninterrupted run: ${calmIds.size}), records at the backend ${chaos.backend.length} (uninterrupted run: ${calm.backend.length})`,
    );
    assert.equal(chaos.kills, KILLS);
    assert.equal(chaos.acked.size, chaos.sent, 'the client got every record acknowledged in the end');
    assert.deepEqual(lost, [], 'every acknowledged record the chain passes on reached the backend');
    assert.deepEqual(droppedByChain, [], 'the chain passes every connection record on');
    assert.deepEqual(
      [...chaos.acked].filter((s) => !delivered.has(s)).sort((a, b) => a - b),
      droppedByChain.sort((a, b) => a - b),
      'the chain dropped the same records in both runs',
    );
    assert.ok(calmIds.size > 0, 'the scenarios fire detections');
    assert.deepEqual(
      [...chaosIds].sort(),
      [...calmIds].sort(),
      'the same detections as the uninterrupted run',
    );
    assert.equal(calm.acked.size, calm.sent);
  });
});
