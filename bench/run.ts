/**
 * The root benchmark, run by `npm run bench` at the repository root. In one run, on one input:
 *
 * 1. Replay of a synthetic capture (1,000,000 `egressguard.connection` records by default, OTLP JSON lines of
 *    1,000-record requests, made by `bench/generate.ts` and cached in the temporary directory by size and seed):
 *    the OTLP/JSON codec alone (decode and encode, no processors) before and after the whole default chain through
 *    the CLI's `replay()`, the mean of the two codec runs being the baseline; each run in its own child process, so
 *    that each peak resident set size is its own.
 *    Printed: records/s, CPU time, peak memory, and the ratios chain/codec of time and of memory.
 * 2. 1,000-record requests taken from the same input: our protobuf decoder against protobufjs reflection decoding
 *    of the same bytes (the baseline), JSON decoding, the default chain per batch, protobuf and JSON encoding.
 * 3. Every package's own bench (`npm run bench -w <package>`), unless `--root-only`.
 *
 * Speed and memory are never asserted: they are printed as ratios against baselines measured in the same run,
 * because the machines are shared and noisy. The end of the output is a table of every figure with its ratio, and
 * one line `BENCH_JSON {…}` with the same figures for quoting.
 *
 * 3a. The chain inside the OpenTelemetry JS SDK (`bench/sdk-case.ts`): a `LoggerProvider` with the
 *     `ChainLogRecordProcessor` in front of a `BatchLogRecordProcessor`, against the same provider without it.
 *
 * 4. `run` taking requests with and without its write-ahead log and checkpoints (`bench/durability-case.ts`): the
 *    throughput ratio is the cost of durability.
 *
 * 5. With `--cpu-prof`, the chain's replay once more under V8's CPU profiler, summarised by package and function.
 * 6. With `--alloc-sites`, where the chain allocates per 1,000-record batch, by function and package: V8's sampling
 *    heap profiler over passes of its own, after the timed ones.
 *
 *   npm run bench [-- --records N] [--seed N] [--root-only] [--bench-ms MS] [--batch-lines N] [--durability-lines N]
 *                 [--sdk-lines N] [--cpu-prof] [--alloc-sites] [--help]
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

import type { AllocationSites } from './allocation-sites.ts';
import type { BatchCaseResult, BatchFigure } from './batch-case.ts';
import { median } from './case-support.ts';
import { summariseCpuProfile, type ProfileSummary } from './cpu-profile.ts';
import type { DurabilityCaseResult } from './durability-case.ts';
import { GENERATE_DEFAULTS, defaultReplayFile } from './generate.ts';
import type { ReplayCaseResult } from './replay-case.ts';
import type { SdkCaseResult } from './sdk-case.ts';

const ROOT = dirname(import.meta.dirname);
const BENCH = import.meta.dirname;

const USAGE =
  'usage: npm run bench [-- --records N] [--seed N] [--root-only] [--bench-ms MS] [--batch-lines N]\n' +
  '                     [--durability-lines N] [--sdk-lines N] [--cpu-prof] [--alloc-sites] [--help]';

/** A mistake in the command line: said with the usage, exit code 2, no stack trace. */
function usageError(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

const options = {
  help: { type: 'boolean', default: false },
  records: { type: 'string', default: String(GENERATE_DEFAULTS.records) },
  seed: { type: 'string', default: String(GENERATE_DEFAULTS.seed) },
  'root-only': { type: 'boolean', default: false },
  'bench-ms': { type: 'string', default: '1000' },
  'batch-lines': { type: 'string', default: '50' },
  'durability-lines': { type: 'string', default: '30' },
  'cpu-prof': { type: 'boolean', default: false },
  'alloc-sites': { type: 'boolean', default: false },
  'sdk-lines': { type: 'string', default: '50' },
} as const;
let parsed: ReturnType<typeof parseArgs<{ options: typeof options }>>;
try {
  parsed = parseArgs({ args: process.argv.slice(2), options });
} catch (error) {
  // An unknown option or a missing value.
  usageError((error as Error).message);
}
const { values } = parsed;
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const positive = (name: string, text: string): number => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) usageError(`--${name} must be a positive integer, got "${text}"`);
  return n;
};
const RECORDS = positive('records', values.records);
const SEED = positive('seed', values.seed);
const BENCH_MS = positive('bench-ms', values['bench-ms']);
const BATCH_LINES = positive('batch-lines', values['batch-lines']);
const DURABILITY_LINES = positive('durability-lines', values['durability-lines']);
const SDK_LINES = positive('sdk-lines', values['sdk-lines']);

