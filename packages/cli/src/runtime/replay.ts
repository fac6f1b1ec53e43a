/**
 * `egressguard replay`: files through the chain over event time. Input is OTLP JSON lines (one
 * ExportLogsServiceRequest per line, as the Collector's file exporter writes) or a sensor's own format read by
 * normalize; output is OTLP JSON lines, one line per batch that left the chain.
 */
import { statSync } from 'node:fs';
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';

import {
  boundedLines,
  openInputFile,
  type ProcessorCounters,
  type StageBalance,
  type StageTiming,
} from '@egressguard/core';
import { readSensorFile } from '@egressguard/normalize';
import { decodeLogsJson, encodeLogsJsonLine } from '@egressguard/otlp';
import {
  DetectionAttr,
  EventName,
  cloneRecord,
  eventTimeMs,
  getInt,
  type PipelineRecord,
} from '@egressguard/schema';

import type { ResolvedConfig } from '../config/load-config.ts';
import { buildPipeline, restorePipeline, savePipeline, type BuiltPipeline } from './pipelines.ts';

/** The input format name of OTLP JSON lines. */
export const OTLP_JSON_FORMAT = 'otlp-json';

/** Reports how far the replay is. */
export interface ReplayProgress {
  /** `done` and `total` are bytes of input when known; `records` counts records read so far. */
  update(done: number, total: number, records: number): void;
  end(): void;
}

/** Options of {@link replay}. */
export interface ReplayOptions {
  readonly config: ResolvedConfig;
  /** Files to read, in order; `-` is standard input. */
  readonly inputs: readonly string[];
  /** `otlp-json` (default), a sensor format name, or `auto`. */
  readonly format: string;
  /** host.name for sensor records whose input names no host (ss, tcplife, Zeek, auditd without node=). Default: this machine's. */
  readonly host?: string;
  /** Where OTLP JSON lines go. */
  readonly output: Writable;
  /** The state directory to restore from and save to; `undefined`: start empty, save nothing. */
  readonly stateDirectory?: string;
  /** Standard input, for the input `-`. */
  readonly stdin?: Readable;
  readonly progress?: ReplayProgress;
  /** Most detection and coverage records kept for the summary. Default 10000. */
  readonly keepRecords?: number;
  /** Sensor input lines per batch handed to the chain (smaller: closer to a live feed). Default 1000. */
  readonly batchLines?: number;
  /**
   * Longest OTLP JSON line read, in bytes; a longer line is skipped without being held whole and counted as
   * `line_too_long`. Default {@link OTLP_JSON_MAX_LINE_BYTES}. (Sensor lines have the sensor reader's own bound.)
   */
  readonly maxLineBytes?: number;
}

/**
 * The default longest OTLP JSON input line: 64 MiB. A line is one export request; the largest request an OTLP
 * receiver takes by default (the Collector's and egressguard's, 20 MiB of protobuf) is about 40 MiB as JSON.
 */
export const OTLP_JSON_MAX_LINE_BYTES = 64 * 1024 * 1024;

/** A problem with one input line or record. */
export interface InputProblem {
  readonly file: string;
  readonly line: number;
  /** The counter it was counted under (`unreadable_line`, `rejected_record`, or the sensor parser's reason). */
  readonly reason: string;
  readonly detail: string;
}

/** What a replay did, for the summary. */
export interface ReplayResult {
  /** Records read from the inputs. */
  readonly recordsIn: number;
  /** Records written to the output. */
  readonly recordsOut: number;
  /** Input lines or records that could not be read, by reason. */
  readonly rejected: Readonly<Record<string, number>>;
  /** The first input problems (at most 20), with file and line. */
  readonly problems: readonly InputProblem[];
  /** Counters of each stage, by pipeline id then stage id, in chain order. */
  readonly stages: Readonly<Record<string, Readonly<Record<string, ProcessorCounters>>>>;
  /**
   * What each stage did with records as the pipeline counted it (in, out, added, dropped, held, lost), by pipeline
   * id then stage id, in chain order.
   */
  readonly balance: Readonly<Record<string, Readonly<Record<string, StageBalance>>>>;
  /** How long each stage took (wall clock of the pipeline's calls into it), by pipeline id then stage id. */
  readonly timings: Readonly<Record<string, Readonly<Record<string, StageTiming>>>>;
  /**
   * How long the OTLP JSON codec took (wall clock of its calls): decoding input lines (0 for sensor input, which
   * normalize's readers parse) and encoding output lines. With {@link timings}, what is left of the replay's time is
   * reading, writing and the work between.
   */
  readonly codecTimings: CodecTimings;
  /** Records some stage lost (neither passed on, dropped with a counted reason nor held): 0 unless a stage is broken. */
  readonly recordsLost: number;
  /** Detection records that left the chain (at most `keepRecords`), revisions included. */
  readonly detections: readonly PipelineRecord[];
  /**
   * For each kept detection, how far the input had advanced in event time when it left the chain: the largest
   * event time of the connection records read until then (`NaN` before any). Minus the detection's own time, it
   * is the detection's latency in event time.
   */
  readonly detectionStreamMs: readonly number[];
  /** Detections that left the chain: first emissions, each an alert. */
  readonly detectionCount: number;
  /** Revisions of those detections (the same id with final or corrected evidence): updates, not alerts. */
  readonly revisionCount: number;
  /**
   * Coverage (blind-spot) records that left the chain (at most `keepRecords`): the whole blind-spot table, unreadable
   * sensor lines included (the reader hands them to the chain as `egressguard.unreadable_input` records).
   */
  readonly coverage: readonly PipelineRecord[];
}

