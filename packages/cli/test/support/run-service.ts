/**
 * `egressguard run` as a child process on a free port, and an OTLP/HTTP sink on 127.0.0.1 standing in for the
 * backend it exports to.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { gunzipSync } from 'node:zlib';

import { decodeLogsJson, decodeLogsProto } from '@egressguard/otlp';
import type { PipelineRecord } from '@egressguard/schema';

import { collect, startCli, type CliResult } from './cli.ts';

/** An OTLP/HTTP logs backend on 127.0.0.1 that keeps every record it receives. */
export interface Sink {
  readonly server: Server;
  readonly url: string;
  readonly port: number;
  readonly records: PipelineRecord[];
}

/**
 * Starts a {@link Sink}: decodes protobuf or JSON by content type, gzip by content encoding, and answers an empty
 * ExportLogsServiceResponse (400 when a record was rejected). On `port` when given (a backend coming back where it
 * was), else on a free port.
 */
export async function startSink(port = 0): Promise<Sink> {
  const records: PipelineRecord[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const json = !(req.headers['content-type'] ?? '').includes('protobuf');
      const decoded = json ? decodeLogsJson(body.toString('utf8')) : decodeLogsProto(body);
      records.push(...decoded.records);
      // An empty ExportLogsServiceResponse is an empty body in protobuf and `{}` in JSON.
      res.writeHead(decoded.rejected.length === 0 ? 200 : 400, {
        'content-type': json ? 'application/json' : 'application/x-protobuf',
      });
      res.end(json ? '{}' : undefined);
    });
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  const bound = (server.address() as AddressInfo).port;
  return { server, url: `http://127.0.0.1:${bound}`, port: bound, records };
}

/** A running `egressguard run`. */
export interface RunningService {
  readonly child: ChildProcessWithoutNullStreams;
  /** Resolves when the child has exited. */
  readonly done: Promise<CliResult>;
  /**
   * The `otlp` receiver's logs URL, as the command printed its first listening line (for a receiver serving gRPC
   * alone, its gRPC address in the same form).
   */
  readonly url: string;
}

/**
 * Starts `egressguard run --config FILE`; resolves once it says where its `otlp` receiver listens. By default it
 * listens on a free loopback port (`--listen 127.0.0.1:0`); `listen: null` keeps the configuration's endpoint (set
 * through `env`). The caller owns the child.
 */
export async function startRun(
  configFile: string,
  options: { readonly env?: Record<string, string>; readonly listen?: string | null } = {},
): Promise<RunningService> {
  const listen = options.listen === undefined ? '127.0.0.1:0' : options.listen;
  const child = startCli(['run', '--config', configFile, ...(listen === null ? [] : ['--listen', listen])], {
    ...(options.env ? { env: options.env } : {}),
  });
  const done = collect(child);
  child.stdin.end();
  let seen = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer | string) => {
      seen += String(d);
      const m = /receiver otlp(?: \(grpc\))? listening on (\S+):(\d+)/.exec(seen);
      if (m) resolve(`http://${m[1]}:${m[2]}/v1/logs`);
    });
    child.once('exit', () => reject(new Error(`egressguard run exited early:\n${seen}`)));
  });
  return { child, done, url };
}
