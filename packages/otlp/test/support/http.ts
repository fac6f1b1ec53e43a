/**
 * A minimal HTTP client for the receiver tests (loopback only).
 */
import { request, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import protobuf from 'protobufjs';

import { OTLP_LOGS_DESCRIPTOR } from '../../src/internal/otlp-logs-descriptor.ts';

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Sends one request and collects the answer. */
export function send(
  port: number,
  options: { method?: string; path?: string; headers?: OutgoingHttpHeaders; body?: Uint8Array | string },
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'POST',
        path: options.path ?? '/v1/logs',
        headers: options.headers ?? {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const root = protobuf.Root.fromJSON(OTLP_LOGS_DESCRIPTOR as unknown as protobuf.INamespace);
const responseType = root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse');
const statusType = root.lookupType('google.rpc.Status');

/** Decodes an ExportLogsServiceResponse (protobuf) into plain JSON form. */
export function protoResponse(body: Uint8Array): {
  partialSuccess?: { rejectedLogRecords?: string; errorMessage?: string };
} {
  return responseType.toObject(responseType.decode(body), { longs: String });
}

/** Decodes a google.rpc.Status (protobuf). */
export function protoStatus(body: Uint8Array): { code?: number; message?: string } {
  return statusType.toObject(statusType.decode(body));
}
