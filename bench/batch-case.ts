/**
 * The root benchmark's 1,000-record-request figures, in a process of their own: the first `LINES` requests of the
 * replay file (1,000 records each), as OTLP/JSON (the file's lines) and as OTLP/protobuf (the same records encoded
 * by `encodeLogsProto`), through
 *
 * - `decodeLogsProto` (ours) and, as the baseline, protobufjs reflection decoding of the same bytes converted to
 *   records (`decodeLogsProtoReflection`, the otlp package's own reference decoder), plus `Type.decode` alone;
 * - `decodeLogsJson`;
 * - the default chain, one 1,000-record batch at a time (`buildPipeline` from `@egressguard/cli` on the default
 *   configuration; each pass is a fresh pipeline over fresh records, flushed at the end);
 * - `encodeLogsProto` and `encodeLogsJson`.
 *
 * Each figure is the median of `ROUNDS` interleaved rounds of `BENCH_MS` milliseconds (after a warm-up), so that
 * machine noise hits every case alike. Prints one line `BENCH_CASE {json}` on stdout.
 *
 *   BENCH_MS=1000 node --experimental-strip-types --conditions=egressguard-source bench/batch-case.ts FILE [LINES]
 */
import { buildPipeline } from '@egressguard/cli';
import { setErrorHandler, type StageTiming } from '@egressguard/core';
import { settledMemoryUsage } from '@egressguard/core/testing';
import { decodeLogsJson, decodeLogsProto, encodeLogsJson, encodeLogsProto } from '@egressguard/otlp';
import type { PipelineRecord } from '@egressguard/schema';
import protobuf from 'protobufjs';

// The otlp package's reference decoder and schema are internal (not exported): imported by path, as its own
// bench does, so that the baseline is the one its tests check the fast decoder against.
import { OTLP_LOGS_DESCRIPTOR } from '../packages/otlp/src/internal/otlp-logs-descriptor.ts';
import { decodeLogsProtoReflection } from '../packages/otlp/src/internal/reflection-decoder.ts';

import { AllocationSampler, type AllocationSites } from './allocation-sites.ts';
import { AllocationMeter } from './allocation.ts';
import { defaultChainConfig, median, readFirstLines } from './case-support.ts';

/** One 1,000-record-request figure. */
export interface BatchFigure {
  readonly name: string;
  readonly recordsPerSecond: number;
  /** Every round's records/s, in order. */
  readonly rounds: readonly number[];
}

/** What the batch case measured. */
export interface BatchCaseResult {
  readonly requests: number;
  readonly recordsPerRequest: number;
  readonly protoBytesPerRequest: number;
  readonly jsonBytesPerRequest: number;
  readonly benchMs: number;
  readonly figures: readonly BatchFigure[];
  readonly chainRecordsOut: number;
  readonly chainReports: number;
  /** The chain's stages over every timed pass: time, calls and records of each, in chain order. */
  readonly chainStages: Readonly<Record<string, StageTiming>>;
  /** JavaScript heap allocated per record: by the chain (timed passes) and by `decodeLogsProto` (one pass). */
  readonly allocatedBytesPerRecord: { readonly chain: number; readonly decodeLogsProto: number };
  /**
   * What a default chain holds once built, before its first record (mean of five, after a forced collection): heap
   * and array-buffer bytes. Its bounds are limits, not room taken up front. `undefined` without `--expose-gc`.
   */
  readonly emptyChainBytes: { readonly heap: number; readonly arrayBuffers: number } | undefined;
  /**
   * With `BENCH_ALLOC_SITES=1` (the root bench's `--alloc-sites`): where the chain allocates, sampled over
   * {@link ALLOCATION_PASSES} passes apart from the timed ones, in bytes per record (see `allocation-sites.ts`).
   */
  readonly allocationSites: AllocationSites | undefined;
}

const file = process.argv[2];
const LINES = Number(process.argv[3] ?? 50);
const BENCH_MS = Number(process.env['BENCH_MS'] ?? 1000);
const ROUNDS = 3;
if (file === undefined || !(LINES >= 1) || !(BENCH_MS > 0)) {
  throw new Error('usage: BENCH_MS=ms batch-case.ts FILE [LINES]');
}

const jsonLines = await readFirstLines(file, LINES);
const batches: PipelineRecord[][] = jsonLines.map((l) => decodeLogsJson(l).records);
const protoBodies = batches.map((b) => encodeLogsProto(b));
const recordsPerRequest = Math.round(batches.reduce((n, b) => n + b.length, 0) / batches.length);
const requestType = protobuf.Root.fromJSON(OTLP_LOGS_DESCRIPTOR as unknown as protobuf.INamespace).lookupType(
  'opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest',
);

let chainReports = 0;
setErrorHandler(() => {
  chainReports++;
});
const config = defaultChainConfig();

/** A per-request operation: runs request `i` and returns the records it handled. */
type Op = (i: number) => number;

/** Runs `op` over the requests in turn for `ms` milliseconds; returns records per second. */
function timed(op: Op, ms: number): number {
  let records = 0;
  let i = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    records += op(i % batches.length);
    i++;
    elapsed = performance.now() - start;
  } while (elapsed < ms);
  return (records * 1000) / elapsed;
}

/**
 * The chain, one request at a time: a fresh pipeline per pass over all requests (state starts empty, as a replay
 * without a state directory), fresh records per pass (the stages change records in place), flushed at the end.
 * Decoding the fresh records is outside the timed part. Returns records per second over the passes of `ms`.
 */
