/**
 * Replay throughput: OTLP JSON lines through an empty chain and through the default chain, as ratios against the
 * OTLP/JSON codec alone (decode every line, encode it again) measured in the same run on the same input.
 *
 * Run: `npm run bench -w @egressguard/cli` (optional argument: connection records, default 20000).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';

import { setErrorHandler } from '@egressguard/core';
import { decodeLogsJson, encodeLogsJson } from '@egressguard/otlp';

import { defaultConfigYaml } from '../src/config/default-config.ts';
import { parseConfigText } from '../src/config/load-config.ts';
import { createProcessorRegistry } from '../src/processor-registry.ts';
import { replay } from '../src/runtime/replay.ts';

const RECORDS = Number(process.argv[2] ?? 20_000);
const PER_LINE = 100;
const BASE_MS = Date.UTC(2025, 10, 30, 0, 0, 0);
const EXECUTABLES = [
  '/usr/bin/curl',
  '/usr/lib/apt/methods/http',
  '/opt/agent-2.1.0/bin/agent',
  '/tmp/.x/kworkerd',
];

function attr(key: string, value: string | number) {
  return { key, value: typeof value === 'string' ? { stringValue: value } : { intValue: String(value) } };
}

/** OTLP JSON lines of connection records from 8 hosts and 4 executables, one a second per host. */
function input(): string {
  const lines: string[] = [];
  for (let first = 0; first < RECORDS; first += PER_LINE) {
    const n = Math.min(PER_LINE, RECORDS - first);
    const host = `host-${(first / PER_LINE) % 8}`;
    const logRecords = Array.from({ length: n }, (_, i) => {
      const seq = first + i;
      const t = `${BigInt(BASE_MS + seq * 125) * 1_000_000n}`;
      return {
        timeUnixNano: t,
        observedTimeUnixNano: t,
        eventName: 'egressguard.connection',
        attributes: [
          attr('process.pid', 1000 + (seq % 4)),
          attr('process.executable.path', EXECUTABLES[seq % 4]),
          attr('destination.address', `203.0.113.${seq % 50}`),
          attr('destination.port', seq % 3 === 0 ? 443 : 80),
          attr('egressguard.connection.bytes_sent', 600 + (seq % 700)),
          attr('egressguard.connection.bytes_received', seq % 4 === 3 ? 40 : 20_000 + (seq % 9000)),
          attr('egressguard.connection.outcome', 'completed'),
          attr('egressguard.source.format', 'bench'),
        ],
      };
    });
    lines.push(
      JSON.stringify({
        resourceLogs: [
          {
            resource: { attributes: [attr('host.name', host)] },
            scopeLogs: [{ scope: { name: 'bench' }, logRecords }],
          },
        ],
      }),
    );
  }
  return `${lines.join('\n')}\n`;
}

class NullSink extends Writable {
  bytes = 0;
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.bytes += chunk.length;
    done();
  }
}

async function time(run: () => Promise<void> | void): Promise<number> {
  const start = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const dir = mkdtempSync(join(tmpdir(), 'egressguard-bench-'));
try {
  const file = join(dir, 'input.jsonl');
  writeFileSync(file, input());
  setErrorHandler(() => undefined);
  const registry = createProcessorRegistry();
  const empty = parseConfigText('service:\n  pipelines:\n    logs: {}\n', {
    registry,
    env: {},
    requireEnds: false,
  });
  const full = parseConfigText(defaultConfigYaml({}), { registry, env: {}, requireEnds: false });

  const codec = () =>
    time(() => {
      const sink = new NullSink();
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (line) sink.write(`${encodeLogsJson(decodeLogsJson(line).records)}\n`);
      }
    });
  const through = (config: typeof empty) => () =>
    time(async () => {
      await replay({ config, inputs: [file], format: 'otlp-json', output: new NullSink() });
    });

  const cases: [string, () => Promise<number>][] = [
    ['codec only (baseline)', codec],
    ['replay, empty chain', through(empty)],
    ['replay, default chain', through(full)],
  ];
  // One warm-up round, then the median of three.
  const results = new Map<string, number[]>();
  for (let round = 0; round < 4; round++) {
    for (const [name, run] of cases) {
      const ms = await run();
      if (round > 0) results.set(name, [...(results.get(name) ?? []), ms]);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const baseline = median(results.get(cases[0][0])!);
  console.log(`replay throughput, ${RECORDS} connection records (median of 3 after a warm-up)`);
  for (const [name] of cases) {
    const ms = median(results.get(name)!);
    console.log(
      `${name.padEnd(24)} ${ms.toFixed(0).padStart(6)} ms  ${Math.round((RECORDS / ms) * 1000)
        .toLocaleString('en-US')
        .padStart(9)} records/s  ${(ms / baseline).toFixed(2)}x baseline`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
