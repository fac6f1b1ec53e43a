/**
 * The contract every sensor format implements. A parser is stateful because real formats are: auditd spreads one
 * event over several lines that share a serial (and may interleave with other events), Zeek's TSV needs its
 * `#fields` header, `ss` polls are turned into per-socket deltas against the previous poll.
 */
import type { PipelineRecord, RecordResource } from '@egressguard/schema';

/** A line the parser could not read: counted and reported, never fatal. */
export interface ParseError {
  /** 1-based line number in the input (or record index for the processor). */
  readonly line: number;
  /** What was wrong, naming the field or section. */
  readonly reason: string;
  /**
   * The counter a reader or processor counts it under when it is a bound or a check of theirs rather than the
   * parser's (`line_too_long`, `too_many_objects`, `unrecognized`, `time_out_of_range`, …); unset for a line the
   * parser could not read.
   */
  readonly counter?: string;
}

/** What one `push` or `end` produced. */
export interface ParseOutput {
  readonly records: PipelineRecord[];
  readonly errors: ParseError[];
}

/** Options every parser accepts. */
export interface ParserOptions {
  /**
   * The resource for records whose input does not name its host (Zeek, ss, tcplife): records of one host share
   * this object. Formats that carry a host (auditd `node=`, Falco `hostname`, Auditbeat `host.name`) use
   * {@link ParserOptions.resourceFor} instead.
   */
  readonly defaultResource: RecordResource;
  /** The shared resource of a named host (same object for the same name). */
  readonly resourceFor: (hostName: string) => RecordResource;
}

/** A stateful parser of one input stream. */
export interface SensorParser {
  /** Feeds one line (without its newline) or one decoded JSON object; returns the records it completed. */
  push(input: string | Readonly<Record<string, unknown>>, line: number): ParseOutput;
  /** End of input: returns whatever the parser still held (an auditd event without its EOE, the last ss poll). */
  end(): ParseOutput;
  /**
   * Optional: what the parser skipped on purpose or bounded, by name (`ignored_af_unix`, `events_evicted`, …), so
   * that an ignored input is counted rather than silently lost. Counts since the parser was created.
   */
  counters?(): Readonly<Record<string, number>>;
  /** Optional: the state the parser holds (open events, pending connections) as plain JSON, for durable restarts. */
  snapshot?(): ParserSnapshot;
  /** Optional: replaces the parser's state with a {@link SensorParser.snapshot}; throws on an unknown version. */
  restore?(snapshot: ParserSnapshot): void;
}

/** A parser's state as plain JSON, versioned by the format that wrote it. */
export type ParserSnapshot = { readonly version: number } & Readonly<Record<string, unknown>>;

/** One sensor format. */
export interface SensorFormat {
  /** The name used by `replay --format` and the processor's `format` option (`auditd`, `zeek`, `ss`, …). */
  readonly name: string;
  /** One sentence: what the sensor is and what of it is read. */
  readonly description: string;
  /** The `egressguard.source.format` values its records carry. */
  readonly sourceFormats: readonly string[];
  /** Whether a line (or object) looks like this format; used when the format is `auto`. */
  recognize(input: string | Readonly<Record<string, unknown>>): boolean;
  createParser(options: ParserOptions): SensorParser;
}
