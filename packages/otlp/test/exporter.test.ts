import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';

import { ExportError, JsonLinesExporter, createOtlpExporter, decodeLogsJson } from '../src/index.ts';
import { sampleRecords } from './support/sample-records.ts';
import { startSink, type Sink } from './support/sink.ts';

describe('createOtlpExporter', () => {
  let sink: Sink;
  before(async () => {
    sink = await startSink();
  });
  after(async () => {
    await sink.close();
  });

  it('rejects when the backend refuses the export (non-retryable status)', async () => {
    sink.status = 400;
    const exporter = createOtlpExporter({ endpoint: sink.url, timeoutMs: 2000 });
    try {
      await assert.rejects(exporter.export(sampleRecords(2)), /Bad Request|400/);
    } finally {
      sink.status = 200;
      await exporter.shutdown();
    }
    await assert.rejects(exporter.export(sampleRecords(1)), /shut down/);
  });

  it('rejects a 503 as retryable with the server’s Retry-After, without retrying on its own', async () => {
    sink.status = 503;
    sink.retryAfter = '7';
    const exporter = createOtlpExporter({ endpoint: sink.url, timeoutMs: 5000 });
    const before = sink.requests.length;
    try {
      const error: unknown = await exporter.export(sampleRecords(3)).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(error instanceof ExportError, String(error));
      assert.equal(error.kind, 'retryable');
      assert.equal(error.retryAfterMs, 7000);
      assert.match(error.message, /HTTP 503/);
      assert.equal(sink.requests.length - before, 1, 'one request: retrying is the sending queue’s job');
    } finally {
      sink.status = 200;
      sink.retryAfter = undefined;
      await exporter.shutdown();
    }
  });

  it('falls back to OTEL_EXPORTER_OTLP_LOGS_ENDPOINT and OTEL_EXPORTER_OTLP_HEADERS when not configured', async () => {
    process.env['OTEL_EXPORTER_OTLP_LOGS_ENDPOINT'] = sink.url;
    process.env['OTEL_EXPORTER_OTLP_HEADERS'] = 'x-from-env=1';
    try {
      const exporter = createOtlpExporter({ protocol: 'http/json' });
      await exporter.export(sampleRecords(1));
      await exporter.shutdown();
      const last = sink.requests.at(-1)!;
      assert.equal(last.contentType, 'application/json');
      assert.equal(last.headers['x-from-env'], '1');
    } finally {
      delete process.env['OTEL_EXPORTER_OTLP_LOGS_ENDPOINT'];
      delete process.env['OTEL_EXPORTER_OTLP_HEADERS'];
    }
  });

  it('refuses an unknown protocol or a bad endpoint at construction', () => {
    assert.throws(
      () => createOtlpExporter({ protocol: 'grpc' as never }),
      /protocol must be http\/protobuf or http\/json/,
    );
    assert.throws(() => createOtlpExporter({ endpoint: 'not a url' }), /endpoint must be a URL/);
  });
});

describe('JsonLinesExporter', () => {
  it('writes one OTLP/JSON request per export call, one per line', async () => {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    const exporter = new JsonLinesExporter(out);
    await exporter.export(sampleRecords(3));
    await exporter.export(sampleRecords(2));
    await exporter.export([]);
    await exporter.shutdown();
    const lines = Buffer.concat(chunks).toString().split('\n');
    assert.equal(lines.at(-1), '');
    assert.equal(lines.length, 3);
    assert.equal(decodeLogsJson(lines[0]).records.length, 3);
    assert.equal(decodeLogsJson(lines[1]).records.length, 2);
    await assert.rejects(exporter.export(sampleRecords(1)), /shut down/);
  });

  it('rejects the export whose write fails and goes on with the next', async () => {
    let fail = true;
    const out = new Writable({
      write(_chunk, _encoding, callback) {
        callback(fail ? new Error('disk full') : null);
        fail = false;
      },
    });
    out.on('error', () => undefined);
    const exporter = new JsonLinesExporter(out);
    await assert.rejects(exporter.export(sampleRecords(1)), /disk full/);
    await exporter.forceFlush();
  });
});
