/**
 * `egressguard run` end to end: the real command as a child process, real sockets on 127.0.0.1, a real OTLP/HTTP
 * sink standing in for the backend.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { decodeLogsJson, estimateRecordBytes } from '@egressguard/otlp';
import { EventName, FlowAttr, getInt } from '@egressguard/schema';

import { startRun, startSink } from '../support/run-service.ts';
import { connectionRequest } from '../support/otlp-json.ts';

const BASE_MS = Date.UTC(2025, 10, 30, 9, 0, 0);

function config(dir: string, sinkUrl: string, sendingQueue: string, state = ''): string {
  const file = join(dir, 'egressguard.yaml');
  writeFileSync(
    file,
    `receivers:
  otlp:
processors:
  http_flow_aggregator:
exporters:
  otlphttp:
    endpoint: ${sinkUrl}
    encoding: json
    timeout: 5s
    sending_queue:
${sendingQueue}
service:
  state:
    directory: ${join(dir, 'state')}
${state}  pipelines:
    logs:
      receivers: [otlp]
      processors: [http_flow_aggregator]
      exporters: [otlphttp]
`,
  );
  return file;
}

async function until(what: string, condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function post(url: string, body: string) {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
}

describe('egressguard run', () => {
  let dir: string;
  let sink: Awaited<ReturnType<typeof startSink>>;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'egressguard-run-'));
    sink = await startSink();
  });
  after(() => {
    sink.server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('exports everything it accepted when SIGTERM arrives, open windows included, and saves state', async () => {
    sink.records.length = 0;
    // A long flush interval: nothing leaves the queue before SIGTERM, so the test proves the shutdown drain.
    const file = config(dir, sink.url, '      batch: { max_records: 1000, flush_timeout: 10m }');
    const run = await startRun(file);
    for (let i = 0; i < 3; i++) {
      const res = await post(run.url, connectionRequest('web-1', i * 10, 10, BASE_MS));
      assert.equal(res.status, 200, await res.text());
    }
    assert.equal(sink.records.length, 0, 'nothing is exported before the flush interval or shutdown');
    run.child.kill('SIGTERM');
    const result = await run.done;
    assert.equal(result.code, 0, result.stderr);

    const connections = sink.records.filter((r) => r.eventName === EventName.CONNECTION);
    const seqs = connections.map((r) => getInt(r.attributes, 'test.seq')).sort((a, b) => a! - b!);
    assert.deepEqual(
      seqs,
      Array.from({ length: 30 }, (_, i) => i),
      'every accepted connection record reaches the sink once',
    );
    const flows = sink.records.filter((r) => r.eventName === EventName.HTTP_FLOW);
    assert.ok(flows.length > 0, 'the open window is flushed at shutdown and exported');
    const counted = flows.reduce((n, f) => Math.max(n, getInt(f.attributes, FlowAttr.CONNECTIONS) ?? 0), 0);
    assert.equal(counted, 30, 'the flushed window counts every connection');
    assert.equal(
      connections[0].resource.attributes['host.name'],
      'web-1',
      'the incoming resource is preserved',
    );

    const checkpoint = JSON.parse(readFileSync(join(dir, 'state', 'checkpoint.json'), 'utf8')) as {
      version: number;
      offset: number;
      state: Record<string, { version: number; stages: Record<string, unknown> }>;
    };
    assert.equal(checkpoint.version, 1);
    assert.equal(checkpoint.offset, 3, 'the checkpoint at shutdown covers the three logged requests');
    assert.ok(checkpoint.state.logs.stages.http_flow_aggregator, 'the stateful stage is saved at shutdown');
  });

  it('answers 503 with Retry-After when the export queue is full, and still loses nothing accepted', async () => {
    sink.records.length = 0;
    // Room for the first request's 8 records (their estimated size, with a margin) but not for 5 more.
    const eight = estimateRecordBytes(
      decodeLogsJson(Buffer.from(connectionRequest('web-2', 0, 8, BASE_MS))).records,
    );
    const file = config(
      dir,
      sink.url,
      `      queue_size_bytes: ${Math.ceil(eight * 1.1) + 100}\n      batch: { max_records: 1000, flush_timeout: 10m }`,
    );
    const run = await startRun(file);
    const first = await post(run.url, connectionRequest('web-2', 0, 8, BASE_MS));
    assert.equal(first.status, 200);
    // The chain takes logged requests in the background: until the first one's records are in the queue, the queue
    // has room and a request is accepted (into the log). Each try carries new records; once the queue is full the
    // answer is 503.
    const accepted = Array.from({ length: 8 }, (_, i) => i);
    let refused: Response | undefined;
    for (let seq = 8; seq < 8 + 5 * 40 && !refused; seq += 5) {
      const res = await post(run.url, connectionRequest('web-2', seq, 5, BASE_MS));
      if (res.status === 200) accepted.push(...Array.from({ length: 5 }, (_, i) => seq + i));
      else refused = res;
      await res.arrayBuffer();
    }
    assert.equal(refused?.status, 503, 'a batch the queue cannot take is refused');
    assert.ok(Number(refused.headers.get('retry-after')) >= 1, 'with Retry-After');
    run.child.kill('SIGTERM');
    const result = await run.done;
    assert.equal(result.code, 0, result.stderr);
    const seqs = sink.records
      .filter((r) => r.eventName === EventName.CONNECTION)
      .map((r) => getInt(r.attributes, 'test.seq'))
      .sort((a, b) => a! - b!);
    assert.deepEqual(seqs, accepted, 'every accepted request is exported, the refused one is not');
  });

  it('after SIGKILL restores the checkpoint and replays the log: no acknowledged record lost, the window whole', async () => {
    sink.records.length = 0;
    const state = join(dir, 'state');
    rmSync(state, { recursive: true, force: true });
    const file = config(
      dir,
      sink.url,
      '      batch: { max_records: 1000, flush_timeout: 50ms }',
      '    checkpoint_interval_ms: 100\n',
    );
    const first = await startRun(file);
    for (let i = 0; i < 3; i++) {
      const res = await post(first.url, connectionRequest('web-3', i * 10, 10, BASE_MS));
      assert.equal(res.status, 200, await res.text());
    }
    const checkpoint = join(state, 'checkpoint.json');
    await until('a checkpoint covering the first requests', () => {
      try {
        return (JSON.parse(readFileSync(checkpoint, 'utf8')) as { offset: number }).offset >= 1;
      } catch {
        return false;
      }
    });
    for (let i = 3; i < 5; i++) {
      const res = await post(first.url, connectionRequest('web-3', i * 10, 10, BASE_MS));
      assert.equal(res.status, 200, await res.text());
    }
    first.child.kill('SIGKILL');
    await first.done;

    const second = await startRun(file);
    second.child.kill('SIGTERM');
    const result = await second.done;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /state restored from .*checkpoint\.json \(log offset \d+/);
    const seqs = new Set(
      sink.records
        .filter((r) => r.eventName === EventName.CONNECTION)
        .map((r) => getInt(r.attributes, 'test.seq')),
    );
    assert.deepEqual(
      [...seqs].sort((a, b) => a! - b!),
      Array.from({ length: 50 }, (_, i) => i),
      'every acknowledged record reaches the sink (some twice: at least once)',
    );
    const flows = sink.records.filter((r) => r.eventName === EventName.HTTP_FLOW);
    const counted = flows.reduce((n, f) => Math.max(n, getInt(f.attributes, FlowAttr.CONNECTIONS) ?? 0), 0);
    assert.equal(
      counted,
      50,
      'the window restored from the checkpoint plus the replayed log counts every connection',
    );
  });
});
