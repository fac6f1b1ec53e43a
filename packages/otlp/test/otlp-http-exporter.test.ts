/**
 * OtlpHttpExporter against real servers on 127.0.0.1: what each answer becomes (delivered, retryable with the
 * server's hint, permanent, partial success), no answer at all, gzip, and the standard environment variables.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';

import { ExportError, OtlpHttpExporter, parseRetryAfter } from '../src/index.ts';
import { seqRecords, seqs } from './support/seq-records.ts';
import { startSink, type Sink } from './support/sink.ts';

async function failure(promise: Promise<void>): Promise<ExportError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof ExportError, `expected an ExportError, got ${String(error)}`);
  return error;
}

describe('OtlpHttpExporter', () => {
  let sink: Sink;
  before(async () => {
    sink = await startSink();
  });
  after(() => sink.close());

  it('delivers, and says which answers may be retried: 429/502/503/504 yes, other statuses no', async () => {
    const exporter = new OtlpHttpExporter({ url: sink.url });
    try {
      await exporter.export(seqRecords(0, 3));
      assert.deepEqual(seqs(sink.records), [0, 1, 2]);
      for (const [status, kind] of [
        [429, 'retryable'],
        [502, 'retryable'],
        [503, 'retryable'],
        [504, 'retryable'],
        [400, 'permanent'],
        [401, 'permanent'],
        [404, 'permanent'],
        [413, 'permanent'],
        [500, 'permanent'],
      ] as const) {
        sink.answers.push(status);
        const error = await failure(exporter.export(seqRecords(0, 1)));
        assert.equal(error.kind, kind, `HTTP ${status}`);
        assert.match(error.message, new RegExp(`HTTP ${status}`));
      }
    } finally {
      await exporter.shutdown();
    }
    const after = await failure(exporter.export(seqRecords(0, 1)));
    assert.equal(after.kind, 'permanent');
    assert.match(after.message, /shut down/);
  });

  it('carries Retry-After, in seconds or as an HTTP date', async () => {
    const exporter = new OtlpHttpExporter({ url: sink.url });
    try {
      sink.answers.push(429);
      sink.retryAfter = '3';
      assert.equal((await failure(exporter.export(seqRecords(0, 1)))).retryAfterMs, 3000);
      sink.answers.push(503);
      sink.retryAfter = new Date(Date.now() + 60_000).toUTCString();
      const ms = (await failure(exporter.export(seqRecords(0, 1)))).retryAfterMs!;
      assert.ok(ms > 50_000 && ms <= 60_000, String(ms));
      sink.answers.push(503);
      sink.retryAfter = undefined;
      assert.equal((await failure(exporter.export(seqRecords(0, 1)))).retryAfterMs, undefined);
    } finally {
      sink.retryAfter = undefined;
      await exporter.shutdown();
    }
    assert.equal(parseRetryAfter('soon', Date.now()), undefined);
    assert.equal(parseRetryAfter(' 0 ', Date.now()), 0);
  });

  it('reports a partial success as a permanent failure of the rejected records only', async () => {
    for (const protocol of ['http/protobuf', 'http/json'] as const) {
      sink.partialRejected = 2;
      const exporter = new OtlpHttpExporter({ url: sink.url, protocol });
      try {
        const error = await failure(exporter.export(seqRecords(0, 5)));
        assert.equal(error.kind, 'permanent', protocol);
        assert.equal(error.rejectedRecords, 2, protocol);
        assert.match(error.message, /2 of 5 records rejected: too old/);
        sink.partialRejected = 0;
        await exporter.export(seqRecords(5, 1));
      } finally {
        sink.partialRejected = undefined;
        await exporter.shutdown();
      }
    }
  });

  it('a refused connection and a backend that does not answer in time are retryable', async () => {
    const silent = createServer(() => undefined);
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const port = (silent.address() as AddressInfo).port;
    const hanging = new OtlpHttpExporter({ url: `http://127.0.0.1:${port}/v1/logs`, timeoutMs: 200 });
    try {
      const error = await failure(hanging.export(seqRecords(0, 1)));
      assert.equal(error.kind, 'retryable');
      assert.match(error.message, /no answer within 200 ms/);
    } finally {
      await hanging.shutdown();
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
    const refused = new OtlpHttpExporter({ url: `http://127.0.0.1:${port}/v1/logs` });
    try {
      const error = await failure(refused.export(seqRecords(0, 1)));
      assert.equal(error.kind, 'retryable');
      assert.match(error.message, /ECONNREFUSED/);
    } finally {
      await refused.shutdown();
    }
  });

  it('compresses with gzip when asked, in code or through OTEL_EXPORTER_OTLP_COMPRESSION', async () => {
    const inCode = new OtlpHttpExporter({ url: sink.url, compression: 'gzip' });
    await inCode.export(seqRecords(0, 2));
    await inCode.shutdown();
    assert.equal(sink.requests.at(-1)!.encoding, 'gzip');
    process.env['OTEL_EXPORTER_OTLP_COMPRESSION'] = 'gzip';
    try {
      const fromEnv = new OtlpHttpExporter({ url: sink.url, protocol: 'http/json' });
      await fromEnv.export(seqRecords(2, 2));
      await fromEnv.shutdown();
    } finally {
      delete process.env['OTEL_EXPORTER_OTLP_COMPRESSION'];
    }
    assert.equal(sink.requests.at(-1)!.encoding, 'gzip');
    assert.deepEqual(seqs(sink.records.slice(-4)), [0, 1, 2, 3], 'the sink read both');
  });

  it('takes OTEL_EXPORTER_OTLP_ENDPOINT (appending v1/logs), its headers, and lets code headers win', async () => {
    const base = sink.url.replace(/\/v1\/logs$/, '');
    process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] = base;
    process.env['OTEL_EXPORTER_OTLP_LOGS_HEADERS'] = 'x-env=1,x-both=env';
    try {
      const exporter = new OtlpHttpExporter({ headers: { 'x-both': 'code' } });
      assert.equal(exporter.url, `${base}/v1/logs`);
      await exporter.export(seqRecords(0, 1));
      await exporter.shutdown();
    } finally {
      delete process.env['OTEL_EXPORTER_OTLP_ENDPOINT'];
      delete process.env['OTEL_EXPORTER_OTLP_LOGS_HEADERS'];
    }
    const headers = sink.requests.at(-1)!.headers;
    assert.equal(headers['x-env'], '1');
    assert.equal(headers['x-both'], 'code');
    assert.equal(headers['content-type'], 'application/x-protobuf');
  });

  it('refuses bad options at construction, naming them', () => {
    assert.throws(() => new OtlpHttpExporter({ url: 'ftp://x/v1/logs' }), /url must be http or https/);
    assert.throws(() => new OtlpHttpExporter({ timeoutMs: 0 }), /timeoutMs must be a number above 0/);
    assert.throws(
      () => new OtlpHttpExporter({ compression: 'br' as never }),
      /compression must be gzip or none/,
    );
  });
});
