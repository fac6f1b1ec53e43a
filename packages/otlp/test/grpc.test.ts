/**
 * OTLP/gRPC in and out over real loopback sockets: the receiver against the OpenTelemetry JS gRPC exporter, our own
 * gRPC exporter and raw grpc-js calls; every status the receiver answers and how the exporter classifies it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import {
  Client,
  Metadata,
  Server,
  ServerCredentials,
  credentials,
  status,
  type ServiceError,
} from '@grpc/grpc-js';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import type { PipelineRecord } from '@egressguard/schema';

import {
  ExportError,
  OtlpGrpcReceiver,
  SaturatedError,
  createOtlpGrpcExporter,
  encodeLogsProto,
} from '../src/index.ts';
import { LOGS_EXPORT_PATH, LOGS_SERVICE } from '../src/internal/logs-service.ts';
import { exportResponse, readPartialSuccess } from '../src/internal/responses.ts';
import { retryDelayMs } from '../src/internal/rpc-status.ts';
import { assertSameGrouping, sampleRecords } from './support/sample-records.ts';
import { goodRecord, request } from './support/wire.ts';

const raw = (b: Buffer): Buffer => b;

/** One raw unary call: the error (with its trailers) or the response bytes. */
function call(
  port: number,
  body: Uint8Array,
  headers: Record<string, string> = {},
  compression = false,
): Promise<{ error: ServiceError | null; response: Buffer | undefined }> {
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure(), {
    ...(compression ? { 'grpc.default_compression_algorithm': 2 } : {}),
  });
  const metadata = new Metadata();
  for (const [k, v] of Object.entries(headers)) metadata.set(k, v);
  return new Promise((resolve) => {
    client.makeUnaryRequest<Buffer, Buffer>(
      LOGS_EXPORT_PATH,
      raw,
      raw,
      Buffer.from(body),
      metadata,
      { deadline: Date.now() + 30_000 },
      (error, response) => {
        client.close();
        resolve({ error, response });
      },
    );
  });
}

async function rejection(promise: Promise<unknown>): Promise<ExportError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ExportError, `not an ExportError: ${String(error)}`);
    return error;
  }
  assert.fail('the export succeeded');
}

function byPid(got: PipelineRecord[], sent: PipelineRecord[]): PipelineRecord[] {
  return got.map((g) => sent.find((r) => r.attributes['process.pid'] === g.attributes['process.pid'])!);
}

