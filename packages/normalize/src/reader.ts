/**
 * Reads a sensor's own file for `egressguard replay --format`, plain or gzip-compressed (decompressed as it is
 * read): streamed line by line with a bound on a line's length,
 * framed into JSON objects where a JSON export is pretty-printed over several lines (or holds several objects on one
 * line), parsed by the format's parser, handed out in batches. Memory stays bounded by the batch size, the line,
 * object and objects-per-line bounds and the parser's own bounds, whatever the file holds. A malformed or skipped
 * line is counted and reported with its line number; it never stops the file.
 */
import { hostname } from 'node:os';

import { boundedLines, openInputFile } from '@egressguard/core';
import {
  ProvenanceAttr,
  ResourceAttr,
  createResource,
  eventTimeProblem,
  type PipelineRecord,
  type RecordResource,
} from '@egressguard/schema';

import type { ParseError, ParserOptions, SensorFormat, SensorParser } from './format.ts';
import { SENSOR_FORMAT_LIST, getFormat, recognizeFormat } from './formats/index.ts';
import { JsonFramer, type FramingError } from './internal/json-framer.ts';
import { UnreadableTally, unreadableSourceFormat } from './internal/unreadable.ts';

/** The reader's bounds when options leave them out. */
export const READER_DEFAULTS = {
  /** Longest line read, in bytes (1 MiB); a longer line is skipped and counted as `line_too_long`. */
  maxLineBytes: 1024 * 1024,
  /** Objects one line of concatenated JSON objects may hold; the rest of it is counted as `too_many_objects`. */
  maxObjectsPerLine: 1000,
  /** Largest JSON object framed across lines, in bytes (1 MiB); past it, counted as `object_too_large`. */
  maxJsonObjectBytes: 1024 * 1024,
  /** Input lines per batch. */
  batchLines: 1000,
  /** Malformed lines kept in the summary (all are counted). */
  maxErrorsKept: 1000,
} as const;

/** Options of {@link readSensorFile}. */
export interface ReadSensorFileOptions {
  /** Host name of records whose input does not name a host (Zeek, ss, tcplife, auditd without `node=`). Default: this machine's host name. */
  readonly host?: string;
  /** Input lines per batch. Default 1000. */
  readonly batchLines?: number;
  /** Longest line read, in bytes; a longer line is skipped (never held whole) and counted as `line_too_long`. Default 1 MiB. */
  readonly maxLineBytes?: number;
  /** JSON objects one line may hold (`{…}{…}`); the rest of the line is skipped and counted as `too_many_objects`. Default 1000. */
  readonly maxObjectsPerLine?: number;
  /** Largest JSON object accepted across lines, in bytes; a larger one is counted as `object_too_large`. Default 1 MiB. */
  readonly maxJsonObjectBytes?: number;
  /** Malformed lines kept in the summary (all are counted). Default 1000. */
  readonly maxErrorsKept?: number;
  /** The formats to choose from (to use formats built with non-default options). Default: every format. */
  readonly formats?: readonly SensorFormat[];
  /**
   * Add to each batch, after its records, one `egressguard.unreadable_input` record per source format with the count
   * of the batch's malformed or skipped inputs (as the `normalize` processor's `report_unreadable` does), so that a
   * coverage report in the chain counts them. With `auto`, inputs skipped before any format was recognised are
   * reported with the batch in which the first one is. Default: false.
   */
  readonly reportUnreadable?: boolean;
  /** Clock of the records' observed time (Unix ms), for tests. Default: `Date.now`. */
  readonly now?: () => number;
}

/** One batch of what the file yielded. */
export interface SensorFileBatch {
  readonly records: PipelineRecord[];
  readonly errors: ParseError[];
}

/** What reading the file found; complete once iteration has finished. */
export interface SensorFileSummary {
  readonly path: string;
  /** The format read (given, or the first a line was recognised as with `auto`). */
  format: string | undefined;
  /** Every format read, in the order first met (one unless an `auto` file mixes formats). */
  readonly formats: string[];
  /** Lines read. */
  lines: number;
  /** Records produced. */
  records: number;
  /** Records produced, by `egressguard.source.format`. */
  readonly recordsBySourceFormat: Record<string, number>;
  /** Malformed or skipped inputs (all of them, whatever the reason). */
  malformed: number;
  /**
   * Malformed or skipped inputs, by the format they were read as: with `auto`, the lines before the first recognised
   * one are counted under the format first recognised.
   */
  readonly malformedByFormat: Record<string, number>;
  /**
   * Skipped inputs by the reader's own counter: `line_too_long`, `too_many_objects`, `object_too_large`,
   * `unrecognized` (`auto`: before any line was recognised), `time_out_of_range` (a record dated
   * before 1970, after 2200 or not at all a number, dropped). Lines a parser could not read are in `malformed` only.
   */
  readonly skipped: Record<string, number>;
  /** The first malformed inputs, with line numbers and reasons (up to `maxErrorsKept`). */
  readonly malformedLines: ParseError[];
  /** What the parsers skipped on purpose or bounded (their `counters()`, summed), at the end of the file. */
  parserCounters: Readonly<Record<string, number>>;
}

