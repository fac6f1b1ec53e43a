/**
 * A real OTLP/HTTP sink for the export tests: a node:http server on 127.0.0.1 that decodes what it receives with
 * the package's decoders and can be told to fail.
 */
import { createServer, type Server } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import type { PipelineRecord } from '@egressguard/schema';

import { decodeLogsJson, decodeLogsProto } from '../../src/index.ts';

export interface Sink {
  readonly url: string;
  readonly records: PipelineRecord[];
  readonly requests: {
    /** When the request's body had arrived (`performance.now()`). */
    at: number;
    /** The status answered. */
    status: number;
    contentType: string;
    encoding: string;
    headers: Record<string, string | string[] | undefined>;
  }[];
  /** Status to answer with; 200 by default. */
  status: number;
  /** Statuses for the next requests, taken one per request before `status` applies. */
  readonly answers: number[];
  /** `Retry-After` header sent with a non-200 answer, when set. */
  retryAfter: string | undefined;
  /** Answers 200 with an OTLP partial success rejecting this many records, when set. */
  partialRejected: number | undefined;
  close(): Promise<void>;
}

/** Starts a sink on 127.0.0.1, on `port` when given (to bring a backend back where it was), else a free port. */
export async function startSink(port = 0): Promise<Sink> {
  const records: PipelineRecord[] = [];
  const requests: Sink['requests'] = [];
  const sink = {
    records,
    requests,
    status: 200,
    answers: [] as number[],
    retryAfter: undefined,
    partialRejected: undefined,
  } as Sink & { url: string };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      const contentType = req.headers['content-type'] ?? '';
      const encoding = req.headers['content-encoding'] ?? '';
      const status = sink.answers.shift() ?? sink.status;
      requests.push({ at: performance.now(), status, contentType, encoding, headers: req.headers });
      if (status !== 200) {
        res
          .writeHead(status, {
            'Content-Type': contentType,
            ...(sink.retryAfter !== undefined ? { 'Retry-After': sink.retryAfter } : {}),
          })
          .end();
        return;
      }
      if (encoding === 'gzip') body = gunzipSync(body);
      const decoded = contentType.startsWith('application/json')
        ? decodeLogsJson(body)
        : decodeLogsProto(body);
      records.push(...decoded.records);
      const json = contentType.startsWith('application/json');
      const rejected = sink.partialRejected;
      let answer: string | Buffer | undefined = json ? '{}' : undefined;
      if (rejected !== undefined) {
        answer = json
          ? JSON.stringify({ partialSuccess: { rejectedLogRecords: rejected, errorMessage: 'too old' } })
          : partialSuccessProto(rejected, 'too old');
      }
      res.writeHead(200, { 'Content-Type': contentType }).end(answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  sink.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/logs`;
  sink.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return sink;
}

/**
 * An `ExportLogsServiceResponse` with `partial_success` (field 1) holding `rejected_log_records` (field 1, int64)
 * and `error_message` (field 2), written byte by byte so that the test does not use the decoder it checks.
 */
function partialSuccessProto(rejected: number, message: string): Buffer {
  const varint = (n: number) => {
    const out: number[] = [];
    while (n > 0x7f) {
      out.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    out.push(n);
    return out;
  };
  const text = Buffer.from(message);
  const inner = Buffer.from([0x08, ...varint(rejected), 0x12, ...varint(text.length), ...text]);
  return Buffer.from([0x0a, ...varint(inner.length), ...inner]);
}
