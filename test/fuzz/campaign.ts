/**
 * The fuzz campaign: property-based checks (fast-check) of every sensor reader (each format of the normalize package,
 * and `auto`) and both OTLP decoders against hostile input. For every input it asserts that reading finishes within a
 * generous time bound, that no record out breaks the schema (`validateRecord`), that every input line is either read
 * or counted, and that nothing pollutes `Object.prototype`; the campaign runs under a heap cap proportional to the
 * readers' bounds, so an input that swells memory kills it.
 *
 *   node … test/fuzz/campaign.ts [--runs N] [--seed S]
 *
 * `--runs` is the number of inputs per reader and per decoder. Prints the inputs tried, the time taken, the slowest
 * input and the peak memory; exits 1 with the smallest failing input found.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { getHeapStatistics } from 'node:v8';

import fc from 'fast-check';

import { READER_DEFAULTS, SENSOR_FORMAT_NAMES, readSensorFile } from '@egressguard/normalize';
import { OtlpDecodeError, decodeLogsJson, decodeLogsProto, encodeLogsProto } from '@egressguard/otlp';
import { SENSOR_RECORD, nanosToHrTime, validateRecord, type PipelineRecord } from '@egressguard/schema';

import {
  damageArb,
  mutate,
  otlpRequestArb,
  seedsByFormat,
  sensorInputArb,
  setMaxRunBytes,
} from './hostile-inputs.ts';

/** The readers' bounds during the campaign: the defaults, which generated runs reach and cross. */
const LIMITS = {
  maxLineBytes: READER_DEFAULTS.maxLineBytes,
  maxObjectsPerLine: READER_DEFAULTS.maxObjectsPerLine,
  maxJsonObjectBytes: READER_DEFAULTS.maxJsonObjectBytes,
};
/**
 * Heap cap: a base for the runtime, the generators and the seeds, plus a small multiple of the longest line a reader
 * may hold. The concatenated-objects defect took 75 times a line; this cap leaves room for 32.
 */
const HEAP_CAP_MB = 64 + (32 * LIMITS.maxLineBytes) / (1024 * 1024);
/** Far above what any input takes (milliseconds); a defect of the kind fuzzing finds takes minutes or forever. */
const TIME_BOUND_MS = 10_000;

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '200' }, seed: { type: 'string' } },
});
const runs = Number(values.runs);
const seed = values.seed !== undefined ? Number(values.seed) : Date.now() % 2 ** 31;

// Re-run under the heap cap unless already under it.
if (!process.execArgv.some((a) => a.startsWith('--max-old-space-size='))) {
  const r = spawnSync(
    process.execPath,
    [
      ...process.execArgv,
      `--max-old-space-size=${HEAP_CAP_MB}`,
      process.argv[1],
      '--runs',
      String(runs),
      '--seed',
      String(seed),
    ],
    { stdio: 'inherit' },
  );
  process.exit(r.status ?? 1);
}
const heapLimitMb = getHeapStatistics().heap_size_limit / (1024 * 1024);

const dir = mkdtempSync(path.join(tmpdir(), 'egressguard-fuzz-'));
const file = path.join(dir, 'input');
let inputs = 0;
let slowest = { ms: 0, what: '' };

function timed<T>(what: string, run: () => T): T {
  const t0 = performance.now();
  let out: T;
  try {
    out = run();
  } finally {
    inputs++;
  }
  const ms = performance.now() - t0;
  if (ms > slowest.ms) slowest = { ms, what };
  if (ms > TIME_BOUND_MS)
    throw new Error(`${what}: ${ms.toFixed(0)} ms, past the bound of ${TIME_BOUND_MS} ms`);
  return out;
}

function checkNoPollution(): void {
  const probe = {} as Record<string, unknown>;
  if (probe.polluted !== undefined || Object.keys(Object.prototype).length > 0)
    throw new Error('Object.prototype was polluted');
}

/** Lines in a byte buffer as a line reader counts them: each LF ends one, and bytes after the last LF make one more. */
function lineCount(bytes: Buffer): number {
  let n = 0;
  for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, i + 1)) n++;
  return bytes.length > 0 && bytes[bytes.length - 1] !== 10 ? n + 1 : n;
}

async function checkReader(format: string, bytes: Buffer): Promise<void> {
  writeFileSync(file, bytes);
  const t0 = performance.now();
  const reader = readSensorFile(file, format, { host: 'fuzz', ...LIMITS });
  let errors = 0;
  let records = 0;
  let nothingRecognised = false;
  try {
    for await (const batch of reader) {
      errors += batch.errors.length;
      records += batch.records.length;
      for (const r of batch.records) checkSensorRecord(r);
    }
  } catch (error) {
    // The one error a reader may end with: auto found no line of any format, and says so naming the file.
    if (
      format !== 'auto' ||
      !(error as Error).message.includes(`no sensor format recognises any line of ${file}`)
    )
      throw error;
    nothingRecognised = true;
  }
  const ms = performance.now() - t0;
  if (ms > slowest.ms) slowest = { ms, what: `${format} reader` };
  if (ms > TIME_BOUND_MS)
    throw new Error(`${format} reader: ${ms.toFixed(0)} ms, past the bound of ${TIME_BOUND_MS} ms`);
  inputs++;
  const s = reader.summary;
  const expectLines = lineCount(bytes);
  if (s.lines !== expectLines) throw new Error(`${format}: read ${s.lines} lines of ${expectLines}`);
  if (s.malformed !== errors)
    throw new Error(`${format}: ${errors} errors handed out, ${s.malformed} counted`);
  const attributed = Object.values(s.malformedByFormat).reduce((a, b) => a + b, 0);
  if (attributed !== s.malformed)
    throw new Error(`${format}: ${s.malformed} malformed, ${attributed} attributed to a format`);
  if (s.records !== records)
    throw new Error(`${format}: ${records} records handed out, ${s.records} counted`);
  if (nothingRecognised && records > 0) throw new Error('auto recognised nothing yet produced records');
  checkNoPollution();
}

