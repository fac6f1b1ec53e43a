/**
 * `egressguard run` over OTLP/gRPC, end to end: the real command as a child process with `protocols.grpc` and the
 * `otlp` (gRPC) exporter, an OTLP/gRPC client sending to it and an OTLP/gRPC sink standing in for the backend; and
 * `OTEL_EXPORTER_OTLP_PROTOCOL` choosing the default configuration's exporter.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { ExportError, OtlpGrpcReceiver, createOtlpGrpcExporter, decodeLogsJson } from '@egressguard/otlp';
import { EventName, getInt, type PipelineRecord } from '@egressguard/schema';

import { collect, startCli } from '../support/cli.ts';
import { startRun } from '../support/run-service.ts';
import { connectionRequest } from '../support/otlp-json.ts';

const BASE_MS = Date.UTC(2025, 10, 30, 9, 0, 0);

function config(dir: string, sinkPort: number, endpoint = '127.0.0.1:0', name = 'egressguard'): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `receivers:
  otlp:
    protocols:
      grpc:
        endpoint: ${endpoint}
        auth:
          bearer_token: \${env:TOKEN}
processors:
  http_flow_aggregator:
exporters:
  otlp:
    endpoint: 127.0.0.1:${sinkPort}
    tls:
      insecure: true
    timeout: 5s
service:
  state:
    directory: ${join(dir, `${name}-state`)}
  pipelines:
    logs:
      receivers: [otlp]
      processors: [http_flow_aggregator]
      exporters: [otlp]
`,
  );
  return file;
}

describe('egressguard run over OTLP/gRPC', () => {
  let dir: string;
  const received: PipelineRecord[] = [];
  const sink = new OtlpGrpcReceiver({
    port: 0,
    onRecords: (records) => {
      received.push(...records);
      return Promise.resolve();
    },
  });
  let sinkPort = 0;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'egressguard-run-grpc-'));
    sinkPort = (await sink.start()).port;
  });
  after(async () => {
    await sink.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('receives gRPC (bearer token checked), runs the chain and exports over gRPC', async () => {
    const child = startCli(['run', '--config', config(dir, sinkPort)], { env: { TOKEN: 't0ken' } });
    const done = collect(child);
    child.stdin.end();
    let seen = '';
    const port = await new Promise<number>((resolve, reject) => {
      child.stderr.on('data', (d: Buffer | string) => {
        seen += String(d);
        const m = /receiver otlp \(grpc\) listening on 127\.0\.0\.1:(\d+)/.exec(seen);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', () => reject(new Error(`egressguard run exited early:\n${seen}`)));
    });

    const endpoint = `http://127.0.0.1:${port}`;
    const denied = createOtlpGrpcExporter({ endpoint, env: {} });
    await assert.rejects(
      denied.export(decodeLogsJson(Buffer.from(connectionRequest('web-1', 0, 1, BASE_MS))).records),
      (e: unknown) => e instanceof ExportError && e.kind === 'permanent' && /UNAUTHENTICATED/.test(e.message),
    );
    await denied.shutdown();

    const client = createOtlpGrpcExporter({ endpoint, headers: { authorization: 'Bearer t0ken' }, env: {} });
    for (let i = 0; i < 3; i++)
      await client.export(
        decodeLogsJson(Buffer.from(connectionRequest('web-1', i * 10, 10, BASE_MS))).records,
      );
    await client.shutdown();
    child.kill('SIGTERM');
    const result = await done;
    assert.equal(result.code, 0, result.stderr);

    const seqs = received
      .filter((r) => r.eventName === EventName.CONNECTION)
      .map((r) => getInt(r.attributes, 'test.seq'))
      .sort((a, b) => a! - b!);
    assert.deepEqual(
      seqs,
      Array.from({ length: 30 }, (_, i) => i),
      'every connection accepted over gRPC was exported over gRPC',
    );
    assert.ok(
      received.some((r) => r.eventName === EventName.HTTP_FLOW),
      'the chain ran: flows came out',
    );
  });

  it('loses nothing it acknowledged over gRPC when killed with SIGKILL and restarted on its state directory', async () => {
    // A fixed port, so that the restarted process listens where the client sends, as behind a Collector's
    // load-balancing exporter.
    const probe = createServer();
    await new Promise<void>((ok) => probe.listen(0, '127.0.0.1', ok));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((ok) => probe.close(() => ok()));
    const file = config(dir, sinkPort, `127.0.0.1:${port}`, 'killed');
    const from = received.length;
    const endpoint = `http://127.0.0.1:${port}`;
    const send = async (first: number, last: number) => {
      const client = createOtlpGrpcExporter({
        endpoint,
        headers: { authorization: 'Bearer t0ken' },
        env: {},
      });
      for (let i = first; i < last; i++)
        await client.export(
          decodeLogsJson(Buffer.from(connectionRequest('web-2', i * 10, 10, BASE_MS))).records,
        );
      await client.shutdown();
    };

    const first = await startRun(file, { env: { TOKEN: 't0ken' }, listen: null });
    await send(0, 5);
    // Killed right after its last OK: what it acknowledged is only in its write-ahead log, not yet exported.
    first.child.kill('SIGKILL');
    assert.equal((await first.done).signal, 'SIGKILL');

    const second = await startRun(file, { env: { TOKEN: 't0ken' }, listen: null });
    await send(5, 10);
    second.child.kill('SIGTERM');
    const result = await second.done;
    assert.equal(result.code, 0, result.stderr);

    const seqs = new Set(
      received
        .slice(from)
        .filter((r) => r.eventName === EventName.CONNECTION)
        .map((r) => getInt(r.attributes, 'test.seq')),
    );
    assert.deepEqual(
      [...seqs].sort((a, b) => a! - b!),
      Array.from({ length: 100 }, (_, i) => i),
      'every connection acknowledged before the kill or after the restart was exported (at least once)',
    );
  });

  it('OTEL_EXPORTER_OTLP_PROTOCOL=grpc makes the default configuration export with the otlp (gRPC) exporter', async () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' };
    const child = startCli(['validate', '--print-default'], { env });
    child.stdin.end();
    const result = await collect(child);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /\n {2}otlp:\n/);
    assert.match(result.stdout, /exporters: \[otlp\]/);

    const json = startCli(['validate', '--print-default'], {
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
        OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/json',
      },
    });
    json.stdin.end();
    const jsonResult = await collect(json);
    assert.match(jsonResult.stdout, /otlphttp:\n {4}encoding: json/);

    const bad = startCli(['validate', '--print-default'], {
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'thrift' },
    });
    bad.stdin.end();
    const badResult = await collect(bad);
    assert.notEqual(badResult.code, 0);
    assert.match(
      badResult.stderr,
      /OTEL_EXPORTER_OTLP_PROTOCOL=thrift: must be grpc, http\/protobuf or http\/json/,
    );
  });
});