describe('OtlpGrpcReceiver', () => {
  const received: PipelineRecord[][] = [];
  let onRecords: (records: PipelineRecord[]) => Promise<void> = (records) => {
    received.push(records);
    return Promise.resolve();
  };
  const receiver = new OtlpGrpcReceiver({
    port: 0,
    maxBodyBytes: 256 * 1024,
    bearerToken: 's3cret',
    onRecords: (r) => onRecords(r),
  });
  let port = 0;
  const auth = { authorization: 'Bearer s3cret' };

  before(async () => {
    const address = await receiver.start();
    assert.equal(address.host, '127.0.0.1');
    port = address.port;
  });
  after(async () => {
    await receiver.stop();
  });

  it('takes what the OpenTelemetry JS gRPC exporter sends, plain and gzip, with resources and scopes', async () => {
    for (const compression of ['none', 'gzip'] as const) {
      received.length = 0;
      const records = sampleRecords(8);
      const metadata = new Metadata();
      metadata.set('authorization', 'Bearer s3cret');
      const exporter = new OTLPLogExporter({
        url: `http://127.0.0.1:${port}`,
        metadata,
        compression: compression as never,
      });
      const result = await new Promise<{ code: ExportResultCode; error?: Error }>((resolve) =>
        exporter.export(records, resolve),
      );
      await exporter.shutdown();
      assert.equal(result.code, ExportResultCode.SUCCESS, String(result.error));
      assert.equal(received.length, 1);
      assert.equal(received[0].length, 8);
      assertSameGrouping(received[0], byPid(received[0], records));
    }
  });

  it('takes what our gRPC exporter sends, gzip and plain', async () => {
    for (const compression of ['gzip', 'none'] as const) {
      received.length = 0;
      const records = sampleRecords(6);
      const exporter = createOtlpGrpcExporter({
        endpoint: `http://127.0.0.1:${port}`,
        headers: auth,
        compression,
        env: {},
      });
      await exporter.export(records);
      await exporter.shutdown();
      assert.equal(received.length, 1);
      assertSameGrouping(received[0], byPid(received[0], records));
    }
  });

  it('answers OK with partial_success when some records are rejected', async () => {
    received.length = 0;
    const body = request('h', [
      goodRecord('a'),
      (w) => w.uint32((10 << 3) | 2).bytes(new Uint8Array(3)),
      goodRecord('c'),
    ]);
    const { error, response } = await call(port, body, auth);
    assert.equal(error, null);
    const partial = readPartialSuccess(response!);
    assert.equal(partial.rejected, 1);
    assert.match(partial.message, /1 log records rejected: #1: .*span_id must be 8 bytes/);
    assert.deepEqual(
      received[0].map((r) => r.eventName),
      ['a', 'c'],
    );
  });

  it('answers INVALID_ARGUMENT, naming the fault, to a message that is not OTLP, and keeps serving', async () => {
    const { error } = await call(port, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]), auth);
    assert.equal(error?.code, status.INVALID_ARGUMENT);
    assert.match(error?.details ?? '', /\S/);
    const after = await call(port, encodeLogsProto(sampleRecords(2)), auth);
    assert.equal(after.error, null);
  });

  it('answers UNAUTHENTICATED without the bearer token, and with a wrong one', async () => {
    for (const headers of [{}, { authorization: 'Bearer nope' }] as Record<string, string>[]) {
      const { error } = await call(port, encodeLogsProto(sampleRecords(1)), headers);
      assert.equal(error?.code, status.UNAUTHENTICATED);
    }
    const exporter = createOtlpGrpcExporter({ endpoint: `http://127.0.0.1:${port}`, env: {} });
    const failure = await rejection(exporter.export(sampleRecords(1)));
    await exporter.shutdown();
    assert.equal(failure.kind, 'permanent');
    assert.match(failure.message, /UNAUTHENTICATED/);
  });

  it('answers RESOURCE_EXHAUSTED without RetryInfo to a message over the limit, also when it arrives gzipped', async () => {
    // Random-looking text does not compress: the gzipped message is over the limit too. Repetitive text does, and
    // is over the limit only once decompressed.
    const big = sampleRecords(1);
    big[0].body = 'x'.repeat(400 * 1024);
    for (const gzip of [false, true]) {
      const { error } = await call(port, encodeLogsProto(big), auth, gzip);
      assert.equal(error?.code, status.RESOURCE_EXHAUSTED, `gzip=${gzip}`);
      assert.equal(
        retryDelayMs((error.metadata.get('grpc-status-details-bin')[0] as Buffer) ?? Buffer.alloc(0)),
        undefined,
      );
    }
    const exporter = createOtlpGrpcExporter({ endpoint: `http://127.0.0.1:${port}`, headers: auth, env: {} });
    const failure = await rejection(exporter.export(big));
    await exporter.shutdown();
    assert.equal(failure.kind, 'permanent');
  });

  it('answers UNAVAILABLE with RetryInfo when downstream is saturated; the exporter calls it retryable with the hint', async () => {
    onRecords = () => Promise.reject(new SaturatedError('export queue full', 3));
    try {
      const { error } = await call(port, encodeLogsProto(sampleRecords(2)), auth);
      assert.equal(error?.code, status.UNAVAILABLE);
      assert.equal(retryDelayMs(error.metadata.get('grpc-status-details-bin')[0] as Buffer), 3000);
      const exporter = createOtlpGrpcExporter({
        endpoint: `http://127.0.0.1:${port}`,
        headers: auth,
        env: {},
      });
      const failure = await rejection(exporter.export(sampleRecords(2)));
      await exporter.shutdown();
      assert.equal(failure.kind, 'retryable');
      assert.equal(failure.retryAfterMs, 3000);
    } finally {
      onRecords = (records) => {
        received.push(records);
        return Promise.resolve();
      };
    }
    assert.ok((receiver.counters()['saturated.downstream'] ?? 0) >= 2);
  });

  it('answers INTERNAL when onRecords fails otherwise; the exporter calls it permanent', async () => {
    onRecords = () => Promise.reject(new Error('disk on fire'));
    try {
      const { error } = await call(port, encodeLogsProto(sampleRecords(2)), auth);
      assert.equal(error?.code, status.INTERNAL);
      assert.match(error?.details ?? '', /disk on fire/);
    } finally {
      onRecords = (records) => {
        received.push(records);
        return Promise.resolve();
      };
    }
  });

  it('answers UNAVAILABLE with RetryInfo beyond maxInFlightRequests calls at once', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const entered: (() => void)[] = [];
    const small = new OtlpGrpcReceiver({
      port: 0,
      maxInFlightRequests: 1,
      retryAfterSeconds: 2,
      onRecords: () => {
        entered.forEach((f) => f());
        return held;
      },
    });
    const { port: p } = await small.start();
    try {
      const inside = new Promise<void>((resolve) => entered.push(resolve));
      const first = call(p, encodeLogsProto(sampleRecords(1)));
      await inside;
      const second = await call(p, encodeLogsProto(sampleRecords(1)));
      assert.equal(second.error?.code, status.UNAVAILABLE);
      assert.equal(retryDelayMs(second.error.metadata.get('grpc-status-details-bin')[0] as Buffer), 2000);
      release();
      assert.equal((await first).error, null);
      assert.equal(small.counters()['saturated.in_flight'], 1);
    } finally {
      release();
      await small.stop();
    }
  });
});

