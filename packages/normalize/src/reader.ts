/**
 * Reads a sensor's own file for `egressguard replay --format`, plain or gzip-compressed: streamed line by line
 * (node:readline), framed into
 * JSON objects where a JSON export is pretty-printed over several lines, parsed by one format's parser, handed out
 * in batches. Memory stays bounded by the batch size, the JSON object bound and the parser's own bounds, whatever
 * the file size. A malformed line is counted and reported with its line number; it never stops the file.
 */
import { hostname } from 'node:os';
import { createInterface } from 'node:readline';

import { openInputFile } from '@egressguard/core';
import {
  ProvenanceAttr,
  ResourceAttr,
  createResource,
  type PipelineRecord,
  type RecordResource,
} from '@egressguard/schema';

import type { ParseError, ParserOptions, SensorFormat, SensorParser } from './format.ts';
import { SENSOR_FORMAT_LIST, getFormat, recognizeFormat } from './formats/index.ts';
import { JsonFramer } from './internal/json-framer.ts';

/** Options of {@link readSensorFile}. */
export interface ReadSensorFileOptions {
  /** Host name of records whose input does not name a host (Zeek, ss, tcplife, auditd without `node=`). Default: this machine's host name. */
  readonly host?: string;
  /** Input lines per batch. Default 1000. */
  readonly batchLines?: number;
  /** Largest JSON object accepted across lines, in bytes. Default 1 MiB. */
  readonly maxJsonObjectBytes?: number;
  /** Malformed lines kept in the summary (all are counted). Default 1000. */
  readonly maxErrorsKept?: number;
  /** The formats to choose from (to use formats built with non-default options). Default: every format. */
  readonly formats?: readonly SensorFormat[];
}

/** One batch of what the file yielded. */
export interface SensorFileBatch {
  readonly records: PipelineRecord[];
  readonly errors: ParseError[];
}

/** What reading the file found; complete once iteration has finished. */
export interface SensorFileSummary {
  readonly path: string;
  /** The format read (given, or recognised from the first input a format recognised). */
  format: string | undefined;
  /** Lines read. */
  lines: number;
  /** Records produced. */
  records: number;
  /** Records produced, by `egressguard.source.format`. */
  readonly recordsBySourceFormat: Record<string, number>;
  /** Malformed inputs (all of them). */
  malformed: number;
  /** Malformed inputs, by the format that could not read them. */
  readonly malformedByFormat: Record<string, number>;
  /** The first malformed inputs, with line numbers and reasons (up to `maxErrorsKept`). */
  readonly malformedLines: ParseError[];
  /** What the parser skipped on purpose or bounded (its `counters()`), at the end of the file. */
  parserCounters: Readonly<Record<string, number>>;
}

/** An async iterable of batches with a summary that fills as it is read. */
export interface SensorFileReader extends AsyncIterable<SensorFileBatch> {
  readonly summary: SensorFileSummary;
}

/**
 * Reads a sensor file as batches of records. `format` is a format name or `auto` (recognised from the first input
 * a format recognises; inputs before that are malformed). Unknown format names throw at once.
 */
export function readSensorFile(
  path: string,
  format: string,
  options: ReadSensorFileOptions = {},
): SensorFileReader {
  const formats = options.formats ?? SENSOR_FORMAT_LIST;
  let chosen: SensorFormat | undefined;
  if (format !== 'auto') {
    chosen = formats.find((f) => f.name === format) ?? getFormat(format);
  }
  const summary: SensorFileSummary = {
    path,
    format: chosen?.name,
    lines: 0,
    records: 0,
    recordsBySourceFormat: {},
    malformed: 0,
    malformedByFormat: {},
    malformedLines: [],
    parserCounters: {},
  };
  const batchLines = options.batchLines ?? 1000;
  const maxKept = options.maxErrorsKept ?? 1000;
  const resources = new Map<string, RecordResource>();
  const resourceFor = (host: string): RecordResource => {
    let r = resources.get(host);
    if (!r) {
      r = createResource({ [ResourceAttr.HOST_NAME]: host });
      resources.set(host, r);
    }
    return r;
  };
  const parserOptions: ParserOptions = {
    defaultResource: resourceFor(options.host ?? hostname()),
    resourceFor,
  };

  async function* batches(): AsyncGenerator<SensorFileBatch> {
    const framer = new JsonFramer(options.maxJsonObjectBytes ?? 1024 * 1024);
    let parser: SensorParser | undefined = chosen?.createParser(parserOptions);
    let records: PipelineRecord[] = [];
    let errors: ParseError[] = [];
    let pending = 0;

    const addError = (error: ParseError, formatName: string) => {
      errors.push(error);
      summary.malformed++;
      summary.malformedByFormat[formatName] = (summary.malformedByFormat[formatName] ?? 0) + 1;
      if (summary.malformedLines.length < maxKept) summary.malformedLines.push(error);
    };
    const addRecords = (out: readonly PipelineRecord[]) => {
      for (const r of out) {
        records.push(r);
        const sf = r.attributes[ProvenanceAttr.SOURCE_FORMAT];
        const key = typeof sf === 'string' ? sf : '(none)';
        summary.recordsBySourceFormat[key] = (summary.recordsBySourceFormat[key] ?? 0) + 1;
      }
      summary.records += out.length;
    };
    const take = (): SensorFileBatch => {
      const batch = { records, errors };
      records = [];
      errors = [];
      pending = 0;
      return batch;
    };

    // Gzip-compressed files (recognised by their magic bytes) are decompressed as they are read.
    const { stream } = openInputFile(path);
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    try {
      for await (const raw of lines) {
        summary.lines++;
        pending++;
        for (const unit of framer.push(raw, summary.lines)) {
          if ('error' in unit) {
            addError({ line: unit.line, reason: unit.error }, chosen?.name ?? 'auto');
            continue;
          }
          if (unit.text.trim() === '') continue;
          if (!parser) {
            const recognised = recognizeFormat(unit.text, formats);
            if (!recognised) {
              addError({ line: unit.line, reason: 'no sensor format recognises this input' }, 'auto');
              continue;
            }
            chosen = recognised;
            summary.format = recognised.name;
            parser = recognised.createParser(parserOptions);
          }
          const out = safePush(parser, unit.text, unit.line);
          addRecords(out.records);
          for (const e of out.errors) addError(e, chosen!.name);
        }
        if (pending >= batchLines && (records.length > 0 || errors.length > 0)) yield take();
      }
    } finally {
      lines.close();
      stream.destroy();
    }
    const unclosed = framer.end();
    if (unclosed) addError({ line: unclosed.line, reason: unclosed.error }, chosen?.name ?? 'auto');
    if (parser) {
      const out = parser.end();
      addRecords(out.records);
      for (const e of out.errors) addError(e, chosen!.name);
      summary.parserCounters = parser.counters?.() ?? {};
    }
    if (records.length > 0 || errors.length > 0) yield take();
  }

  return {
    summary,
    [Symbol.asyncIterator]: () => batches(),
  };
}

/** A parser that throws on one input (a bug) must not stop the file: the input is reported as malformed. */
function safePush(
  parser: SensorParser,
  text: string,
  line: number,
): { records: PipelineRecord[]; errors: ParseError[] } {
  try {
    const out = parser.push(text, line);
    return { records: out.records, errors: out.errors };
  } catch (cause) {
    return {
      records: [],
      errors: [{ line, reason: `parser failed: ${cause instanceof Error ? cause.message : String(cause)}` }],
    };
  }
}
