/**
 * `egressguard run` when what it depends on fails: a backend that hangs and then comes back, a state directory that
 * cannot be written or read. The real command as a child process, a real OTLP/HTTP backend on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { decodeLogsJson, estimateRecordBytes } from '@egressguard/otlp';
import { getInt } from '@egressguard/schema';

import { runCli } from '../support/cli.ts';
import { connectionRequest } from '../support/otlp-json.ts';
import { startRun } from '../support/run-service.ts';

const BASE_MS = Date.UTC(2025, 10, 30, 9, 0, 0);

function post(url: string, body: string) {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
}

async function until(what: string, condition: () => boolean, timeoutMs = 4000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Kills a child a failed assertion left running, so that the test run ends. */
function stopIfRunning(run: { child: ChildProcess } | undefined): void {
  if (run && run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
}

function writeConfig(dir: string, name: string, state: string, exporter: string): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    `receivers:
  otlp:
processors:
  http_flow_aggregator:
exporters:
${exporter}
service:
  state:
    directory: ${state}
    checkpoint_interval_ms: 100
  pipelines:
    logs:
      receivers: [otlp]
      processors: [http_flow_aggregator]
      exporters: [${exporter.trim().split(':')[0]}]
`,
  );
  return file;
}

describe('egressguard run when things fail', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'egressguard-run-failures-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a backend that hangs: counts and reports failed exports naming the exporter, answers 503 when full, recovers', async () => {
    // The backend hangs while down (each export lasts until the exporter's timeout) and answers 200 once up.
    let up = false;
    const held: ServerResponse[] = [];
    const seqs: number[] = [];
    const backend = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('error', () => undefined);
      req.on('end', () => {
        if (!up) {
          held.push(res);
          return;
        }
        for (const r of decodeLogsJson(Buffer.concat(chunks)).records)
          seqs.push(getInt(r.attributes, 'test.seq')!);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    backend.listen(0, '127.0.0.1');
    await once(backend, 'listening');
    const backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
    const ten = estimateRecordBytes(
      decodeLogsJson(Buffer.from(connectionRequest('web-1', 0, 10, BASE_MS))).records,
    );
    let run: Awaited<ReturnType<typeof startRun>> | undefined;
    try {
      const file = writeConfig(
        dir,
        'hang.yaml',
        join(dir, 'state-hang'),
        `  otlphttp:\n    endpoint: ${backendUrl}\n    encoding: json\n    timeout: 400ms\n` +
          // In memory, room for two 5-record requests but not three; a batch is given up after 1 s of retries.
          `    sending_queue:\n      storage: memory\n      queue_size_bytes: ${Math.ceil(ten * 1.3)}\n` +
          '      batch: { max_records: 5, flush_timeout: 10ms }\n' +
          '    retry_on_failure: { initial_interval: 100ms, max_interval: 200ms, max_elapsed_time: 1s }',
      );
      run = await startRun(file);
      let stderr = '';
      run.child.stderr.on('data', (d: Buffer | string) => (stderr += String(d)));

      assert.equal((await post(run.url, connectionRequest('web-1', 0, 5, BASE_MS))).status, 200);
      assert.equal((await post(run.url, connectionRequest('web-1', 5, 5, BASE_MS))).status, 200);
      const full = await post(run.url, connectionRequest('web-1', 10, 5, BASE_MS));
      assert.equal(full.status, 503, 'the queue is full while the backend hangs');
      assert.ok(Number(full.headers.get('retry-after')) >= 1, 'with Retry-After');

      await until('a failed export to be reported', () => /export_failed/.test(stderr));
      assert.match(
        stderr,
        /egressguard: exporter otlphttp: export_failed: 5 records could not be exported/,
        'the report names the exporter',
      );

      up = true;
      for (const res of held) res.writeHead(503).end();
      const again = await post(run.url, connectionRequest('web-1', 20, 5, BASE_MS));
      assert.equal(again.status, 200, 'accepting again');
      await until('the backend to receive the records sent after it came back', () =>
        [20, 21, 22, 23, 24].every((s) => seqs.includes(s)),
      );

      run.child.kill('SIGTERM');
      const result = await run.done;
      assert.equal(result.code, 0, result.stderr);
      const stopped = /stopped; (\{.*\})/.exec(result.stderr);
      assert.ok(stopped, result.stderr);
      const counters = (
        JSON.parse(stopped[1]) as Record<string, { sent: number; failed: number; queuedRecords: number }>
      ).otlphttp;
      // Every accepted record is accounted for: sent, or counted as failed (and reported); none vanished silently.
      assert.ok(counters.failed >= 5, `failed: ${JSON.stringify(counters)}`);
      assert.equal(counters.sent + counters.failed >= 15, true, JSON.stringify(counters));
      assert.equal(counters.queuedRecords, 0, JSON.stringify(counters));
    } finally {
      stopIfRunning(run);
      for (const res of held) res.destroy();
      backend.close();
    }
  });

  it('a state directory that becomes unwritable: reports failed checkpoints and log writes naming it, refuses with 503, exits 1', async (t) => {
    const state = join(dir, 'state-lost');
    const out = join(dir, 'lost.jsonl');
    const run = await startRun(writeConfig(dir, 'lost.yaml', state, `  file:\n    path: ${out}`));
    t.after(() => stopIfRunning(run));
    let stderr = '';
    run.child.stderr.on('data', (d: Buffer | string) => (stderr += String(d)));
    // A file where the directory was: as a full or read-only disk, every save now fails (root ignores modes).
    // The directory is moved aside in one step: removing it file by file races the service's own writes into it.
    renameSync(state, `${state}.gone`);
    writeFileSync(state, 'not a directory');
    await until('a failed checkpoint to be reported', () => /checkpoint_write_failed/.test(stderr));
    assert.match(stderr, new RegExp(`service: checkpoint_write_failed: state not saved to ${state}: `));
    // A request the log cannot keep is not acknowledged: 503 keeps it in the client, which retries.
    for (let i = 0; i < 2; i++) {
      const res = await post(run.url, connectionRequest('web-2', 0, 3, BASE_MS));
      assert.equal(res.status, 503, 'refused, not acknowledged, and the server still answers');
      assert.ok(Number(res.headers.get('retry-after')) >= 1);
    }
    await until('the log failure to be reported', () => /log_write_failed/.test(stderr));
    assert.match(
      stderr,
      new RegExp(
        `service: log_write_failed: requests are refused until a restart: the write-ahead log in ${state}/wal cannot be written`,
      ),
    );

    run.child.kill('SIGTERM');
    const result = await run.done;
    assert.equal(result.code, 1, 'a shutdown whose state save failed does not exit 0');
    assert.match(result.stderr, new RegExp(`state was not saved to ${state} at shutdown`));
  });

  it('a file where the state directory should be stops the start, naming the directory', async () => {
    const state = join(dir, 'state-is-a-file');
    writeFileSync(state, 'x');
    const file = writeConfig(dir, 'file.yaml', state, '  stdout:');
    const r = await runCli(['run', '--config', file, '--listen', '127.0.0.1:0']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `state directory ${state} \\(service\\.state\\.directory\\) cannot be used: a file is in the way`,
      ),
    );
  });

  it('a checkpoint or state file that cannot be read stops the start, naming the file', async () => {
    const state = join(dir, 'state-corrupt');
    mkdirSync(state);
    const file = writeConfig(dir, 'corrupt.yaml', state, '  stdout:');
    // A snapshot file of an earlier version (one per pipeline) is still read when there is no checkpoint.
    const snapshot = join(state, 'logs.json');
    const cases: [string, RegExp][] = [
      ['{"version":1,"stages":', /is not valid JSON/],
      ['null', /is not a pipeline snapshot/],
      ['[1]', /is not a pipeline snapshot/],
      ['{"version":7,"stages":{}}', /has unknown version 7/],
    ];
    for (const [content, problem] of cases) {
      writeFileSync(snapshot, content);
      const r = await runCli(['run', '--config', file, '--listen', '127.0.0.1:0']);
      assert.equal(r.code, 1, `${content}: ${r.stderr}`);
      assert.ok(r.stderr.includes(`state file ${snapshot} `), `${content}: ${r.stderr}`);
      assert.match(r.stderr, problem, content);
    }
    rmSync(snapshot);
    const checkpoint = join(state, 'checkpoint.json');
    const checkpointCases: [string, RegExp][] = [
      ['{"version":1,"offset":', /is not valid JSON/],
      ['[1]', /is not a checkpoint/],
      ['{"version":2,"offset":0,"state":{}}', /has unknown version 2/],
      ['{"version":1,"offset":-1,"state":{}}', /has no valid "offset"/],
      [
        '{"version":1,"offset":0,"written":"","state":{"logs":{"version":1,"stages":{"http_flow_aggregator":{"version":99}}}}}',
        /cannot restore pipeline logs from/,
      ],
    ];
    for (const [content, problem] of checkpointCases) {
      writeFileSync(checkpoint, content);
      const r = await runCli(['run', '--config', file, '--listen', '127.0.0.1:0']);
      assert.equal(r.code, 1, `${content}: ${r.stderr}`);
      assert.ok(r.stderr.includes(checkpoint), `${content}: ${r.stderr}`);
      assert.match(r.stderr, problem, content);
    }
  });
});