/** Time spent in the OTLP JSON codec during a replay, ms. */
export interface CodecTimings {
  readonly decodeMs: number;
  readonly encodeMs: number;
}

const MAX_PROBLEMS = 20;

type Reject = (file: string, line: number, reason: string, detail: string, n?: number) => void;

/** Runs the inputs through every configured pipeline and writes what leaves them. */
export async function replay(options: ReplayOptions): Promise<ReplayResult> {
  const keep = options.keepRecords ?? 10_000;
  const maxLineBytes = options.maxLineBytes ?? OTLP_JSON_MAX_LINE_BYTES;
  if (!Number.isInteger(maxLineBytes) || maxLineBytes < 1)
    throw new Error(`egressguard: maxLineBytes must be a positive integer, got ${String(maxLineBytes)}`);
  const rejected: Record<string, number> = {};
  const problems: InputProblem[] = [];
  const detections: PipelineRecord[] = [];
  const detectionStreamMs: number[] = [];
  let streamMs = Number.NaN;
  const coverage: PipelineRecord[] = [];
  let recordsIn = 0;
  let recordsOut = 0;
  let detectionCount = 0;
  let revisionCount = 0;
  let writing: Promise<void> = Promise.resolve();
  const codecTimings = { decodeMs: 0, encodeMs: 0 };

  const reject: Reject = (file, line, reason, detail, n = 1) => {
    rejected[reason] = (rejected[reason] ?? 0) + n;
    if (problems.length < MAX_PROBLEMS) problems.push({ file, line, reason, detail });
  };
  const write = (records: PipelineRecord[]): Promise<void> => {
    if (records.length === 0) return writing;
    recordsOut += records.length;
    for (const r of records) {
      if (r.eventName === EventName.DETECTION) {
        if ((getInt(r.attributes, DetectionAttr.REVISION) ?? 0) > 0) revisionCount++;
        else detectionCount++;
        if (detections.length < keep) {
          detections.push(r);
          detectionStreamMs.push(streamMs);
        }
      } else if (r.eventName === EventName.COVERAGE && coverage.length < keep) coverage.push(r);
    }
    const encodeStart = performance.now();
    // Bytes, as the serializer makes them: never turned into a string and back.
    const line = encodeLogsJsonLine(records);
    codecTimings.encodeMs += performance.now() - encodeStart;
    // Writes are chained so that lines keep their order whichever path (a batch or a timer) produced them.
    writing = writing.then(async () => {
      if (!options.output.write(line)) await once(options.output, 'drain');
    });
    return writing;
  };

  // Every input is checked before anything is read or written: a typo in the last file name must not leave a
  // half-written output behind.
  const sizes = inputSizes(options.inputs);

  const pipelines: BuiltPipeline[] = options.config.pipelines.map((p) =>
    buildPipeline(options.config, p, (records) => write(records)),
  );
  if (options.stateDirectory !== undefined)
    for (const p of pipelines) restorePipeline(p, options.stateDirectory);

  const run = async (batch: PipelineRecord[]) => {
    for (const r of batch) {
      // The reader's counts of unreadable lines are records of the chain, not records read.
      if (r.eventName !== EventName.UNREADABLE_INPUT) recordsIn++;
      if (r.eventName !== EventName.CONNECTION) continue;
      const t = eventTimeMs(r);
      if (t !== undefined && !(t <= streamMs)) streamMs = t;
    }
    for (let i = 0; i < pipelines.length; i++) {
      const input = i === pipelines.length - 1 ? batch : batch.map(cloneRecord);
      await write(await pipelines[i].pipeline.process(input));
    }
  };

  const total = options.inputs.reduce((sum, f) => sum + sizes.get(f)!, 0);
  let doneBefore = 0;
  for (const file of options.inputs) {
    const size = sizes.get(file)!;
    const report = (bytes: number) => options.progress?.update(doneBefore + bytes, total, recordsIn);
    if (options.format === OTLP_JSON_FORMAT)
      await readOtlpJsonLines(file, options.stdin, maxLineBytes, run, reject, report, codecTimings);
    else await readSensor(file, options.format, options.host, options.batchLines, run, reject);
    doneBefore += size;
    report(0);
  }
  for (const p of pipelines) await write(await p.pipeline.shutdown());
  await writing;
  options.progress?.end();
  if (options.stateDirectory !== undefined)
    for (const p of pipelines) await savePipeline(p, options.stateDirectory);

  return {
    recordsIn,
    recordsOut,
    rejected,
    problems,
    stages: Object.fromEntries(pipelines.map((p) => [p.config.id, p.pipeline.counters()])),
    balance: Object.fromEntries(pipelines.map((p) => [p.config.id, p.pipeline.balance()])),
    timings: Object.fromEntries(pipelines.map((p) => [p.config.id, p.pipeline.timings()])),
    codecTimings,
    recordsLost: pipelines.reduce((n, p) => n + p.pipeline.recordsLost(), 0),
    detections,
    detectionStreamMs,
    detectionCount,
    revisionCount,
    coverage,
  };
}

