/**
 * `egressguard run` against a backend that is down, with the `otlphttp` exporter's default file queue: what was
 * accepted during the outage reaches the backend once it is back, also when `run` was stopped meanwhile (the queue
 * stays on disk under the state directory and the next start sends it). The real command as a child process, a
 * real backend on 127.0.0.1 that comes up on the port that refused connections before.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { EventName, getInt } from '@egressguard/schema';

import { connectionRequest } from '../support/otlp-json.ts';
import { startRun, startSink, type Sink } from '../support/run-service.ts';

const BASE_MS = Date.UTC(2025, 10, 30, 9, 0, 0);

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function until(what: string, condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function stopIfRunning(child: ChildProcess | undefined): void {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

function post(url: string, body: string) {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
}

/** The `test.seq` of the connection records a sink received, once each, sorted; and how many came twice. */
function received(sink: Sink): { seqs: number[]; duplicates: number } {
  const all = sink.records
    .filter((r) => r.eventName === EventName.CONNECTION)
    .map((r) => getInt(r.attributes, 'test.seq')!);
  const unique = [...new Set(all)].sort((a, b) => a - b);
  return { seqs: unique, duplicates: all.length - unique.length };
}

function writeConfig(dir: string, name: string, port: number): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    `receivers:
  otlp:
exporters:
  otlphttp:
    endpoint: http://127.0.0.1:${port}
    encoding: json
    timeout: 2s
    sending_queue:
      batch: { flush_timeout: 50ms }
    retry_on_failure: { initial_interval: 100ms, max_interval: 300ms }
service:
  state:
    directory: ${join(dir, `state-${name}`)}
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [otlphttp]
`,
  );
  return file;
}

describe('egressguard run during a backend outage (file queue)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'egressguard-run-outage-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps what it accepted while the backend is down and sends all of it once the backend is up', async () => {
    const port = await freePort();
    const run = await startRun(writeConfig(dir, 'live.yaml', port));
    let sink: Sink | undefined;
    try {
      for (let i = 0; i < 5; i++)
        assert.equal((await post(run.url, connectionRequest('web-1', i * 10, 10, BASE_MS))).status, 200);
      // Let the queue meet the refused connections before the backend comes up where they were refused.
      await new Promise((resolve) => setTimeout(resolve, 500));
      sink = await startSink(port);
      await until('every accepted record at the backend', () => received(sink!).seqs.length === 50);
      assert.deepEqual(
        received(sink).seqs,
        Array.from({ length: 50 }, (_, i) => i),
      );
      run.child.kill('SIGTERM');
      const result = await run.done;
      assert.equal(result.code, 0, result.stderr);
      const counters = JSON.parse(/stopped; (\{.*\})/.exec(result.stderr)![1]) as Record<
        string,
        { sent: number; retried: number; failed: number; queuedRecords: number }
      >;
      const c =
        counters.otlphttp ?? (counters as unknown as { exporters: typeof counters }).exporters.otlphttp;
      assert.ok(c.retried > 0, `the outage was retried: ${JSON.stringify(c)}`);
      assert.equal(c.failed, 0, JSON.stringify(c));
      assert.equal(c.queuedRecords, 0, JSON.stringify(c));
    } finally {
      stopIfRunning(run.child);
      sink?.server.close();
    }
  });

  it('stopped during the outage, leaves the queue on disk; the next start sends it', async () => {
    const port = await freePort();
    const file = writeConfig(dir, 'restart.yaml', port);
    const first = await startRun(file);
    try {
      for (let i = 0; i < 3; i++)
        assert.equal((await post(first.url, connectionRequest('web-2', i * 10, 10, BASE_MS))).status, 200);
      await new Promise((resolve) => setTimeout(resolve, 300));
      first.child.kill('SIGTERM');
      const result = await first.done;
      assert.equal(result.code, 0, result.stderr);
    } finally {
      stopIfRunning(first.child);
    }
    const queueDir = join(dir, 'state-restart.yaml', 'queues', 'otlphttp');
    assert.ok(existsSync(queueDir), 'the queue lives under the state directory');
    assert.ok(
      readdirSync(queueDir).some((f) => f.startsWith('segment-')),
      `segments left: ${readdirSync(queueDir).join(', ')}`,
    );

    const sink = await startSink(port);
    const second = await startRun(file);
    try {
      await until('the records of the first run at the backend', () => received(sink).seqs.length === 30);
      assert.deepEqual(
        received(sink).seqs,
        Array.from({ length: 30 }, (_, i) => i),
      );
    } finally {
      second.child.kill('SIGTERM');
      await second.done;
      stopIfRunning(second.child);
      sink.server.close();
    }
  });
});