function checkSensorRecord(r: PipelineRecord): void {
  const problems = validateRecord(r, SENSOR_RECORD);
  if (problems.length > 0)
    throw new Error(`record not schema-valid: ${problems.map((p) => p.message).join('; ')}`);
}

/** Decoded OTLP records carry whatever attributes the sender chose; their times must be sane, their maps plain. */
function checkDecodedRecord(r: PipelineRecord): void {
  const time = validateRecord(r, SENSOR_RECORD).filter((p) => p.problem === 'out_of_range');
  if (time.length > 0) throw new Error(`decoded record with ${time[0].message}`);
  const proto = Object.getPrototypeOf(r.attributes) as unknown;
  if (proto !== Object.prototype && proto !== null)
    throw new Error('attributes object has a foreign prototype');
}

function checkDecoded(
  what: string,
  decode: () => { records: PipelineRecord[]; rejected: unknown[] },
  expected: number | undefined,
): void {
  let out: { records: PipelineRecord[]; rejected: unknown[] };
  try {
    out = timed(what, decode);
  } catch (error) {
    if (error instanceof OtlpDecodeError) return;
    throw error;
  }
  if (expected !== undefined && out.records.length + out.rejected.length !== expected)
    throw new Error(
      `${what}: ${out.records.length} records + ${out.rejected.length} rejected of ${expected}`,
    );
  for (const r of out.records) checkDecodedRecord(r);
  checkNoPollution();
}

setMaxRunBytes(LIMITS.maxLineBytes + 64 * 1024);
const started = performance.now();
const { seeds, shared } = seedsByFormat();
const allSeeds = Object.values(seeds).flat();
const params = { numRuns: runs, seed, endOnFailure: true };
const report: string[] = [];

try {
  for (const format of [...SENSOR_FORMAT_NAMES, 'auto']) {
    const before = inputs;
    await fc.assert(
      fc.asyncProperty(sensorInputArb(format === 'auto' ? allSeeds : seeds[format]), (bytes) =>
        checkReader(format, bytes),
      ),
      params,
    );
    report.push(`${format} ${inputs - before}`);
  }

  let before = inputs;
  fc.assert(
    fc.property(otlpRequestArb, damageArb, ({ request, logRecords }, damage) => {
      const body = damage.reduce(mutate, Buffer.from(JSON.stringify(request)));
      checkDecoded(
        'OTLP/JSON decoder',
        () => decodeLogsJson(new Uint8Array(body)),
        damage.length === 0 ? logRecords : undefined,
      );
    }),
    params,
  );
  report.push(`otlp-json ${inputs - before}`);

  before = inputs;
  fc.assert(
    fc.property(
      otlpRequestArb,
      fc.array(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), { maxLength: 3 }),
      damageArb,
      ({ request }, extremeTimes, damage) => {
        let records: PipelineRecord[];
        try {
          records = decodeLogsJson(JSON.stringify(request)).records;
        } catch {
          records = [];
        }
        // Records dated anywhere in uint64 nanoseconds, as a sender may encode them.
        for (const [i, nanos] of extremeTimes.entries()) {
          if (records.length === 0) break;
          records[i % records.length].hrTime = nanosToHrTime(nanos);
        }
        const body = damage.reduce(mutate, Buffer.from(encodeLogsProto(records)));
        checkDecoded(
          'OTLP/protobuf decoder',
          () => decodeLogsProto(new Uint8Array(body)),
          damage.length === 0 ? records.length : undefined,
        );
      },
    ),
    params,
  );
  report.push(`otlp-proto ${inputs - before}`);
} catch (error) {
  // fast-check's message holds the whole counterexample (up to megabytes of a long line): keep its head and the
  // error at its end.
  const text = (error as Error).message;
  const shown =
    text.length > 3000
      ? `${text.slice(0, 1000)}\n[… ${text.length - 3000} characters …]\n${text.slice(-2000)}`
      : text;
  const cause = (error as Error).cause;
  const why = cause instanceof Error ? (cause.stack ?? cause.message) : String(cause);
  process.stderr.write(
    `fuzz: FAILED (seed ${seed}, --runs ${runs}): ${shown}\nfailure: ${why.slice(0, 3000)}\n`,
  );
  rmSync(dir, { recursive: true, force: true });
  process.exit(1);
}
rmSync(dir, { recursive: true, force: true });

const seconds = (performance.now() - started) / 1000;
const peakMb = process.resourceUsage().maxRSS / 1024;
process.stdout.write(
  `fuzz: ${inputs} inputs tried in ${seconds.toFixed(1)} s (seed ${seed}, ${runs} per reader and decoder; ` +
    `${shared ? 'with' : 'without'} the shared real samples)\n` +
    `  by target: ${report.join(', ')}\n` +
    `  slowest input: ${slowest.ms.toFixed(0)} ms (${slowest.what}); bound ${TIME_BOUND_MS} ms\n` +
    `  peak memory: ${peakMb.toFixed(0)} MiB resident; heap capped at ${heapLimitMb.toFixed(0)} MiB ` +
    `(readers' bounds: ${LIMITS.maxLineBytes / 1024} KiB a line, ${LIMITS.maxObjectsPerLine} objects a line)\n`,
);
