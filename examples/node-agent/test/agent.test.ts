/**
 * The agent inside this test process, for real: it watches the process's own connections to a loopback HTTP server,
 * runs them through the chain inside the SDK, and exports through the SDK's batch processor and OTLP/protobuf
 * exporter to an OTLP/HTTP server on 127.0.0.1 that decodes what arrives.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';

import { assertRecordsConserved } from '@egressguard/core/testing';
import { decodeLogsProto } from '@egressguard/otlp';
import {
  DetectionAttr,
  EventName,
  FlowAttr,
  getInt,
  getString,
  ProcessAttr,
  type PipelineRecord,
} from '@egressguard/schema';

import { startAgent } from '../src/agent.ts';

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** An OTLP/HTTP (protobuf) logs receiver that keeps every record. */
function otlpSink(records: PipelineRecord[]): Server {
  return createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const decoded = decodeLogsProto(body);
      records.push(...decoded.records);
      res.writeHead(decoded.rejected.length === 0 ? 200 : 400, { 'content-type': 'application/x-protobuf' });
      res.end();
    });
  });
}

/** One request on its own TCP connection, as a beacon that reconnects every time. */
function request(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/beacon', agent: false }, (res) => {
      res.resume();
      res.on('end', resolve);
    }).on('error', reject);
  });
}

const REQUESTS = 20;

describe('node agent: the chain inside the OpenTelemetry JS SDK', () => {
  const received: PipelineRecord[] = [];
  const sink = otlpSink(received);
  // A small answer to every request: many connections, little back.
  const beaconServer = createServer((_req, res) => res.end('ok'));
  let sinkPort: number;
  let beaconPort: number;
  let stateDir: string;

  before(async () => {
    sinkPort = await listen(sink);
    beaconPort = await listen(beaconServer);
    stateDir = mkdtempSync(join(tmpdir(), 'egressguard-node-agent-'));
  });
  after(() => {
    sink.close();
    beaconServer.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('exports flows and detections through the batch processor, never a dropped record, and flushes at shutdown', async () => {
    const agent = startAgent({
      endpoint: `http://127.0.0.1:${sinkPort}/v1/logs`,
      stateDir,
      exportDelayMs: 50,
      processors: {
        // Loopback is internal, which the rule only counts with `count: all`; this host's baseline is brand new,
        // so identities in the learning period must qualify for the rule to judge them.
        ratio_detector: { count: 'all', qualify: { during_learning: true } },
      },
    });
    try {
      for (let i = 0; i < REQUESTS; i++) await request(beaconPort);
      // Every connection has closed and been recorded; the batch processor has had many chances to export.
      await sleep(400);
      assert.deepEqual(
        received.map((r) => r.eventName),
        [],
        'nothing leaves while the window is open: connection records are dropped by the chain once counted',
      );
    } finally {
      await agent.shutdown();
    }
    assertRecordsConserved(agent.balance(), 'agent chain');

    assert.equal(
      received.filter((r) => r.eventName === EventName.CONNECTION).length,
      0,
      'a record the chain drops never reaches the exporter',
    );
    const flows = received.filter(
      (r) =>
        r.eventName === EventName.HTTP_FLOW &&
        getString(r.attributes, ProcessAttr.EXECUTABLE_PATH) === process.execPath,
    );
    assert.ok(flows.length > 0, 'shutdown closes the open window and its flow is exported');
    const connections = flows.reduce((n, f) => n + (getInt(f.attributes, FlowAttr.CONNECTIONS) ?? 0), 0);
    assert.equal(
      connections,
      REQUESTS,
      'the flow counts every connection to the server, and none of the exports',
    );
    const http = flows.reduce((n, f) => n + (getInt(f.attributes, FlowAttr.HTTP_EXCHANGES) ?? 0), 0);
    assert.equal(http, REQUESTS, 'the agent saw the HTTP requests themselves, not a port guess');
    assert.equal(
      flows[0].resource.attributes['service.name'],
      'egressguard-node-agent',
      'the SDK resource is kept',
    );

    const detections = received.filter(
      (r) =>
        r.eventName === EventName.DETECTION &&
        getString(r.attributes, ProcessAttr.EXECUTABLE_PATH) === process.execPath,
    );
    assert.equal(detections.length, 1, 'one detection for the window');
    assert.equal(getString(detections[0].attributes, DetectionAttr.ANALYTIC), 'AN0145');
    assert.equal(getString(detections[0].attributes, DetectionAttr.FINDING), 'low_response');
    if (existsSync(`/proc/${process.pid}/cmdline`)) {
      assert.ok(
        getString(detections[0].attributes, ProcessAttr.COMMAND_LINE)?.includes(process.execPath),
        'process_attribution filled the command line from /proc',
      );
    }
  });
});
