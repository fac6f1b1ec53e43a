import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createGzip, deflateSync, gzipSync } from 'node:zlib';
import type { PipelineRecord } from '@egressguard/schema';

import { OtlpHttpReceiver, SaturatedError, encodeLogsJson, encodeLogsProto } from '../src/index.ts';
import { assertSameGrouping, sampleRecords } from './support/sample-records.ts';
import { protoResponse, protoStatus, send } from './support/http.ts';
import { goodRecord, request } from './support/wire.ts';

const PROTO = { 'Content-Type': 'application/x-protobuf' };
const JSON_TYPE = { 'Content-Type': 'application/json' };

describe('OtlpHttpReceiver', () => {
  const received: PipelineRecord[][] = [];
  const onRecords: (records: PipelineRecord[]) => Promise<void> = (records) => {
    received.push(records);
    return Promise.resolve();
  };
  const receiver = new OtlpHttpReceiver({
    port: 0,
    maxBodyBytes: 1024 * 1024,
    bearerToken: 's3cret',
    onRecords: (r) => onRecords(r),
  });
  let port = 0;
  const auth = { Authorization: 'Bearer s3cret' };

  before(async () => {
    const address = await receiver.start();
    assert.equal(address.host, '127.0.0.1');
    port = address.port;
  });
  after(async () => {
    await receiver.stop();
  });

  it('accepts protobuf and JSON, plain and gzip, and hands over records with their resources and scopes', async () => {
    const records = sampleRecords(8);
    const bodies: [Record<string, string>, Uint8Array | string][] = [
      [PROTO, encodeLogsProto(records)],
      [{ ...PROTO, 'Content-Encoding': 'gzip' }, gzipSync(encodeLogsProto(records))],
      [{ 'Content-Type': 'application/json; charset=utf-8' }, encodeLogsJson(records)],
      [{ ...JSON_TYPE, 'Content-Encoding': 'gzip' }, gzipSync(encodeLogsJson(records))],
      [{ ...PROTO, 'Content-Encoding': 'deflate' }, deflateSync(encodeLogsProto(records))],
    ];
    for (const [headers, body] of bodies) {
      received.length = 0;
      const answer = await send(port, { headers: { ...headers, ...auth }, body });
      assert.equal(answer.status, 200, answer.body.toString());
      assert.equal(answer.headers['content-type'], headers['Content-Type'].split(';')[0]);
      assert.equal(received.length, 1);
      const got = received[0];
      assert.equal(got.length, 8);
      assert.deepEqual(
        new Set(got.map((r) => r.resource.attributes['host.name'])),
        new Set(['web-01', 'db-02']),
      );
      const byPid = got.map((g) =>
        records.find((r) => r.attributes['process.pid'] === g.attributes['process.pid'])!,
      );
      assertSameGrouping(got, byPid);
      if (headers['Content-Type'] === PROTO['Content-Type']) assert.deepEqual(protoResponse(answer.body), {});
      else assert.deepEqual(JSON.parse(answer.body.toString()), {});
    }
  });

  it('answers 200 with partial_success when some records are rejected (protobuf and JSON)', async () => {
    received.length = 0;
    const body = request('h', [
      goodRecord('a'),
      (w) => w.uint32((10 << 3) | 2).bytes(new Uint8Array(3)),
      goodRecord('c'),
    ]);
    const answer = await send(port, { headers: { ...PROTO, ...auth }, body });
    assert.equal(answer.status, 200);
    const response = protoResponse(answer.body);
    assert.equal(response.partialSuccess?.rejectedLogRecords, '1');
    assert.match(
      response.partialSuccess?.errorMessage ?? '',
      /1 log records rejected: #1: .*span_id must be 8 bytes/,
    );
    assert.deepEqual(
      received[0].map((r) => r.eventName),
      ['a', 'c'],
    );

    const json = await send(port, {
      headers: { ...JSON_TYPE, ...auth },
      body: JSON.stringify({
        resourceLogs: [{ scopeLogs: [{ logRecords: [{ eventName: 'x' }, { traceId: 'zz' }] }] }],
      }),
    });
    assert.equal(json.status, 200);
    const parsed = JSON.parse(json.body.toString()) as {
      partialSuccess: { rejectedLogRecords: string; errorMessage: string };
    };
    assert.equal(parsed.partialSuccess.rejectedLogRecords, '1');
    assert.match(parsed.partialSuccess.errorMessage, /traceId must be 32 hex digits/);
  });

  it('answers 400 with a google.rpc.Status in the request encoding for garbage, and keeps serving', async () => {
    const garbage = await send(port, {
      headers: { ...PROTO, ...auth },
      body: new Uint8Array([0x0a, 0xff, 0xff, 0x01, 0x02]),
    });
    assert.equal(garbage.status, 400);
    assert.equal(garbage.headers['content-type'], 'application/x-protobuf');
    const status = protoStatus(garbage.body);
    assert.equal(status.code, 3);
    assert.match(status.message ?? '', /not an OTLP\/protobuf ExportLogsServiceRequest/);

    const badJson = await send(port, { headers: { ...JSON_TYPE, ...auth }, body: '{"resourceLogs": 5' });
    assert.equal(badJson.status, 400);
    assert.match((JSON.parse(badJson.body.toString()) as { message: string }).message, /not JSON/);

    const badGzip = await send(port, {
      headers: { ...PROTO, ...auth, 'Content-Encoding': 'gzip' },
      body: new Uint8Array([1, 2, 3, 4]),
    });
    assert.equal(badGzip.status, 400);
    assert.match(protoStatus(badGzip.body).message ?? '', /not valid gzip/);

    const ok = await send(port, { headers: { ...PROTO, ...auth }, body: encodeLogsProto(sampleRecords(1)) });
    assert.equal(ok.status, 200);
  });

  it('answers 413 to a gzip bomb over the limit without inflating it in memory', async (t) => {
    // 100 MiB of zeros compress to about 100 KiB; the limit is 1 MiB.
    const gzip = createGzip({ level: 9 });
    const parts: Buffer[] = [];
    gzip.on('data', (c: Buffer) => parts.push(c));
    const done = new Promise((resolve) => gzip.on('end', resolve));
    const zeros = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < 100; i++) gzip.write(zeros);
    gzip.end();
    await done;
    const bomb = Buffer.concat(parts);
    assert.ok(bomb.length < 200 * 1024, `bomb is ${bomb.length} bytes on the wire`);

    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 5);
    const answers = await Promise.all(
      [1, 2, 3].map(() =>
        send(port, { headers: { ...PROTO, ...auth, 'Content-Encoding': 'gzip' }, body: bomb }),
      ),
    );
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    for (const answer of answers) {
      assert.equal(answer.status, 413);
      assert.match(protoStatus(answer.body).message ?? '', /larger than 1048576 bytes after decompression/);
    }
    // Three bombs inflate to 300 MiB; holding even one would grow the process by 100 MiB.
    const growth = peak - before;
    t.diagnostic(
      `rss growth while answering three 100 MiB gzip bombs: ${(growth / 1024 / 1024).toFixed(1)} MiB`,
    );
    assert.ok(growth < 40 * 1024 * 1024, `rss grew by ${Math.round(growth / 1024 / 1024)} MiB`);

    const plainTooLarge = await send(port, {
      headers: { ...PROTO, ...auth },
      body: Buffer.alloc(2 * 1024 * 1024),
    });
    assert.equal(plainTooLarge.status, 413);
    const ok = await send(port, { headers: { ...PROTO, ...auth }, body: encodeLogsProto(sampleRecords(1)) });
    assert.equal(ok.status, 200);
  });

  it('answers 415, 404, 405 (with Allow) and 401 as the OTLP/HTTP specification says', async () => {
    const body = encodeLogsProto(sampleRecords(1));
    const text = await send(port, { headers: { 'Content-Type': 'text/plain', ...auth }, body });
    assert.equal(text.status, 415);
    assert.match(
      (JSON.parse(text.body.toString()) as { message: string }).message,
      /unsupported content type "text\/plain"/,
    );
    const brotli = await send(port, { headers: { ...PROTO, ...auth, 'Content-Encoding': 'br' }, body });
    assert.equal(brotli.status, 415);
    const notFound = await send(port, { path: '/v1/traces', headers: { ...PROTO, ...auth }, body });
    assert.equal(notFound.status, 404);
    assert.equal(protoStatus(notFound.body).code, 5);
    const get = await send(port, { method: 'GET', headers: auth });
    assert.equal(get.status, 405);
    assert.equal(get.headers['allow'], 'POST');
    const noToken = await send(port, { headers: PROTO, body });
    assert.equal(noToken.status, 401);
    assert.equal(noToken.headers['www-authenticate'], 'Bearer');
    const wrongToken = await send(port, { headers: { ...PROTO, Authorization: 'Bearer s3cre' }, body });
    assert.equal(wrongToken.status, 401);
  });

  it('answers 503 with Retry-After when saturated by in-flight requests or by onRecords', async () => {
    const small = new OtlpHttpReceiver({
      port: 0,
      maxInFlightRequests: 1,
      retryAfterSeconds: 2,
      onRecords: () => gate,
    });
    let release: () => void = () => undefined;
    let gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { port: smallPort } = await small.start();
    try {
      const body = encodeLogsProto(sampleRecords(2));
      const first = send(smallPort, { headers: PROTO, body });
      await waitFor(() => (small.counters()['requests'] ?? 0) >= 1);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const second = await send(smallPort, { headers: PROTO, body });
      assert.equal(second.status, 503);
      assert.equal(second.headers['retry-after'], '2');
      assert.equal(protoStatus(second.body).code, 14);
      release();
      assert.equal((await first).status, 200);
      assert.equal(small.counters()['saturated.in_flight'], 1);

      gate = Promise.reject(new SaturatedError('pipeline queue full', 7));
      gate.catch(() => undefined);
      const downstream = await send(smallPort, {
        headers: JSON_TYPE,
        body: encodeLogsJson(sampleRecords(2)),
      });
      assert.equal(downstream.status, 503);
      assert.equal(downstream.headers['retry-after'], '7');
      assert.match(downstream.body.toString(), /pipeline queue full/);

      gate = Promise.reject(new Error('boom'));
      gate.catch(() => undefined);
      const failed = await send(smallPort, { headers: PROTO, body });
      assert.equal(failed.status, 500);
    } finally {
      await small.stop();
    }

    const quota = new OtlpHttpReceiver({
      port: 0,
      saturationStatus: 429,
      onRecords: () => Promise.reject(new SaturatedError('later', 0.2)),
    });
    const { port: quotaPort } = await quota.start();
    try {
      const answer = await send(quotaPort, { headers: PROTO, body: encodeLogsProto(sampleRecords(1)) });
      assert.equal(answer.status, 429);
      assert.equal(answer.headers['retry-after'], '1');
    } finally {
      await quota.stop();
    }
  });

  it('survives malformed HTTP and clients that vanish mid-body', async () => {
    await new Promise<void>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => socket.write('THIS IS NOT HTTP\r\n\r\n'));
      socket.on('data', () => undefined);
      socket.on('close', () => resolve());
      socket.on('error', () => resolve());
    });
    await new Promise<void>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(
          'POST /v1/logs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret\r\nContent-Type: application/x-protobuf\r\nContent-Length: 1000\r\n\r\nabc',
        );
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 30);
      });
    });
    const ok = await send(port, { headers: { ...PROTO, ...auth }, body: encodeLogsProto(sampleRecords(1)) });
    assert.equal(ok.status, 200);
    const counters = receiver.counters();
    assert.ok((counters['requests.malformed_http'] ?? 0) >= 1);
    assert.ok((counters['status.200'] ?? 0) >= 1);
    assert.ok((counters['records.accepted'] ?? 0) >= 1);
  });

  it('answers 408 to a client that stalls mid-body (Content-Length larger than what it sends) and frees its slot', async () => {
    const slow = new OtlpHttpReceiver({
      port: 0,
      maxInFlightRequests: 1,
      requestTimeoutMs: 300,
      onRecords: () => Promise.resolve(),
    });
    const at = await slow.start();
    try {
      const answer = new Promise<string>((resolve) => {
        let text = '';
        const socket = connect(at.port, '127.0.0.1', () =>
          socket.write(
            'POST /v1/logs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"resourceLogs":',
          ),
        );
        socket.on('data', (d: Buffer) => (text += d.toString()));
        socket.on('close', () => resolve(text));
        socket.on('error', () => resolve(text));
      });
      // Wait until the stalled request holds the only slot.
      let held: Awaited<ReturnType<typeof send>> | undefined;
      for (let i = 0; i < 50 && held?.status !== 503; i++) {
        held = await send(at.port, { headers: JSON_TYPE, body: '{}' });
        if (held.status !== 503) await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.equal(held?.status, 503, 'the stalled request holds the only slot');
      assert.match(await answer, /^HTTP\/1\.1 408 Request Timeout\r\n/);
      // The slot is freed when the server side of the connection closes, just after the client saw it close.
      await waitFor(() => slow.counters()['requests.aborted'] === 1);
      const after = await send(at.port, { headers: JSON_TYPE, body: '{}' });
      assert.equal(after.status, 200, 'the slot is free again');
      const counters = slow.counters();
      assert.equal(counters['requests.timed_out'], 1);
      assert.equal(counters['requests.malformed_http'], undefined, 'a slow client is not malformed HTTP');
    } finally {
      await slow.stop();
    }
  });

  it('validates its options', () => {
    assert.throws(
      () => new OtlpHttpReceiver({ port: 70000, onRecords: () => Promise.resolve() }),
      /port must be an integer/,
    );
    assert.throws(
      () => new OtlpHttpReceiver({ maxBodyBytes: 0, onRecords: () => Promise.resolve() }),
      /maxBodyBytes/,
    );
    assert.throws(
      () => new OtlpHttpReceiver({ maxInFlightRequests: 0, onRecords: () => Promise.resolve() }),
      /maxInFlightRequests/,
    );
    assert.throws(
      () => new OtlpHttpReceiver({ requestTimeoutMs: 0, onRecords: () => Promise.resolve() }),
      /requestTimeoutMs must be a positive integer, got 0/,
    );
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
}