/** An async iterable of batches with a summary that fills as it is read. */
export interface SensorFileReader extends AsyncIterable<SensorFileBatch> {
  readonly summary: SensorFileSummary;
}

/**
 * Reads a sensor file as batches of records. `format` is a format name or `auto`: each line is read by the format
 * that recognises it, or by the format of the line before when none does (a header's data rows, ss info lines), so
 * a file that mixes formats is read line by line; lines before the first recognised one are counted as
 * `unrecognized`. Unknown format names and bad options throw at once; with `auto`, a file of which no line at all is
 * recognised throws at its end, naming the file, the formats tried and its first line.
 */
export function readSensorFile(
  path: string,
  format: string,
  options: ReadSensorFileOptions = {},
): SensorFileReader {
  const formats = options.formats ?? SENSOR_FORMAT_LIST;
  const fixed = format === 'auto' ? undefined : (formats.find((f) => f.name === format) ?? getFormat(format));
  const batchLines = positiveInt(options, 'batchLines');
  const maxKept = positiveInt(options, 'maxErrorsKept', true);
  const maxLineBytes = positiveInt(options, 'maxLineBytes');
  const maxObjectsPerLine = positiveInt(options, 'maxObjectsPerLine');
  const maxJsonObjectBytes = positiveInt(options, 'maxJsonObjectBytes');
  const summary: SensorFileSummary = {
    path,
    format: fixed?.name,
    formats: fixed ? [fixed.name] : [],
    lines: 0,
    records: 0,
    recordsBySourceFormat: {},
    malformed: 0,
    malformedByFormat: {},
    skipped: {},
    malformedLines: [],
    parserCounters: {},
  };
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
  const now = options.now ?? Date.now;

  async function* batches(): AsyncGenerator<SensorFileBatch> {
    const framer = new JsonFramer(maxJsonObjectBytes, maxObjectsPerLine);
    const parsers = new Map<SensorFormat, SensorParser>();
    let current: SensorFormat | undefined = fixed;
    if (fixed) parsers.set(fixed, fixed.createParser(parserOptions));
    // `auto`: what was skipped before any format was known, counted under the first format recognised.
    let unattributed = 0;
    const unreadable = options.reportUnreadable ? new UnreadableTally() : undefined;
    let firstText: string | undefined;
    let records: PipelineRecord[] = [];
    let errors: ParseError[] = [];
    let pending = 0;

    const addError = (error: ParseError) => {
      errors.push(error);
      summary.malformed++;
      if (error.counter !== undefined)
        summary.skipped[error.counter] = (summary.skipped[error.counter] ?? 0) + 1;
      if (current) {
        summary.malformedByFormat[current.name] = (summary.malformedByFormat[current.name] ?? 0) + 1;
        unreadable?.add(parserOptions.defaultResource, unreadableSourceFormat(current));
      } else unattributed++;
      if (summary.malformedLines.length < maxKept) summary.malformedLines.push(error);
    };
    const addRecords = (out: readonly PipelineRecord[], line: number) => {
      for (const r of out) {
        // Checked here, before any later stage does arithmetic on it: a record dated 2^64 s or before 1970 is a
        // misread value, and one such time would drive windows and watermarks to nonsense.
        const problem = eventTimeProblem(r);
        if (problem !== undefined) {
          addError({ line, reason: `record dropped: ${problem}`, counter: 'time_out_of_range' });
          continue;
        }
        records.push(r);
        summary.records++;
        const sf = r.attributes[ProvenanceAttr.SOURCE_FORMAT];
        const key = typeof sf === 'string' ? sf : '(none)';
        summary.recordsBySourceFormat[key] = (summary.recordsBySourceFormat[key] ?? 0) + 1;
      }
    };
    const take = (): SensorFileBatch => {
      if (unreadable) records.push(...unreadable.take(now()));
      const batch = { records, errors };
      records = [];
      errors = [];
      pending = 0;
      return batch;
    };
    const switchTo = (chosen: SensorFormat): SensorParser => {
      let parser = parsers.get(chosen);
      if (!parser) {
        parser = chosen.createParser(parserOptions);
        parsers.set(chosen, parser);
        summary.formats.push(chosen.name);
      }
      if (!current) {
        summary.format = chosen.name;
        if (unattributed > 0) {
          summary.malformedByFormat[chosen.name] = unattributed;
          unreadable?.add(parserOptions.defaultResource, unreadableSourceFormat(chosen), unattributed);
        }
        unattributed = 0;
      }
      current = chosen;
      return parser;
    };
    const parserFor = (text: string): SensorParser | undefined => {
      if (fixed) return parsers.get(fixed);
      if (current && recognizes(current, text)) return parsers.get(current);
      const recognised = recognizeFormat(text, formats);
      if (recognised) return switchTo(recognised);
      return current ? parsers.get(current) : undefined;
    };

    // Gzip-compressed files (recognised by their magic bytes) are decompressed as they are read.
    const { stream } = openInputFile(path);
    try {
      for await (const read of boundedLines(stream, maxLineBytes)) {
        const lineNo = ++summary.lines;
        pending++;
        if ('tooLongBytes' in read) {
          const cut = framer.end();
          if (cut) addError(framingError(cut));
          addError({
            line: lineNo,
            reason: `line of ${read.tooLongBytes} bytes is longer than ${maxLineBytes} bytes (maxLineBytes): skipped`,
            counter: 'line_too_long',
          });
        } else {
          for (const unit of framer.push(read.text, lineNo)) {
            if ('error' in unit) {
              addError(framingError(unit));
              continue;
            }
            if (unit.text.trim() === '') continue;
            firstText ??= unit.text;
            const parser = parserFor(unit.text);
            if (!parser) {
              addError({
                line: unit.line,
                reason: 'no sensor format recognises this line (nor any before it)',
                counter: 'unrecognized',
              });
              continue;
            }
            const out = safePush(parser, unit.text, unit.line);
            addRecords(out.records, unit.line);
            for (const e of out.errors) addError(e);
          }
        }
        if (pending >= batchLines && (records.length > 0 || errors.length > 0)) yield take();
      }
    } finally {
      stream.destroy();
    }
    const unclosed = framer.end();
    if (unclosed) addError(framingError(unclosed));
    const counters: Record<string, number> = {};
    for (const [f, parser] of parsers) {
      current = f;
      const out = safeEnd(parser);
      addRecords(out.records, summary.lines);
      for (const e of out.errors) addError(e);
      for (const [k, v] of Object.entries(parser.counters?.() ?? {})) counters[k] = (counters[k] ?? 0) + v;
    }
    summary.parserCounters = counters;
    if (records.length > 0 || errors.length > 0) yield take();
    if (!fixed && parsers.size === 0 && summary.lines > 0) {
      summary.malformedByFormat['auto'] = unattributed;
      throw new Error(nothingRecognised(path, formats, firstText));
    }
  }

  return {
    summary,
    [Symbol.asyncIterator]: () => batches(),
  };
}

