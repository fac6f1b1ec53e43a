/**
 * Playing the Collector's part around a real `egressguard run`: the child process on loopback ports, a results
 * receiver (the Collector's otlp receiver) that keeps what egressguard exports, and the records the filelog receiver
 * makes of raw log lines, sent with the OpenTelemetry OTLP/protobuf exporter. Used by the tests of both Collector
 * examples.
 */
import assert from 'node:assert/strict';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

import { decodeLogsJson, decodeLogsProto } from '@egressguard/otlp';
import { ResourceAttr, type PipelineRecord } from '@egressguard/schema';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';

import { collect, startCli, type CliResult } from '../../../../packages/cli/test/support/cli.ts';

/** A running `egressguard run`. */
export interface RunningEgressguard {
  readonly child: ChildProcessWithoutNullStreams;
  /** The receiver's logs URL, as printed on start. */
  readonly url: string;
  /** Resolves when the child has exited. */
  readonly done: Promise<CliResult>;
}

/**
 * Starts `egressguard run --config FILE` with the given environment; resolves once it prints where its `otlp`
 * receiver listens. The caller owns the child.
 */
export async function startEgressguard(
  configFile: string,
  env: Record<string, string>,
): Promise<RunningEgressguard> {
  const child = startCli(['run', '--config', configFile], { env });
  child.stdin.end();
  const done = collect(child);
  let stderr = '';
  const url = await new Promise<string>((resolveUrl, reject) => {
    child.stderr.on('data', (d: Buffer | string) => {
      stderr += String(d);
      const m = /receiver otlp listening on (\S+):(\d+)/.exec(stderr);
      if (m) resolveUrl(`http://${m[1]}:${m[2]}/v1/logs`);
    });
    child.once('exit', () => reject(new Error(`egressguard run exited early:\n${stderr}`)));
  });
  return { child, url, done };
}

/** SIGTERM (egressguard flushes open windows and exports its queue), then the exit code must be 0. */
export async function stopEgressguard(run: RunningEgressguard): Promise<void> {
  run.child.kill('SIGTERM');
  const exit = await run.done;
  assert.equal(exit.code, 0, exit.stderr);
}

/** An OTLP/HTTP logs receiver on 127.0.0.1 that keeps every record it receives. */
export interface ResultsReceiver {
  readonly server: Server;
  readonly port: number;
  readonly records: PipelineRecord[];
}

/** Starts a {@link ResultsReceiver}: decodes protobuf or JSON by content type, gzip by content encoding. */
export async function startResultsReceiver(): Promise<ResultsReceiver> {
  const records: PipelineRecord[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const json = (req.headers['content-type'] ?? '').startsWith('application/json');
      const decoded = json ? decodeLogsJson(body.toString('utf8')) : decodeLogsProto(body);
      records.push(...decoded.records);
      const ok = decoded.rejected.length === 0;
      // An empty ExportLogsServiceResponse is an empty body in protobuf and `{}` in JSON.
      res.writeHead(ok ? 200 : 400, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
      res.end(json ? '{}' : undefined);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port, records };
}

/**
 * What the filelog receiver (no operators, `include_file_name: true`) followed by the resourcedetection processor
 * makes of raw lines: one record per line, the line as body, `log.file.name`, no timestamp (normalize reads the
 * sensor's own), the host on the resource, a scope without a name.
 */
export function fileLogRecords(
  lines: readonly string[],
  host: string,
  fileName: string,
): ReadableLogRecord[] {
  const resource = resourceFromAttributes({ [ResourceAttr.HOST_NAME]: host, 'os.type': 'linux' });
  const scope = { name: '' };
  const observedMs = Date.now();
  return lines.map((line) => ({
    hrTime: [0, 0],
    hrTimeObserved: [Math.floor(observedMs / 1000), (observedMs % 1000) * 1e6],
    body: line,
    attributes: { 'log.file.name': fileName },
    droppedAttributesCount: 0,
    resource,
    instrumentationScope: scope,
  }));
}

/**
 * Sends records as the Collector's `otlphttp` exporter with `encoding: proto` and `compression: gzip` does, in
 * batches of `batchSize`; each batch must be accepted.
 */
export async function sendAsCollector(
  url: string,
  records: ReadableLogRecord[],
  batchSize: number,
): Promise<void> {
  const exporter = new OTLPLogExporter({ url, compression: CompressionAlgorithm.GZIP });
  try {
    for (let i = 0; i < records.length; i += batchSize) {
      const result = await new Promise<{ code: ExportResultCode; error?: Error }>((resolve) =>
        exporter.export(records.slice(i, i + batchSize), resolve),
      );
      assert.equal(result.code, ExportResultCode.SUCCESS, String(result.error));
    }
  } finally {
    await exporter.shutdown();
  }
}
