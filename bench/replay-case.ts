/**
 * One case of the root benchmark's replay comparison, run in its own process so that its peak memory is its own:
 *
 * - `codec`: the OTLP/JSON codec alone. Reads the file line by line exactly as the replay does (a read stream split
 *   into lines by `boundedLines`, with the replay's default bound), decodes each line with `decodeLogsJson`, encodes
 *   the records again with `encodeLogsJsonLine` and writes the bytes to `/dev/null`, as the replay writes its lines.
 *   No processors.
 * - `chain`: the CLI's replay (`replay()` from `@egressguard/cli`, the function behind `egressguard replay`) with the
 *   default configuration (`defaultConfigYaml`), no state directory, output to `/dev/null`: decode, the whole
 *   default chain, encode of everything that leaves it. Called as a library, so CLI start-up is not timed.
 *
 * Prints one line `BENCH_CASE {json}` on stdout: records in and out, wall and CPU time of the measured part, the
 * resident set size before it, the peak resident set size of the process (`maxRSS`, which includes Node's own), the
 * heap allocated during the measured part (`bench/allocation.ts`), the time in the codec's decode and encode calls and,
 * for the chain, each stage's time.
 *
 *   node --experimental-strip-types --conditions=egressguard-source bench/replay-case.ts codec|chain FILE
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';

import { type CodecTimings, OTLP_JSON_MAX_LINE_BYTES, replay } from '@egressguard/cli';
import { boundedLines, setErrorHandler, type StageTiming } from '@egressguard/core';
import { decodeLogsJson, encodeLogsJsonLine } from '@egressguard/otlp';
import { ProcessAttr, getString, hostName } from '@egressguard/schema';

import { type Allocation, AllocationMeter } from './allocation.ts';
import { defaultChainConfig } from './case-support.ts';

/** What one replay case measured. */
export interface ReplayCaseResult {
  readonly case: 'codec' | 'chain';
  readonly recordsIn: number;
  readonly recordsOut: number;
  readonly detections: number;
  /** Detections by host and executable (`host executable: count`), to show what the chain found in the input. */
  readonly detected: Readonly<Record<string, number>>;
  readonly reports: number;
  readonly wallMs: number;
  readonly cpuMs: number;
  /** Resident set size just before the measured part (Node, modules, configuration), bytes. */
  readonly rssStartBytes: number;
  /** Peak resident set size of the whole process, bytes. */
  readonly peakRssBytes: number;
  /** JavaScript heap allocated during the measured part, and the collections it caused. */
  readonly allocation: Allocation;
  /** The chain's stages (empty for the codec): each one's time, in chain order. */
  readonly stages: Readonly<Record<string, StageTiming>>;
  /** Time in `decodeLogsJson` and `encodeLogsJsonLine` (wall clock of the calls), as `replay()` reports it. */
  readonly codecTimings: CodecTimings;
}

const [mode, file] = process.argv.slice(2);
if ((mode !== 'codec' && mode !== 'chain') || file === undefined) {
  throw new Error('usage: replay-case.ts codec|chain FILE');
}

const output = createWriteStream('/dev/null');
await once(output, 'open');
let reports = 0;
setErrorHandler(() => {
  reports++;
});

type Counts = Pick<
  ReplayCaseResult,
  'recordsIn' | 'recordsOut' | 'detections' | 'detected' | 'stages' | 'codecTimings'
>;

async function codec(): Promise<Counts> {
  const stream = createReadStream(file);
  await once(stream, 'open');
  let records = 0;
  let decodeMs = 0;
  let encodeMs = 0;
  for await (const read of boundedLines(stream, OTLP_JSON_MAX_LINE_BYTES)) {
    if (!('text' in read)) throw new Error(`a line of ${read.tooLongBytes} bytes is past the replay's bound`);
    const line = read.text;
    if (line.trim() === '') continue;
    const decodeStart = performance.now();
    const decoded = decodeLogsJson(line);
    decodeMs += performance.now() - decodeStart;
    records += decoded.records.length;
    const encodeStart = performance.now();
    const encoded = encodeLogsJsonLine(decoded.records);
    encodeMs += performance.now() - encodeStart;
    if (!output.write(encoded)) await once(output, 'drain');
  }
  return {
    recordsIn: records,
    recordsOut: records,
    detections: 0,
    detected: {},
    stages: {},
    codecTimings: { decodeMs, encodeMs },
  };
}

// Parsed before timing: configuration loading is start-up, not throughput.
const config = defaultChainConfig();

async function chain(): Promise<Counts> {
  const result = await replay({ config, inputs: [file], format: 'otlp-json', output });
  const detected: Record<string, number> = {};
  for (const d of result.detections) {
    const key = `${hostName(d) ?? '?'} ${getString(d.attributes, ProcessAttr.EXECUTABLE_PATH) ?? '?'}`;
    detected[key] = (detected[key] ?? 0) + 1;
  }
  return {
    recordsIn: result.recordsIn,
    recordsOut: result.recordsOut,
    detections: result.detectionCount,
    detected,
    stages: Object.values(result.timings)[0] ?? {},
    codecTimings: result.codecTimings,
  };
}

globalThis.gc?.();
const rssStartBytes = process.memoryUsage().rss;
const cpuStart = process.cpuUsage();
const meter = new AllocationMeter();
const start = performance.now();
const counts = mode === 'codec' ? await codec() : await chain();
const wallMs = performance.now() - start;
const allocation = meter.stop();
const cpu = process.cpuUsage(cpuStart);
output.end();
await once(output, 'finish');

const result: ReplayCaseResult = {
  case: mode,
  ...counts,
  reports,
  wallMs,
  cpuMs: (cpu.user + cpu.system) / 1000,
  rssStartBytes,
  // maxRSS is in kibibytes.
  peakRssBytes: process.resourceUsage().maxRSS * 1024,
  allocation,
};
console.log(`BENCH_CASE ${JSON.stringify(result)}`);
