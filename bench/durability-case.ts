/**
 * The cost of durability in `egressguard run`, in a process of its own: the first `LINES` requests of the replay
 * file (1,000 records each), encoded as OTLP/protobuf, are posted by `CLIENTS` concurrent clients to the `run`
 * service (in process: `Service` from `@egressguard/cli`, the default configuration and chain, output to a null
 * stream through an in-memory queue), once with the write-ahead log off (a request is answered once its records
 * went through the chain into the queue, no checkpoints but the one at shutdown) and once with it on (the default:
 * answered once logged and fdatasynced with group commit, checkpoints every 5 s). Each round times both, the order
 * alternating; a round's time runs from the first request to the end of `stop()` (everything processed and
 * exported). The ratio is the median of the per-round throughput ratios with/without. Prints one line
 * `BENCH_CASE {json}` on stdout.
 *
 *   node --experimental-strip-types --conditions=egressguard-source bench/durability-case.ts FILE [LINES] [ROUNDS]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';

import { createProcessorRegistry, defaultConfigYaml, parseConfigText, Service } from '@egressguard/cli';
import { setErrorHandler } from '@egressguard/core';
import { decodeLogsJson, encodeLogsProto } from '@egressguard/otlp';

import { readFirstLines } from './case-support.ts';

/** What the case prints. */
export interface DurabilityCaseResult {
  readonly requests: number;
  readonly records: number;
  readonly clients: number;
  /** Records/s per round, without and with the log. */
  readonly rounds: readonly { readonly without: number; readonly with: number }[];
  /** Median over rounds of (with / without) throughput. */
  readonly ratio: number;
  /** Appends and disk flushes of the last round with the log: group commit makes flushes fewer than appends. */
  readonly appends: number;
  readonly syncs: number;
}

const [file, linesArg, roundsArg] = process.argv.slice(2);
if (!file) throw new Error('usage: durability-case.ts FILE [LINES] [ROUNDS]');
const LINES = Number(linesArg ?? 100);
const ROUNDS = Number(roundsArg ?? 3);
const CLIENTS = 8;

setErrorHandler(() => undefined);

const bodies: Buffer[] = [];
let records = 0;
for (const line of await readFirstLines(file, LINES)) {
  const decoded = decodeLogsJson(line);
  records += decoded.records.length;
  bodies.push(Buffer.from(encodeLogsProto(decoded.records)));
}

function post(port: number, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/v1/logs',
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Posts every body (retrying a 503 after a pause), `CLIENTS` at a time; returns records/s to the end of stop(). */
async function timeOne(withLog: boolean): Promise<{ rate: number; appends: number; syncs: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'egressguard-bench-durability-'));
  const yaml = defaultConfigYaml({}).replace(
    '    directory: .egressguard/state',
    [
      `    directory: ${join(dir, 'state')}`,
      withLog ? '    checkpoint_interval_ms: 5000' : '    checkpoint_interval_ms: 3600000',
      '    write_ahead_log:',
      `      enabled: ${withLog}`,
    ].join('\n'),
  );
  const config = parseConfigText(yaml, {
    registry: createProcessorRegistry(),
    env: {},
    cwd: dir,
    requireEnds: true,
  });
  const sink = new Writable({ write: (_chunk, _enc, done) => done() });
  const service = new Service(config, {
    listen: '127.0.0.1:0',
    streams: { stdout: sink },
    log: () => undefined,
  });
  const [bound] = await service.start();
  const start = performance.now();
  let next = 0;
  const client = async () => {
    while (next < bodies.length) {
      const body = bodies[next++];
      while ((await post(bound.port, body)) !== 200) await new Promise((r) => setTimeout(r, 20));
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, client));
  await service.stop();
  const seconds = (performance.now() - start) / 1000;
  const log = service.counters().durability.log;
  rmSync(dir, { recursive: true, force: true });
  return { rate: records / seconds, appends: log?.appended ?? 0, syncs: log?.syncs ?? 0 };
}

// Warm-up: the chain's code paths compiled before either mode is timed.
await timeOne(false);
const rounds: { without: number; with: number }[] = [];
let last = { appends: 0, syncs: 0 };
for (let r = 0; r < ROUNDS; r++) {
  const order = r % 2 === 0 ? [false, true] : [true, false];
  const round = { without: 0, with: 0 };
  for (const withLog of order) {
    const t = await timeOne(withLog);
    if (withLog) {
      round.with = t.rate;
      last = t;
    } else {
      round.without = t.rate;
    }
  }
  rounds.push(round);
}
const ratios = rounds.map((r) => r.with / r.without).sort((a, b) => a - b);
const result: DurabilityCaseResult = {
  requests: bodies.length,
  records,
  clients: CLIENTS,
  rounds,
  ratio: ratios[Math.floor(ratios.length / 2)],
  appends: last.appends,
  syncs: last.syncs,
};
process.stdout.write(`BENCH_CASE ${JSON.stringify(result)}\n`);