/** The message when `auto` recognised no line of a file: the file, what was tried, and what its first line is. */
function nothingRecognised(
  path: string,
  formats: readonly SensorFormat[],
  firstText: string | undefined,
): string {
  const sample =
    firstText === undefined
      ? 'it has no line short enough to read'
      : `its first line is ${JSON.stringify(firstText.length > 120 ? `${firstText.slice(0, 120)}…` : firstText)}`;
  return (
    `egressguard: no sensor format recognises any line of ${path} (tried ${formats.map((f) => f.name).join(', ')}); ` +
    `${sample}. Name the format with --format when the file is one of these, else it is not sensor output`
  );
}

function framingError(e: FramingError): ParseError {
  return e.counter === undefined
    ? { line: e.line, reason: e.error }
    : { line: e.line, reason: e.error, counter: e.counter };
}

function recognizes(format: SensorFormat, text: string): boolean {
  try {
    return format.recognize(text);
  } catch {
    return false;
  }
}

function positiveInt(
  options: ReadSensorFileOptions,
  key: keyof typeof READER_DEFAULTS,
  zeroAllowed = false,
): number {
  const value = options[key] ?? READER_DEFAULTS[key];
  if (!Number.isSafeInteger(value) || value < (zeroAllowed ? 0 : 1))
    throw new RangeError(
      `readSensorFile: ${key} must be a ${zeroAllowed ? 'non-negative' : 'positive'} integer, got ${value}`,
    );
  return value;
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

function safeEnd(parser: SensorParser): { records: PipelineRecord[]; errors: ParseError[] } {
  try {
    const out = parser.end();
    return { records: out.records, errors: out.errors };
  } catch (cause) {
    return {
      records: [],
      errors: [
        {
          line: 0,
          reason: `parser failed at end of input: ${cause instanceof Error ? cause.message : String(cause)}`,
        },
      ],
    };
  }
}