/**
 * The size of each input (0 for `-` and for what has no size, such as a FIFO). Throws naming the input when one is
 * missing or is a directory, so that a caller can check every input before it opens its output.
 */
export function inputSizes(inputs: readonly string[]): Map<string, number> {
  return new Map(inputs.map((f) => [f, f === '-' ? 0 : inputSize(f)]));
}

function inputSize(file: string): number {
  let stat;
  try {
    stat = statSync(file);
  } catch (cause) {
    throw new Error(`egressguard: cannot read input ${file}`, { cause });
  }
  if (stat.isDirectory()) throw new Error(`egressguard: input ${file} is a directory, not a file`);
  // FIFOs and character devices (a process substitution, /dev/stdin) have no size but can be read.
  return stat.isFile() ? stat.size : 0;
}

async function readOtlpJsonLines(
  file: string,
  stdin: Readable | undefined,
  maxLineBytes: number,
  run: (batch: PipelineRecord[]) => Promise<void>,
  reject: Reject,
  report: (bytes: number) => void,
  timings: { decodeMs: number },
): Promise<void> {
  // A gzip-compressed file (recognised by its magic bytes) is decompressed as it is read; progress counts the
  // compressed bytes, which is what the file's size says.
  const opened = file === '-' ? undefined : openInputFile(file);
  const stream = opened?.stream ?? stdin ?? process.stdin;
  if (opened) await once(opened.file, 'open');
  let n = 0;
  // Lines are split as bytes, each decoded once; a UTF-8 byte order mark (a file saved by a Windows editor) and the
  // CR of CRLF line ends are removed. A line past the bound is never held whole: one hostile line of gigabytes does
  // not end the replay, nor does the rest of the file go unread.
  for await (const read of boundedLines(stream, maxLineBytes)) {
    n++;
    if (!('text' in read)) {
      reject(
        file,
        n,
        'line_too_long',
        `line of ${read.tooLongBytes} bytes is longer than ${maxLineBytes} bytes (maxLineBytes): skipped`,
      );
      continue;
    }
    const line = read.text;
    if (line.trim() === '') continue;
    let decoded: ReturnType<typeof decodeLogsJson>;
    const decodeStart = performance.now();
    try {
      decoded = decodeLogsJson(line);
    } catch (error) {
      // One unreadable line never takes the replay down: counted, named by file and line, and skipped.
      reject(
        file,
        n,
        'unreadable_line',
        `not an OTLP JSON ExportLogsServiceRequest: ${(error as Error).message}`,
      );
      continue;
    } finally {
      timings.decodeMs += performance.now() - decodeStart;
    }
    for (const r of decoded.rejected)
      reject(file, n, 'rejected_record', `log record ${r.index}: ${r.reason}`);
    if (decoded.records.length > 0) await run(decoded.records);
    if (n % 64 === 0) report(opened?.file.bytesRead ?? 0);
  }
}

async function readSensor(
  file: string,
  format: string,
  host: string | undefined,
  batchLines: number | undefined,
  run: (batch: PipelineRecord[]) => Promise<void>,
  reject: Reject,
): Promise<void> {
  // Unreadable lines go into the chain as egressguard.unreadable_input records, for the coverage report.
  const reader = readSensorFile(file, format, {
    ...(host !== undefined ? { host } : {}),
    ...(batchLines !== undefined ? { batchLines } : {}),
    reportUnreadable: true,
  });
  for await (const batch of reader) {
    // A bound or check of the reader (line_too_long, unrecognized, time_out_of_range, …) is counted under its own
    // name; a line the sensor's parser could not read, as unreadable_line.
    for (const e of batch.errors) reject(file, e.line, e.counter ?? 'unreadable_line', e.reason);
    if (batch.records.length > 0) await run(batch.records);
  }
}
