/**
 * Real OpenTelemetry OTLP clients (the protobuf exporter and the JSON exporter) send to `egressguard run`; what
 * they sent reaches a real backend on loopback with resources, scopes and attributes intact. A garbage body gets
 * 400 and the server goes on serving.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPLogExporter as ProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPLogExporter as JsonExporter } from '@opentelemetry/exporter-logs-otlp-http';
import type { LogRecordExporter } from '@opentelemetry/sdk-logs';

import { PipelineRecord, createResource, msToHrTime } from '@egressguard/schema';

import { startRun, startSink } from '../support/run-service.ts';

const T = Date.UTC(2025, 10, 30, 9, 0, 0);

function records(client: string): PipelineRecord[] {
  const resource = createResource(
    { 'host.name': `host-${client}`, 'service.name': `agent-${client}` },
    'https://opentelemetry.io/schemas/1.26.0',
  );
  const scope = { name: `scope-${client}`, version: '2.1.0', attributes: { 'scope.attr': client } };
  return Array.from(
    { length: 5 },
    (_, i) =>
      new PipelineRecord({
        hrTime: msToHrTime(T + i * 1000),
        hrTimeObserved: msToHrTime(T + i * 1000 + 5),
        severityNumber: 9,
        severityText: 'INFO',
        eventName: 'egressguard.connection',
        body: { line: `record ${i}`, nested: [1, 'two', true] },
        attributes: {
          client,
          seq: i,
          'destination.address': '203.0.113.9',
          'destination.port': 443,
          ratio: 0.5,
        },
        resource,
        instrumentationScope: scope,
      }),
  );
}

function send(exporter: LogRecordExporter, batch: PipelineRecord[]): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(batch, resolve));
}

describe('egressguard run with real OpenTelemetry OTLP clients', () => {
  let dir: string;
  let sink: Awaited<ReturnType<typeof startSink>>;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'egressguard-clients-'));
    sink = await startSink();
  });
  after(() => {
    sink.server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers protobuf and JSON clients intact, and answers garbage with 400 while it goes on serving', async () => {
    const file = join(dir, 'egressguard.yaml');
    writeFileSync(
      file,
      `receivers:\n  otlp:\nexporters:\n  otlphttp:\n    endpoint: ${sink.url}\n    encoding: proto\nservice:\n  state:\n    directory: ${join(dir, 'state')}\n  pipelines:\n    logs:\n      receivers: [otlp]\n      processors: []\n      exporters: [otlphttp]\n`,
    );
    const run = await startRun(file);

    const proto = new ProtoExporter({ url: run.url });
    const json = new JsonExporter({ url: run.url });
    assert.equal((await send(proto, records('proto'))).code, ExportResultCode.SUCCESS);

    const garbage = await fetch(run.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: new Uint8Array([0xff, 0xff, 0xff, 0x0f, 0x08]),
    });
    assert.equal(garbage.status, 400);
    assert.ok((await garbage.arrayBuffer()).byteLength > 0, 'a google.rpc.Status body says why');

    assert.equal(
      (await send(json, records('json'))).code,
      ExportResultCode.SUCCESS,
      'the server still serves after garbage',
    );
    await Promise.all([proto.shutdown(), json.shutdown()]);

    run.child.kill('SIGTERM');
    const result = await run.done;
    assert.equal(result.code, 0, result.stderr);

    for (const client of ['proto', 'json']) {
      const got = sink.records.filter((r) => r.attributes.client === client);
      assert.equal(got.length, 5, `${client}: every record arrives`);
      const first = got.find((r) => r.attributes.seq === 0)!;
      assert.deepEqual(first.resource.attributes, {
        'host.name': `host-${client}`,
        'service.name': `agent-${client}`,
      });
      assert.equal(first.resource.schemaUrl, 'https://opentelemetry.io/schemas/1.26.0');
      assert.deepEqual(
        {
          name: first.instrumentationScope.name,
          version: first.instrumentationScope.version,
          attributes: first.instrumentationScope.attributes,
        },
        { name: `scope-${client}`, version: '2.1.0', attributes: { 'scope.attr': client } },
      );
      assert.deepEqual(first.attributes, {
        client,
        seq: 0,
        'destination.address': '203.0.113.9',
        'destination.port': 443,
        ratio: 0.5,
      });
      assert.deepEqual(first.body, { line: 'record 0', nested: [1, 'two', true] });
      assert.deepEqual(
        [first.hrTime, first.hrTimeObserved, first.severityNumber, first.severityText, first.eventName],
        [msToHrTime(T), msToHrTime(T + 5), 9, 'INFO', 'egressguard.connection'],
      );
    }
  });
});