describe('createOtlpGrpcExporter', () => {
  it('rejects a partial success as permanent, with the rejected count', async () => {
    const server = new Server();
    server.addService(LOGS_SERVICE, {
      Export: (_call: unknown, callback: (e: null, r: Buffer) => void) =>
        callback(null, exportResponse('proto', 2, 'two bad records')),
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) =>
        e ? reject(e) : resolve(p),
      ),
    );
    try {
      const exporter = createOtlpGrpcExporter({ endpoint: `127.0.0.1:${port}`, insecure: true, env: {} });
      const failure = await rejection(exporter.export(sampleRecords(5)));
      await exporter.shutdown();
      assert.equal(failure.kind, 'permanent');
      assert.equal(failure.rejectedRecords, 2);
      assert.match(failure.message, /rejected 2 of 5 log records: two bad records/);
    } finally {
      server.forceShutdown();
    }
  });

  it('calls a refused connection retryable', async () => {
    // A port that was just free: bind, note, release.
    const probe = new OtlpGrpcReceiver({ port: 0, onRecords: () => Promise.resolve() });
    const { port } = await probe.start();
    await probe.stop();
    const exporter = createOtlpGrpcExporter({
      endpoint: `http://127.0.0.1:${port}`,
      timeoutMs: 5000,
      env: {},
    });
    const failure = await rejection(exporter.export(sampleRecords(1)));
    await exporter.shutdown();
    assert.equal(failure.kind, 'retryable');
    assert.match(failure.message, /UNAVAILABLE|DEADLINE_EXCEEDED/);
  });

  it('reads the endpoint, headers and insecure flag from the OTEL_EXPORTER_OTLP_* variables', async () => {
    const received: PipelineRecord[][] = [];
    const receiver = new OtlpGrpcReceiver({
      port: 0,
      bearerToken: 'from-env',
      onRecords: (r) => {
        received.push(r);
        return Promise.resolve();
      },
    });
    const { port } = await receiver.start();
    try {
      const exporter = createOtlpGrpcExporter({
        env: {
          OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `127.0.0.1:${port}`,
          OTEL_EXPORTER_OTLP_INSECURE: 'true',
          OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20from-env',
        },
      });
      await exporter.export(sampleRecords(3));
      await exporter.shutdown();
      assert.equal(received[0]?.length, 3);
    } finally {
      await receiver.stop();
    }
  });

  it('names a bad endpoint at construction', () => {
    assert.throws(
      () => createOtlpGrpcExporter({ endpoint: 'ftp://x:1', env: {} }),
      /endpoint must be http, https or host:port/,
    );
    assert.throws(() => createOtlpGrpcExporter({ endpoint: 'nohost', env: {} }), /endpoint must be/);
  });
});

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe(
  'OTLP/gRPC over TLS',
  { skip: hasOpenssl() ? false : 'openssl is not installed: cannot make a test certificate' },
  () => {
    it('serves and exports over TLS with the given certificate, key and CA', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'egressguard-otlp-grpc-tls-'));
      try {
        const certFile = join(dir, 'cert.pem');
        const keyFile = join(dir, 'key.pem');
        execFileSync(
          'openssl',
          [
            'req',
            '-x509',
            '-newkey',
            'rsa:2048',
            '-nodes',
            '-keyout',
            keyFile,
            '-out',
            certFile,
            '-days',
            '1',
            '-subj',
            '/CN=127.0.0.1',
            '-addext',
            'subjectAltName=IP:127.0.0.1',
          ],
          { stdio: 'ignore' },
        );
        const received: PipelineRecord[][] = [];
        const receiver = new OtlpGrpcReceiver({
          port: 0,
          tls: { certFile, keyFile },
          onRecords: (r) => {
            received.push(r);
            return Promise.resolve();
          },
        });
        const { port } = await receiver.start();
        try {
          const exporter = createOtlpGrpcExporter({
            endpoint: `https://127.0.0.1:${port}`,
            caFile: certFile,
            env: {},
          });
          await exporter.export(sampleRecords(4));
          await exporter.shutdown();
          assert.equal(received[0]?.length, 4);
          // Plaintext against the TLS port fails, and is retryable (a network-level failure).
          const plain = createOtlpGrpcExporter({
            endpoint: `http://127.0.0.1:${port}`,
            timeoutMs: 5000,
            env: {},
          });
          const failure = await rejection(plain.export(sampleRecords(1)));
          await plain.shutdown();
          assert.equal(failure.kind, 'retryable');
        } finally {
          await receiver.stop();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  },
);
