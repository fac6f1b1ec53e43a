/**
 * `egressguard run` as a child process on a free port, and an OTLP/HTTP sink on 127.0.0.1 standing in for the
 * backend it exports to.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { decodeLogsJson, decodeLogsProto } from '@egressguard/otlp';
import type { PipelineRecord } from '@egressguard/schema';

import { collect, startCli } from './cli.ts';

/** An OTLP/HTTP backend (JSON or protobuf, by content type) that keeps every record it receives. */
export async function startSink(): Promise<{ server: Server; url: string; records: PipelineRecord[] }> {
  const records: PipelineRecord[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const proto = (req.headers['content-type'] ?? '').includes('protobuf');
      records.push(...(proto ? decodeLogsProto(body) : decodeLogsJson(body.toString('utf8'))).records);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, records };
}

/** Starts `egressguard run` on a free port; resolves once it says where it listens, with its /v1/logs URL. */
export async function startRun(configFile: string) {
  const child = startCli(['run', '--config', configFile, '--listen', '127.0.0.1:0']);
  const done = collect(child);
  child.stdin.end();
  let seen = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer | string) => {
      seen += String(d);
      const m = /receiver otlp listening on (\S+):(\d+)/.exec(seen);
      if (m) resolve(`http://${m[1]}:${m[2]}/v1/logs`);
    });
    child.once('exit', () => reject(new Error(`egressguard run exited early:\n${seen}`)));
  });
  return { child, done, url };
}
