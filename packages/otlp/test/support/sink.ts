/**
 * A real OTLP/HTTP sink for the export tests: a node:http server on 127.0.0.1 that decodes what it receives with
 * the package's decoders and can be told to fail.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import type { PipelineRecord } from '@egressguard/schema';

import { decodeLogsJson, decodeLogsProto } from '../../src/index.ts';

export interface Sink {
  readonly url: string;
  readonly records: PipelineRecord[];
  readonly requests: {
    contentType: string;
    encoding: string;
    headers: Record<string, string | string[] | undefined>;
  }[];
  /** Status to answer with; 200 by default. */
  status: number;
  close(): Promise<void>;
}

export async function startSink(): Promise<Sink> {
  const records: PipelineRecord[] = [];
  const requests: Sink['requests'] = [];
  const sink = { records, requests, status: 200 } as Sink & { url: string };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      const contentType = req.headers['content-type'] ?? '';
      const encoding = req.headers['content-encoding'] ?? '';
      requests.push({ contentType, encoding, headers: req.headers });
      if (sink.status !== 200) {
        res.writeHead(sink.status, { 'Content-Type': contentType }).end();
        return;
      }
      if (encoding === 'gzip') body = gunzipSync(body);
      const decoded = contentType.startsWith('application/json')
        ? decodeLogsJson(body)
        : decodeLogsProto(body);
      records.push(...decoded.records);
      res
        .writeHead(200, { 'Content-Type': contentType })
        .end(contentType.startsWith('application/json') ? '{}' : undefined);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  sink.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/logs`;
  sink.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return sink;
}
