/**
 * Real OpenTelemetry SDK clients (the protobuf and the JSON OTLP exporters behind BatchLogRecordProcessors) send to
 * the receiver on loopback; the receiver forwards through createOtlpExporter to a real HTTP sink; what arrives there
 * must carry the same resources, scopes and attributes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { PipelineRecord } from '@egressguard/schema';
import { SeverityNumber } from '@opentelemetry/api';
import { OTLPLogExporter as JsonExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';

import { OtlpHttpReceiver, createOtlpExporter, type RecordExporter } from '../src/index.ts';
import { startSink, type Sink } from './support/sink.ts';

describe('SDK exporters -> OtlpHttpReceiver -> createOtlpExporter -> HTTP sink', () => {
  let sink: Sink;
  let receiver: OtlpHttpReceiver;
  let forward: RecordExporter;
  let receiverUrl = '';
  const seen: PipelineRecord[] = [];

  before(async () => {
    sink = await startSink();
    forward = createOtlpExporter({
      protocol: 'http/protobuf',
      endpoint: sink.url,
      headers: { 'x-egressguard-test': 'yes' },
    });
    receiver = new OtlpHttpReceiver({
      port: 0,
      onRecords: async (records) => {
        seen.push(...records);
        await forward.export(records);
      },
    });
    const { port } = await receiver.start();
    receiverUrl = `http://127.0.0.1:${port}/v1/logs`;
  });
  after(async () => {
    await forward.shutdown();
    await receiver.stop();
    await sink.close();
  });

  it('keeps resources, scopes and attributes from both a protobuf and a JSON client', async () => {
    const webProvider = new LoggerProvider({
      resource: resourceFromAttributes(
        { 'host.name': 'web-01', 'service.name': 'sensor' },
        { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' },
      ),
      processors: [
        new BatchLogRecordProcessor({
          exporter: new ProtoExporter({ url: receiverUrl }),
          scheduledDelayMillis: 50,
        }),
      ],
    });
    const dbProvider = new LoggerProvider({
      resource: resourceFromAttributes({ 'host.name': 'db-02' }),
      processors: [
        new BatchLogRecordProcessor({
          exporter: new JsonExporter({ url: receiverUrl }),
          scheduledDelayMillis: 50,
        }),
      ],
    });
    const ebpf = webProvider.getLogger('egressguard.sensor.bpftrace', '0.3.1', {
      schemaUrl: 'https://opentelemetry.io/schemas/1.29.0',
      attributes: { 'sensor.kind': 'ebpf' },
    });
    const audit = webProvider.getLogger('egressguard.sensor.auditd', '1.0.0');
    const dbAudit = dbProvider.getLogger('egressguard.sensor.auditd', '1.0.0');
    for (let i = 0; i < 5; i++) {
      ebpf.emit({
        eventName: 'egressguard.connection',
        severityNumber: SeverityNumber.INFO,
        body: { msg: 'connect', seq: i },
        attributes: {
          'process.pid': 4000 + i,
          'destination.address': '203.0.113.7',
          'egressguard.connection.bytes_sent': 1_000_000_000_000 + i,
          'x.list': ['a', 'b'],
        },
      });
      audit.emit({
        eventName: 'egressguard.process.exec',
        attributes: { 'process.executable.path': `/tmp/.x/k${i}`, 'x.ok': true },
      });
      dbAudit.emit({
        eventName: 'egressguard.connection',
        body: 'db',
        attributes: { 'process.pid': 9000 + i, 'x.ratio': 0.5 },
      });
    }
    await Promise.all([webProvider.forceFlush(), dbProvider.forceFlush()]);
    await forward.forceFlush();
    await Promise.all([webProvider.shutdown(), dbProvider.shutdown()]);

    assert.equal(seen.length, 15);
    assert.equal(sink.records.length, 15);
    assert.ok(
      sink.requests.every(
        (r) => r.contentType === 'application/x-protobuf' && r.headers['x-egressguard-test'] === 'yes',
      ),
    );

    const ebpfRecords = sink.records.filter(
      (r) => r.instrumentationScope.name === 'egressguard.sensor.bpftrace',
    );
    assert.equal(ebpfRecords.length, 5);
    for (const r of ebpfRecords) {
      assert.deepEqual(r.resource.attributes, { 'host.name': 'web-01', 'service.name': 'sensor' });
      assert.equal(r.resource.schemaUrl, 'https://opentelemetry.io/schemas/1.30.0');
      assert.deepEqual(r.instrumentationScope, {
        name: 'egressguard.sensor.bpftrace',
        version: '0.3.1',
        attributes: { 'sensor.kind': 'ebpf' },
        schemaUrl: 'https://opentelemetry.io/schemas/1.29.0',
      });
      assert.equal(r.eventName, 'egressguard.connection');
      assert.equal(r.severityNumber, SeverityNumber.INFO);
      assert.equal(r.attributes['destination.address'], '203.0.113.7');
      assert.deepEqual(r.attributes['x.list'], ['a', 'b']);
      assert.ok(r.hrTime[0] > 1_700_000_000);
    }
    assert.deepEqual(
      ebpfRecords.map((r) => r.attributes['egressguard.connection.bytes_sent']).sort(),
      [0, 1, 2, 3, 4].map((i) => 1_000_000_000_000 + i),
    );
    assert.deepEqual(ebpfRecords.map((r) => (r.body as { seq: number }).seq).sort(), [0, 1, 2, 3, 4]);

    const webAudit = sink.records.filter(
      (r) =>
        r.instrumentationScope.name === 'egressguard.sensor.auditd' &&
        r.resource.attributes['host.name'] === 'web-01',
    );
    assert.equal(webAudit.length, 5);
    assert.ok(
      webAudit.every((r) => r.attributes['x.ok'] === true && r.eventName === 'egressguard.process.exec'),
    );

    const db = sink.records.filter((r) => r.resource.attributes['host.name'] === 'db-02');
    assert.equal(db.length, 5);
    assert.ok(
      db.every(
        (r) =>
          r.body === 'db' && r.attributes['x.ratio'] === 0.5 && r.instrumentationScope.version === '1.0.0',
      ),
    );
    assert.deepEqual(db.map((r) => r.attributes['process.pid']).sort(), [9000, 9001, 9002, 9003, 9004]);

    // Each incoming ResourceLogs/ScopeLogs became one shared resource/scope object in the receiver.
    const seenDb = seen.filter((r) => r.resource.attributes['host.name'] === 'db-02');
    assert.equal(new Set(seenDb.map((r) => r.resource)).size, 1);
    assert.equal(new Set(seenDb.map((r) => r.instrumentationScope)).size, 1);
  });

  it('forwards as OTLP/JSON with the http/json protocol', async () => {
    const jsonForward = createOtlpExporter({
      protocol: 'http/json',
      endpoint: sink.url.replace('/v1/logs', ''),
    });
    const before = sink.records.length;
    await jsonForward.export(seen.slice(0, 3));
    await jsonForward.shutdown();
    assert.equal(sink.records.length, before + 3);
    assert.equal(sink.requests.at(-1)!.contentType, 'application/json');
    assert.deepEqual(
      sink.records.slice(before).map((r) => r.attributes),
      seen.slice(0, 3).map((r) => r.attributes),
    );
  });
});