const nodeArgs = process.execArgv;
const childEnv = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env['PATH'] ?? ''}` };

interface Spawned {
  readonly code: number | null;
  readonly stdout: string;
  readonly seconds: number;
}

/** Runs a command; with `echo`, its stdout is shown as it comes (package benches), else only captured. */
function run(
  command: string,
  args: readonly string[],
  options: { env?: Record<string, string>; echo?: boolean } = {},
): Promise<Spawned> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { ...childEnv, ...options.env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      if (options.echo) process.stdout.write(chunk);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, seconds: (performance.now() - started) / 1000 }));
  });
}

/** Runs a bench case in its own Node process and returns its `BENCH_CASE` result. */
async function runCase<T>(
  script: string,
  args: readonly string[],
  env?: Record<string, string>,
  extraNodeArgs: readonly string[] = [],
): Promise<T> {
  const out = await run(
    process.execPath,
    [...nodeArgs, ...extraNodeArgs, join(BENCH, script), ...args],
    env ? { env } : {},
  );
  const line = out.stdout.split('\n').find((l) => l.startsWith('BENCH_CASE '));
  if (out.code !== 0 || line === undefined) {
    throw new Error(`${script} ${args.join(' ')} failed (exit ${String(out.code)}):\n${out.stdout}`);
  }
  return JSON.parse(line.slice('BENCH_CASE '.length)) as T;
}

const log = (message: string) => process.stderr.write(`bench: ${message}\n`);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const mib = (bytes: number) => bytes / 2 ** 20;
const x = (ratio: number) => `${ratio.toFixed(2)}x`;

/** A plain text table: the first row is the header; numeric-looking cells are right-aligned. */
function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const numeric = /^[-+]?[\d,.]+(x| s| MiB)?$/;
  const line = (r: readonly string[]) =>
    r
      .map((cell, c) => (numeric.test(cell) ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

const started = performance.now();
const startedAt = new Date();

// 1. The input: generated once per size and seed, then reused from the temporary directory.
const generateOptions = { ...GENERATE_DEFAULTS, records: RECORDS, seed: SEED };
const input = defaultReplayFile(generateOptions);
let generatedSeconds: number | undefined;
if (existsSync(input)) {
  log(`input ${input} (cached)`);
} else {
  log(`generating ${fmt(RECORDS)} records into ${input}`);
  const gen = await run(process.execPath, [
    ...nodeArgs,
    join(BENCH, 'generate.ts'),
    '--records',
    String(RECORDS),
    '--seed',
    String(SEED),
    '--out',
    input,
  ]);
  if (gen.code !== 0) throw new Error(`bench/generate.ts failed (exit ${String(gen.code)})`);
  generatedSeconds = gen.seconds;
}
const inputBytes = statSync(input).size;

// 2. Replay: the codec alone before and after the whole default chain, each in its own process. The baseline is the
// mean of the two codec runs, so that a load that rises or falls during the run moves the baseline with it.
const replayCase = async (mode: 'codec' | 'chain', label: string): Promise<ReplayCaseResult> => {
  log(`replay case: ${label}`);
  const result = await runCase<ReplayCaseResult>('replay-case.ts', [mode, input]);
  log(`  ${fmt((result.recordsIn * 1000) / result.wallMs)} records/s`);
  return result;
};
const codecBefore = await replayCase(
  'codec',
  'codec alone (decode + encode, no processors), before the chain',
);
const chain = await replayCase('chain', 'default chain (replay() from @egressguard/cli)');
const codecAfter = await replayCase('codec', 'codec alone, after the chain');
const mean = (a: number, b: number) => (a + b) / 2;
const codec: ReplayCaseResult = {
  ...codecBefore,
  wallMs: mean(codecBefore.wallMs, codecAfter.wallMs),
  cpuMs: mean(codecBefore.cpuMs, codecAfter.cpuMs),
  rssStartBytes: mean(codecBefore.rssStartBytes, codecAfter.rssStartBytes),
  peakRssBytes: mean(codecBefore.peakRssBytes, codecAfter.peakRssBytes),
  codecTimings: {
    decodeMs: mean(codecBefore.codecTimings.decodeMs, codecAfter.codecTimings.decodeMs),
    encodeMs: mean(codecBefore.codecTimings.encodeMs, codecAfter.codecTimings.encodeMs),
  },
};

// 2b. With --cpu-prof, the chain's replay once more under V8's CPU profiler (slower, so timed apart from the rest).
let profile: ProfileSummary | undefined;
if (values['cpu-prof']) {
  const dir = mkdtempSync(join(tmpdir(), 'egressguard-bench-cpu-prof-'));
  log('replay case: default chain under the CPU profiler (--cpu-prof)');
  await runCase<ReplayCaseResult>('replay-case.ts', ['chain', input], undefined, [
    '--cpu-prof',
    '--cpu-prof-dir',
    dir,
  ]);
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (file === undefined) throw new Error(`no CPU profile was written into ${dir}`);
  profile = summariseCpuProfile(join(dir, file), 15);
  rmSync(dir, { recursive: true, force: true });
}

// 3. 1,000-record requests.
log(`1,000-record requests: ${BATCH_LINES} requests, 3 rounds of ${BENCH_MS} ms per figure`);
const batch = await runCase<BatchCaseResult>('batch-case.ts', [input, String(BATCH_LINES)], {
  BENCH_MS: String(BENCH_MS),
  ...(values['alloc-sites'] ? { BENCH_ALLOC_SITES: '1' } : {}),
});

// 3a. The chain inside the OpenTelemetry JS SDK, against the SDK alone.
log(`SDK: LoggerProvider with and without the chain, ${SDK_LINES} requests, 3 rounds`);
const sdk = await runCase<SdkCaseResult>('sdk-case.ts', [input, String(SDK_LINES)]);

// 3b. The cost of durability: `run` with and without its write-ahead log and checkpoints.
log(`durability: run with and without the write-ahead log, ${DURABILITY_LINES} requests, 3 rounds`);
const durability = await runCase<DurabilityCaseResult>('durability-case.ts', [
  input,
  String(DURABILITY_LINES),
  '3',
]);

// 4. Every package's own bench.
interface PackageRun {
  readonly name: string;
  readonly exitCode: number | null;
  readonly seconds: number;
  readonly output: string;
}
const packageRuns: PackageRun[] = [];
if (!values['root-only']) {
  const packages = readdirSync(join(ROOT, 'packages'))
    .map((dir) => join(ROOT, 'packages', dir, 'package.json'))
    .filter((file) => existsSync(file))
    .map(
      (file) => JSON.parse(readFileSync(file, 'utf8')) as { name: string; scripts?: Record<string, string> },
    )
    .filter((pkg) => pkg.scripts?.['bench'] !== undefined)
    .map((pkg) => pkg.name)
    .sort();
  // Each runs on its own defaults (all together take well under a minute here); their own knobs (BENCH_MS for
  // otlp, IDENTITIES for novelty-filter) pass through from the environment.
  for (const name of packages) {
    console.log(`\n=== npm run bench -w ${name}`);
    const out = await run('npm', ['run', 'bench', '--silent', '-w', name], { echo: true });
    packageRuns.push({ name, exitCode: out.code, seconds: out.seconds, output: out.stdout.trimEnd() });
  }
}

// 5. Figures, ratios, tables.
const rate = (c: ReplayCaseResult) => (c.recordsIn * 1000) / c.wallMs;
const cpuRate = (c: ReplayCaseResult) => (c.recordsIn * 1000) / c.cpuMs;
const replayRatios = {
  time: chain.wallMs / codec.wallMs,
  cpuTime: chain.cpuMs / codec.cpuMs,
  throughput: rate(chain) / rate(codec),
  peakRss: chain.peakRssBytes / codec.peakRssBytes,
  rssGrowth: (chain.peakRssBytes - chain.rssStartBytes) / (codec.peakRssBytes - codec.rssStartBytes),
};
const find = (name: string) => batch.figures.find((f) => f.name.startsWith(name))!;
const baseline = find('protobufjs reflection');
/**
 * Ratio of two figures: the median of their per-round ratios. Each round measures every figure one after the
 * other, so a ratio within a round compares measurements taken seconds apart, under the same load.
 */
const ratio = (a: BatchFigure, b: BatchFigure) => median(a.rounds.map((r, i) => r / b.rounds[i]));
const batchRatios = {
  protoDecodeVsReflection: ratio(find('decodeLogsProto'), baseline),
  protoDecodeVsTypeDecode: ratio(find('decodeLogsProto'), find('protobufjs Type.decode')),
  jsonDecodeVsProtoDecode: ratio(find('decodeLogsJson'), find('decodeLogsProto')),
  chainVsProtoDecode: ratio(find('default chain'), find('decodeLogsProto')),
  jsonEncodeVsProtoEncode: ratio(find('encodeLogsJson'), find('encodeLogsProto')),
};
const totalSeconds = (performance.now() - started) / 1000;
const cpuInfo = cpus();

console.log('');
console.log(
  `egressguard root benchmark, ${startedAt.toISOString()}: node ${process.version}, ${cpuInfo.length} CPUs ` +
    `(${cpuInfo[0]?.model.trim() ?? 'unknown'}), ${fmt(mib(totalmem()))} MiB RAM, load average at the end ` +
    `${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
);
console.log(
  `input: ${input}: ${fmt(codec.recordsIn)} egressguard.connection records, ${fmt(RECORDS / GENERATE_DEFAULTS.perRequest)} ` +
    `OTLP JSON lines of ${fmt(GENERATE_DEFAULTS.perRequest)} records, ${fmt(mib(inputBytes))} MiB, seed ${SEED}, ` +
    `${GENERATE_DEFAULTS.hosts} hosts, ${GENERATE_DEFAULTS.hours} h of event time` +
    (generatedSeconds !== undefined ? ` (generated in ${generatedSeconds.toFixed(1)} s)` : ' (cached)'),
);
console.log('');
console.log(
  `Replay of ${fmt(codec.recordsIn)} records, one child process per case, run in the order listed; ` +
    'baseline: the mean of the two codec runs',
);
console.log(
  table([
    [
      'CASE',
      'RECORDS OUT',
      'WALL',
      'CPU',
      'RECORDS/S',
      'PEAK RSS',
      'RSS AT START',
      'TIME RATIO',
      'PEAK RSS RATIO',
    ],
    ...[
      ['codec alone: decode + encode, before', codecBefore],
      ['default chain: replay() (decode, chain, encode)', chain],
      ['codec alone: decode + encode, after', codecAfter],
      ['codec baseline (mean of the two codec runs)', codec],
    ].map(([name, c]) => {
      const r = c as ReplayCaseResult;
      return [
        name as string,
        fmt(r.recordsOut),
        `${(r.wallMs / 1000).toFixed(1)} s`,
        `${(r.cpuMs / 1000).toFixed(1)} s`,
        fmt(rate(r)),
        `${mib(r.peakRssBytes).toFixed(0)} MiB`,
        `${mib(r.rssStartBytes).toFixed(0)} MiB`,
        x(r.wallMs / codec.wallMs),
        x(r.peakRssBytes / codec.peakRssBytes),
      ];
    }),
  ]),
);
console.log(
  `chain/codec: time ${x(replayRatios.time)} (CPU time ${x(replayRatios.cpuTime)}), throughput ${x(replayRatios.throughput)}, ` +
    `peak RSS ${x(replayRatios.peakRss)}, RSS growth above start ${x(replayRatios.rssGrowth)}; ` +
    `chain: ${fmt(chain.detections)} detections, ${fmt(chain.reports)} reported problems; ` +
    `records/CPU-second: codec ${fmt(cpuRate(codec))}, chain ${fmt(cpuRate(chain))}`,
);
const stageRows = (
  stages: Readonly<Record<string, { ms: number; calls: number; records: number }>>,
  wallMs: number,
  records: number,
) => {
  const inStages = Object.values(stages).reduce((n, t) => n + t.ms, 0);
  return [
    ['STAGE', 'TIME', 'SHARE OF WALL', 'µs PER RECORD READ', 'RECORDS IN', 'CALLS'],
    ...Object.entries(stages).map(([id, t]) => [
      id,
      `${(t.ms / 1000).toFixed(2)} s`,
      `${((100 * t.ms) / wallMs).toFixed(1)}%`,
      ((t.ms * 1000) / records).toFixed(2),
      fmt(t.records),
      fmt(t.calls),
    ]),
    [
      'all stages',
      `${(inStages / 1000).toFixed(2)} s`,
      `${((100 * inStages) / wallMs).toFixed(1)}%`,
      ((inStages * 1000) / records).toFixed(2),
      '',
      '',
    ],
    [
      'outside the stages (read, decode, encode, write)',
      `${((wallMs - inStages) / 1000).toFixed(2)} s`,
      `${((100 * (wallMs - inStages)) / wallMs).toFixed(1)}%`,
      (((wallMs - inStages) * 1000) / records).toFixed(2),
      '',
      '',
    ],
  ];
};
console.log('');
console.log(
  `Where the chain's replay time went, by stage (wall clock of the pipeline's calls into each; codec alone: ` +
    `${((codec.wallMs * 1000) / codec.recordsIn).toFixed(2)} µs per record)`,
);
console.log(table(stageRows(chain.stages, chain.wallMs, chain.recordsIn)));
// The chain's replay against the codec's, part by part: what the chain's time adds, and where.
const parts = (c: ReplayCaseResult) => {
  const stagesMs = Object.values(c.stages).reduce((n, t) => n + t.ms, 0);
  const { decodeMs, encodeMs } = c.codecTimings;
  return {
    decodeMs,
    stagesMs,
    encodeMs,
    restMs: c.wallMs - decodeMs - stagesMs - encodeMs,
    wallMs: c.wallMs,
  };
};
const codecParts = parts(codec);
const chainParts = parts(chain);
const partRow = (name: string, key: keyof typeof codecParts) => {
  const extra = chainParts[key] - codecParts[key];
  return [
    name,
    `${(codecParts[key] / 1000).toFixed(2)} s`,
    `${(chainParts[key] / 1000).toFixed(2)} s`,
    `${extra >= 0 ? '+' : ''}${(extra / 1000).toFixed(2)} s`,
    `${extra >= 0 ? '+' : ''}${((extra * 1000) / chain.recordsIn).toFixed(2)}`,
  ];
};
const replayParts = {
  codec: codecParts,
  chain: chainParts,
  // The chain's time at which the replay would run at 0.8x the codec's throughput (the issue's goal).
  chainMsAt0_8: codec.wallMs / 0.8,
};
console.log('');
console.log(
  `The chain's replay against the codec's, part by part (decode and encode: wall clock of the codec's calls; the rest: ` +
    'reading, splitting lines, writing and the work between)',
);
console.log(
  table([
    ['PART', 'CODEC (MEAN)', 'CHAIN', 'CHAIN - CODEC', 'µs PER RECORD READ'],
    partRow('decode (decodeLogsJson)', 'decodeMs'),
    partRow('stages', 'stagesMs'),
    partRow('encode (encodeLogsJsonLine)', 'encodeMs'),
    partRow('the rest', 'restMs'),
    partRow('wall', 'wallMs'),
  ]),
);
console.log(
  `at 0.80x the codec's throughput the chain would take ${(replayParts.chainMsAt0_8 / 1000).toFixed(2)} s: ` +
    `${((replayParts.chainMsAt0_8 - codec.wallMs) / 1000).toFixed(2)} s more than the codec, against ` +
    `${((chain.wallMs - codec.wallMs) / 1000).toFixed(2)} s now`,
);
const perRecord = (c: ReplayCaseResult) => c.allocation.bytes / c.recordsIn;
console.log(
  `heap allocated per record read: codec ${fmt(perRecord(codecBefore))} B / ${fmt(perRecord(codecAfter))} B, ` +
    `chain ${fmt(perRecord(chain))} B (${x(perRecord(chain) / mean(perRecord(codecBefore), perRecord(codecAfter)))}); ` +
    `garbage collections: codec ${fmt(codecBefore.allocation.collections)} (${(codecBefore.allocation.gcMs / 1000).toFixed(1)} s) / ` +
    `${fmt(codecAfter.allocation.collections)} (${(codecAfter.allocation.gcMs / 1000).toFixed(1)} s), chain ` +
    `${fmt(chain.allocation.collections)} (${(chain.allocation.gcMs / 1000).toFixed(1)} s)`,
);
if (profile) {
  const profileRows = (entries: ProfileSummary['byPackage']) => [
    ['WHERE', 'SELF TIME', 'SHARE'],
    ...entries.map((e) => [e.name, `${(e.ms / 1000).toFixed(2)} s`, `${(100 * e.share).toFixed(1)}%`]),
  ];
  console.log(
    `CPU profile of the chain's replay (a separate run under --cpu-prof; ${(profile.totalMs / 1000).toFixed(1)} s sampled), self time by package:`,
  );
  console.log(table(profileRows(profile.byPackage)));
  console.log('and by function:');
  console.log(table(profileRows(profile.byFunction)));
}
console.log(
  `chain detections by host and executable: ${
    Object.entries(chain.detected)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, n]) => `${k} (${n})`)
      .join(', ') || 'none'
  }`,
);
console.log('');
console.log(
  `1,000-record requests: ${batch.requests} requests from the same input (protobuf ${fmt(batch.protoBytesPerRequest)} B, ` +
    `JSON ${fmt(batch.jsonBytesPerRequest)} B each), median of 3 interleaved rounds of ${batch.benchMs} ms; ratios: median of the per-round ratios`,
);
console.log(
  table([
    ['FIGURE', 'RECORDS/S', 'RATIO TO BASELINE', 'ROUNDS (records/s)'],
    ...batch.figures.map((f) => [
      f.name,
      fmt(f.recordsPerSecond),
      x(ratio(f, baseline)),
      f.rounds.map(fmt).join(' / '),
    ]),
  ]),
);
console.log(
  `decodeLogsProto / protobufjs reflection decode + records: ${x(batchRatios.protoDecodeVsReflection)}; ` +
    `/ Type.decode alone: ${x(batchRatios.protoDecodeVsTypeDecode)}; decodeLogsJson / decodeLogsProto: ` +
    `${x(batchRatios.jsonDecodeVsProtoDecode)}; chain / decodeLogsProto: ${x(batchRatios.chainVsProtoDecode)}; ` +
    `encodeLogsJson / encodeLogsProto: ${x(batchRatios.jsonEncodeVsProtoEncode)}`,
);
const batchStageMs = Object.values(batch.chainStages).reduce((n, t) => n + t.ms, 0);
const batchRecords = Object.values(batch.chainStages)[0]?.records ?? 0;
console.log(
  `the chain per 1,000-record batch, by stage (all timed passes: ${fmt(batchRecords)} records; ` +
    `decodeLogsProto: ${(1e6 / find('decodeLogsProto').recordsPerSecond).toFixed(2)} µs per record)`,
);
console.log(table(stageRows(batch.chainStages, batchStageMs, batchRecords).slice(0, -1)));
console.log(
  `heap allocated per record: chain ${fmt(batch.allocatedBytesPerRecord.chain)} B, decodeLogsProto ` +
    `${fmt(batch.allocatedBytesPerRecord.decodeLogsProto)} B`,
);
if (batch.allocationSites) {
  const siteRows = (entries: AllocationSites['byFunction']) => [
    ['WHERE', 'B PER RECORD', 'SHARE'],
    ...entries.map((e) => [e.name, e.bytes.toFixed(1), `${(100 * e.share).toFixed(1)}%`]),
  ];
  console.log(
    `where the chain allocates (--alloc-sites: V8's sampling heap profiler over passes of their own, freed objects ` +
      `included; estimated ${fmt(batch.allocationSites.bytes)} B per record), by package:`,
  );
  console.log(table(siteRows(batch.allocationSites.byPackage)));
  console.log('and by function:');
  console.log(table(siteRows(batch.allocationSites.byFunction)));
}
if (batch.emptyChainBytes) {
  console.log(
    `a default chain built, before its first record: heap ${fmt(batch.emptyChainBytes.heap / 1024)} KiB, ` +
      `array buffers ${fmt(batch.emptyChainBytes.arrayBuffers / 1024)} KiB`,
  );
}
console.log('');
console.log(
  `OpenTelemetry JS SDK: ${fmt(sdk.records)} records (${sdk.requests} requests, ${sdk.hosts} hosts, a provider each) emitted ` +
    `one request per event-loop turn through a BatchLogRecordProcessor and the OTLP/protobuf serializer, to the end of ` +
    `shutdown(); baseline: the same provider without the chain; median of ${sdk.rounds} rounds`,
);
console.log(
  table([
    ['FIGURE', 'RECORDS/S', 'RECORDS EXPORTED', 'BYTES EXPORTED', 'ROUNDS (records/s)'],
    ...sdk.figures.map((f) => [
      f.name,
      fmt(f.recordsPerSecond),
      fmt(f.recordsOut),
      fmt(f.bytesOut),
      f.rounds.map(fmt).join(' / '),
    ]),
  ]),
);
console.log(
  `SDK with the chain / SDK alone: ${x(sdk.ratio)} (rounds ${sdk.ratioRounds.map(x).join(' / ')}); ` +
    `dropped by the adapter ${fmt(sdk.chainDropped)}, lost by a stage ${fmt(sdk.chainLost)}, ` +
    `lost by the batch processor ${fmt(sdk.batchProcessorDropped)}`,
);
console.log('');
console.log(
  `Durability: \`run\` (default chain, in-memory queue to a null stream) taking ${durability.requests} requests of ` +
    `${fmt(durability.records / durability.requests)} records from ${durability.clients} concurrent clients, to the end of stop(); ` +
    `baseline: write-ahead log off (answered once queued, no checkpoints but at shutdown)`,
);
console.log(
  table([
    ['ROUND', 'WITHOUT LOG (records/s)', 'WITH LOG (records/s)', 'WITH/WITHOUT'],
    ...durability.rounds.map((r, i) => [String(i + 1), fmt(r.without), fmt(r.with), x(r.with / r.without)]),
  ]),
);
console.log(
  `durability ratio (throughput with log / without, median of rounds): ${x(durability.ratio)}; ` +
    `group commit: ${durability.appends} appends in ${durability.syncs} fdatasyncs`,
);
if (packageRuns.length > 0) {
  console.log('');
  console.log('Package benches (their figures and ratios are in their output above)');
  console.log(
    table([
      ['PACKAGE', 'EXIT', 'SECONDS'],
      ...packageRuns.map((p) => [p.name, String(p.exitCode), `${p.seconds.toFixed(1)} s`]),
    ]),
  );
}
console.log('');
console.log(`total ${totalSeconds.toFixed(0)} s`);
console.log(
  `BENCH_JSON ${JSON.stringify({
    date: startedAt.toISOString(),
    node: process.version,
    cpus: cpuInfo.length,
    cpuModel: cpuInfo[0]?.model.trim(),
    loadavgEnd: loadavg(),
    input: {
      file: input,
      records: codec.recordsIn,
      bytes: inputBytes,
      seed: SEED,
      hosts: GENERATE_DEFAULTS.hosts,
      hours: GENERATE_DEFAULTS.hours,
      recordsPerLine: GENERATE_DEFAULTS.perRequest,
      generatedSeconds,
    },
    replay: {
      codecBefore: { ...codecBefore, recordsPerSecond: rate(codecBefore) },
      codecAfter: { ...codecAfter, recordsPerSecond: rate(codecAfter) },
      codec: { ...codec, recordsPerSecond: rate(codec), recordsPerCpuSecond: cpuRate(codec) },
      chain: { ...chain, recordsPerSecond: rate(chain), recordsPerCpuSecond: cpuRate(chain) },
      chainOverCodec: replayRatios,
      parts: replayParts,
    },
    batch: {
      ...batch,
      baseline: 'protobufjs reflection decode + records',
      ratiosToBaseline: Object.fromEntries(batch.figures.map((f) => [f.name, ratio(f, baseline)])),
      ratios: batchRatios,
    },
    sdk,
    durability,
    ...(profile ? { chainCpuProfile: profile } : {}),
    packages: packageRuns.map(({ output: _output, ...p }) => p),
    totalSeconds,
  })}`,
);
if (packageRuns.some((p) => p.exitCode !== 0)) process.exitCode = 1;