let chainRecordsOut = 0;
const chainStages: Record<string, { ms: number; calls: number; records: number }> = {};
let chainAllocated = 0;
let chainAllocatedRecords = 0;
async function chainRate(ms: number): Promise<number> {
  let records = 0;
  let elapsed = 0;
  do {
    const input = protoBodies.map((b) => decodeLogsProto(b).records);
    const built = buildPipeline(config, config.pipelines[0], (out) => {
      chainRecordsOut += out.length;
    });
    const meter = new AllocationMeter();
    const start = performance.now();
    let passRecords = 0;
    for (const batch of input) {
      passRecords += batch.length;
      chainRecordsOut += (await built.pipeline.process(batch)).length;
    }
    chainRecordsOut += (await built.pipeline.shutdown()).length;
    elapsed += performance.now() - start;
    records += passRecords;
    chainAllocated += meter.stop().bytes;
    chainAllocatedRecords += passRecords;
    for (const [id, t] of Object.entries(built.pipeline.timings())) {
      const sum = (chainStages[id] ??= { ms: 0, calls: 0, records: 0 });
      sum.ms += t.ms;
      sum.calls += t.calls;
      sum.records += t.records;
    }
  } while (elapsed < ms);
  return (records * 1000) / elapsed;
}

const ops: [string, Op | 'chain'][] = [
  ['decodeLogsProto (ours)', (i) => decodeLogsProto(protoBodies[i]).records.length],
  [
    'protobufjs reflection decode + records (baseline)',
    (i) => decodeLogsProtoReflection(protoBodies[i]).length,
  ],
  [
    'protobufjs Type.decode alone (no records)',
    (i) => {
      requestType.decode(protoBodies[i]);
      return batches[i].length;
    },
  ],
  ['decodeLogsJson', (i) => decodeLogsJson(jsonLines[i]).records.length],
  ['default chain, per 1,000-record batch', 'chain'],
  ['encodeLogsProto', (i) => (encodeLogsProto(batches[i]), batches[i].length)],
  ['encodeLogsJson', (i) => (encodeLogsJson(batches[i]), batches[i].length)],
];

// Warm-up (JIT), then interleaved rounds.
for (const [, op] of ops) {
  if (op === 'chain') await chainRate(1);
  else timed(op, Math.min(300, BENCH_MS));
}
chainRecordsOut = 0;
for (const id of Object.keys(chainStages)) delete chainStages[id];
chainAllocated = 0;
chainAllocatedRecords = 0;
const rounds = new Map<string, number[]>(ops.map(([name]) => [name, []]));
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, op] of ops) {
    globalThis.gc?.();
    rounds.get(name)!.push(op === 'chain' ? await chainRate(BENCH_MS) : timed(op, BENCH_MS));
  }
}
async function emptyChainBytes(): Promise<BatchCaseResult['emptyChainBytes']> {
  if (globalThis.gc === undefined) return undefined;
  const COUNT = 5;
  // A first one, out of the figure: the modules and code every chain shares.
  await buildPipeline(config, config.pipelines[0], () => {}).pipeline.shutdown();
  const before = settledMemoryUsage();
  const built = Array.from({ length: COUNT }, () => buildPipeline(config, config.pipelines[0], () => {}));
  const after = settledMemoryUsage();
  for (const b of built) await b.pipeline.shutdown();
  return {
    heap: (after.heapUsed - before.heapUsed) / COUNT,
    arrayBuffers: (after.arrayBuffers - before.arrayBuffers) / COUNT,
  };
}
const emptyChain = await emptyChainBytes();

/** Passes over the requests, each through a fresh chain, while allocation is sampled. */
const ALLOCATION_PASSES = 4;

/** Where the chain allocates, per record: sampled while the chain runs (decoding the input is left out). */
async function allocationSites(): Promise<AllocationSites> {
  const sampler = new AllocationSampler();
  let records = 0;
  for (let pass = 0; pass < ALLOCATION_PASSES; pass++) {
    const input = protoBodies.map((b) => decodeLogsProto(b).records);
    const built = buildPipeline(config, config.pipelines[0], () => {});
    await sampler.start();
    for (const batch of input) {
      records += batch.length;
      await built.pipeline.process(batch);
    }
    await built.pipeline.shutdown();
    await sampler.stop();
  }
  sampler.close();
  return sampler.sites(20, records);
}
const sites = process.env['BENCH_ALLOC_SITES'] === '1' ? await allocationSites() : undefined;

const decodeMeter = new AllocationMeter();
let decodedRecords = 0;
for (const body of protoBodies) decodedRecords += decodeLogsProto(body).records.length;
const decodeAllocated = decodeMeter.stop().bytes;

const result: BatchCaseResult = {
  requests: batches.length,
  recordsPerRequest,
  protoBytesPerRequest: Math.round(protoBodies.reduce((n, b) => n + b.length, 0) / protoBodies.length),
  jsonBytesPerRequest: Math.round(jsonLines.reduce((n, l) => n + Buffer.byteLength(l), 0) / jsonLines.length),
  benchMs: BENCH_MS,
  figures: ops.map(([name]) => ({
    name,
    recordsPerSecond: median(rounds.get(name)!),
    rounds: rounds.get(name)!,
  })),
  chainRecordsOut,
  chainReports,
  chainStages,
  allocatedBytesPerRecord: {
    chain: chainAllocated / chainAllocatedRecords,
    decodeLogsProto: decodeAllocated / decodedRecords,
  },
  emptyChainBytes: emptyChain,
  allocationSites: sites,
};
console.log(`BENCH_CASE ${JSON.stringify(result)}`);
