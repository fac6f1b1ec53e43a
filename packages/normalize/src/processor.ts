/**
 * The `normalize` processor: turns raw sensor records (a line of text or a decoded map in the body, as the
 * Collector's filelog receiver delivers them) into the schema's connection and process records.
 *
 * Parsers are stateful (auditd events span lines, Tetragon connections span connect and close), so one parser is
 * kept per incoming resource and format: lines of one host's audit.log go to one parser whichever batch they come
 * in. Records already in the schema (event name `egressguard.*`) pass untouched, so the processor can sit in a
 * pipeline that mixes raw sensor lines with records other agents already normalised.
 */
import type { ProcessorContext, ProcessorDescription, ProcessorCounters } from '@egressguard/core';
import { attributesToState, BaseProcessor, entryBound } from '@egressguard/core';
import {
  ConnectionAttr,
  HttpAttr,
  EventName,
  NetworkAttr,
  ProcessAttr,
  ProvenanceAttr,
  ResourceAttr,
  UnreadableInputAttr,
  createResource,
  eventTimeProblem,
  type PipelineRecord,
  type RecordAttributes,
  type RecordResource,
} from '@egressguard/schema';
import { LRUCache } from 'lru-cache';

import type { NormalizeConfig } from './config.ts';
import type { ParseError, ParserOptions, SensorFormat, SensorParser } from './format.ts';
import { createAuditdFormat } from './formats/auditd.ts';
import { SENSOR_FORMAT_LIST, recognizeFormat } from './formats/index.ts';
import { createTetragonFormat } from './formats/tetragon.ts';
import { auditdParserState, tetragonParserState } from './internal/parser-state.ts';
import { normalizeState, type NormalizeState, type ParserEntry } from './internal/state.ts';
import { inputOf, streamKey, tooLong } from './internal/raw-input.ts';
import { Tally } from './internal/tally.ts';
import { UnreadableTally, unreadableSourceFormat } from './internal/unreadable.ts';

/** Metadata of the `normalize` processor. */
export const normalizeDescription: ProcessorDescription = {
  type: 'normalize',
  description:
    'Parses raw sensor output (auditd, Sysmon for Linux, Tetragon, Falco, Zeek, Auditbeat, tcplife, ss) into egressguard connection and process records.',
  stability: 'alpha',
  reads: { events: [], attributes: [ResourceAttr.HOST_NAME], body: 'a raw sensor line or a decoded map' },
  writes: {
    events: [
      EventName.CONNECTION,
      EventName.PROCESS_EXEC,
      EventName.PROCESS_EXIT,
      EventName.UNREADABLE_INPUT,
    ],
    attributes: [
      ProcessAttr.PID,
      ProcessAttr.PARENT_PID,
      ProcessAttr.EXECUTABLE_PATH,
      ProcessAttr.EXECUTABLE_NAME,
      ProcessAttr.COMMAND_LINE,
      ProcessAttr.OWNER,
      ProcessAttr.USER_ID,
      ProcessAttr.CREATION_TIME,
      ProcessAttr.CONTAINER_ID,
      ProcessAttr.EXIT_TIME,
      ProcessAttr.EXIT_CODE,
      NetworkAttr.TRANSPORT,
      NetworkAttr.TYPE,
      NetworkAttr.SOURCE_ADDRESS,
      NetworkAttr.SOURCE_PORT,
      NetworkAttr.DESTINATION_ADDRESS,
      NetworkAttr.DESTINATION_PORT,
      NetworkAttr.SERVER_ADDRESS,
      ConnectionAttr.OUTCOME,
      ConnectionAttr.BYTES_SENT,
      ConnectionAttr.BYTES_RECEIVED,
      ConnectionAttr.DURATION_MS,
      HttpAttr.REQUEST_METHOD,
      HttpAttr.RESPONSE_STATUS_CODE,
      HttpAttr.URL_FULL,
      HttpAttr.REQUEST_BODY_SIZE,
      HttpAttr.RESPONSE_BODY_SIZE,
      ProvenanceAttr.SOURCE_FORMAT,
      ProvenanceAttr.SOURCE_ID,
      ProvenanceAttr.BYTES_KIND,
      UnreadableInputAttr.COUNT,
    ],
  },
};

const MAX_HOST_RESOURCES = 10_000;

/** One parser and the resource of the stream it reads. */
interface Slot {
  readonly key: string;
  readonly format: SensorFormat;
  readonly resourceAttributes: RecordAttributes;
  /** The resource of the latest input record of this stream; output records share it. */
  readonly current: { resource: RecordResource };
  readonly parser: SensorParser;
}

/** The formats a configuration selects from: every format, auditd and Tetragon with the configured bounds. */
function configuredFormats(config: NormalizeConfig): SensorFormat[] {
  const auditd = createAuditdFormat({
    maxOpenEvents: config.auditd_max_open_events,
    completeAfterSerials: config.auditd_complete_after_serials,
    completeAfterMs: config.auditd_complete_after_ms,
  });
  const tetragon = createTetragonFormat({ maxOpenConnections: config.tetragon_max_open_connections });
  return SENSOR_FORMAT_LIST.map((f) =>
    f.name === auditd.name ? auditd : f.name === tetragon.name ? tetragon : f,
  );
}

function hasHost(resource: RecordResource): boolean {
  const host = resource.attributes[ResourceAttr.HOST_NAME];
  return typeof host === 'string' && host !== '';
}

/** Turns raw sensor records into schema records. */
export class NormalizeProcessor extends BaseProcessor<NormalizeState> {
  private readonly config: NormalizeConfig;
  private readonly formats: SensorFormat[];
  private readonly fixed: SensorFormat | undefined;
  private readonly slots = new Map<string, Slot>();
  private readonly hostResources = new LRUCache<string, RecordResource>(entryBound(MAX_HOST_RESOURCES));
  /** Parser counters of parsers already ended, so that counters survive eviction and flush. */
  private readonly retired = new Tally();
  private readonly lastFormat: LRUCache<string, SensorFormat>;
  private unrecognized = 0;
  private tooLongLines = 0;
  private outOfRange = 0;
  /** Unreadable lines of the batch (or flush) under way, when `report_unreadable` is on. */
  private readonly unreadable = new UnreadableTally();

  constructor(config: NormalizeConfig, context: ProcessorContext) {
    super(context, normalizeState);
    this.config = config;
    this.formats = configuredFormats(config);
    this.lastFormat = new LRUCache(entryBound(config.max_parsers));
    this.fixed = config.format === 'auto' ? undefined : this.formats.find((f) => f.name === config.format);
  }

  protected processBatch(batch: PipelineRecord[]): PipelineRecord[] {
    const out: PipelineRecord[] = [];
    for (let i = 0; i < batch.length; i++) {
      const record = batch[i];
      if (record.eventName?.startsWith('egressguard.')) {
        out.push(record);
        continue;
      }
      const input = inputOf(record.body);
      if (input === undefined) {
        this.malformed({ line: i, reason: 'body is neither a text line nor a map' }, undefined, true);
        this.countUnreadable(record.resource, this.fixed);
        continue;
      }
      if (typeof input === 'string' && tooLong(input, this.config.max_line_bytes)) {
        // Never handed to a parser: one hostile line must not cost time or memory in proportion to its length.
        this.stats.drop('line_too_long');
        this.tooLongLines++;
        this.countUnreadable(record.resource, this.fixed ?? this.lastFormat.peek(streamKey(record.resource)));
        if (this.tooLongLines === 1 || this.tooLongLines % 1000 === 0)
          this.report(
            'line_too_long',
            `record ${i}: body longer than max_line_bytes (${this.config.max_line_bytes} bytes), dropped unread (${this.tooLongLines} so far)`,
          );
        continue;
      }
      const format = this.fixed ?? this.formatOf(input, record.resource);
      if (!format) {
        this.unrecognized++;
        if (this.config.on_unrecognized === 'pass') {
          this.stats.count('unrecognized');
          out.push(record);
        } else {
          this.stats.drop('unrecognized');
          this.countUnreadable(record.resource, undefined);
        }
        if (this.unrecognized === 1 || this.unrecognized % 1000 === 0) {
          this.report(
            'unrecognized',
            `record ${i}: no sensor format recognises its body (${this.unrecognized} so far)`,
          );
        }
        continue;
      }
      const slot = this.slotFor(record.resource, format, out);
      slot.current.resource = record.resource;
      let produced: PipelineRecord[];
      let errors: ParseError[];
      try {
        const result = slot.parser.push(input, i);
        produced = result.records;
        errors = result.errors;
      } catch (cause) {
        produced = [];
        errors = [
          {
            line: i,
            reason: `${format.name} parser failed: ${cause instanceof Error ? cause.message : String(cause)}`,
          },
        ];
      }
      // Each raw record is dropped once: as malformed when the parser rejected it, else as parsed (what it carried
      // goes on in the records the parser produces now or later, which are new records).
      let rejected = false;
      for (const e of errors) {
        const own: boolean = e.line === i && !rejected;
        this.malformed(e, format.name, own);
        rejected ||= own;
      }
      this.countUnreadable(record.resource, format, errors.length);
      const outOfRange = this.emit(produced, out);
      this.countUnreadable(record.resource, format, outOfRange);
      if (!rejected && outOfRange > 0 && outOfRange === produced.length && produced.length === 1) {
        // The one record this line produced or completed is dated out of range: the line is dropped for it.
        this.stats.drop('time_out_of_range');
      } else {
        if (!rejected) this.stats.drop('parsed');
        // Records of other lines (an auditd event completed by this one), or some of several: counted as events.
        if (outOfRange > 0) this.stats.count('time_out_of_range', outOfRange);
      }
      if (produced.length === 0 && errors.length === 0) this.stats.count('consumed');
    }
    out.push(...this.unreadable.take(this.context.now()));
    return out;
  }

  protected override flushState(): PipelineRecord[] {
    const out: PipelineRecord[] = [];
    for (const slot of [...this.slots.values()]) this.endSlot(slot, out);
    out.push(...this.unreadable.take(this.context.now()));
    return out;
  }

  protected override snapshotState(): NormalizeState {
    const parsers: ParserEntry[] = [];
    for (const slot of this.slots.values()) {
      const state = slot.parser.snapshot?.();
      if (state === undefined) continue;
      const resource = attributesToState(slot.resourceAttributes);
      const format = slot.format.name;
      if (format === 'auditd') parsers.push({ resource, format, state: auditdParserState.parse(state) });
      else if (format === 'tetragon')
        parsers.push({ resource, format, state: tetragonParserState.parse(state) });
      else
        throw new Error(`${this.context.id}: sensor format "${format}" has state this version cannot save`);
    }
    return { parsers };
  }

  protected override restoreState(state: NormalizeState): void {
    this.slots.clear();
    for (const entry of state.parsers) {
      const format = this.formats.find((f) => f.name === entry.format);
      if (!format)
        throw new Error(
          `${this.context.id}: snapshot holds state of unknown sensor format "${entry.format}"`,
        );
      const slot = this.createSlot(createResource(entry.resource), format);
      if (!slot.parser.restore)
        throw new Error(`${this.context.id}: sensor format "${entry.format}" cannot restore state`);
      slot.parser.restore(entry.state);
    }
  }

  protected override stateSize(): { entries: number; maxEntries: number } {
    return { entries: this.slots.size, maxEntries: this.config.max_parsers };
  }

  protected override close(): void {
    this.slots.clear();
    this.hostResources.clear();
  }

  /** The counters, with what the parsers skipped on purpose or bounded (ignored AF_UNIX connects, evictions…). */
  override counters(): ProcessorCounters {
    const base = super.counters();
    const events: Record<string, number> = { ...base.events };
    const add = (counts: Readonly<Record<string, number>>) => {
      for (const [k, v] of Object.entries(counts)) {
        if (k.startsWith('open_')) continue;
        events[k] = (events[k] ?? 0) + v;
      }
    };
    add(this.retired.view());
    for (const slot of this.slots.values()) add(slot.parser.counters?.() ?? {});
    return { ...base, events };
  }

  /**
   * Passes on what a parser produced, except records dated outside 1970..2200 (or not at all a number): checked here,
   * where sensor lines enter the chain, before any later stage does window or watermark arithmetic on such a time.
   * Returns how many it rejected (reported here; the caller counts them, see `processBatch`).
   */
  private emit(produced: readonly PipelineRecord[], out: PipelineRecord[]): number {
    let rejected = 0;
    for (const record of produced) {
      const problem = eventTimeProblem(record);
      if (problem === undefined) {
        out.push(record);
        continue;
      }
      rejected++;
      this.outOfRange++;
      if (this.outOfRange === 1 || this.outOfRange % 1000 === 0)
        this.report(
          'time_out_of_range',
          `a ${record.eventName ?? 'record'} was dropped (${this.outOfRange} so far): ${problem}`,
        );
    }
    return rejected;
  }

  /**
   * `auto`: the format that recognises the input, else the format last recognised on this resource's stream (the
   * data rows under a tcplife or Zeek header, ss info lines: lines no format recognises alone), else none.
   */
  private formatOf(
    input: string | Readonly<Record<string, unknown>>,
    resource: RecordResource,
  ): SensorFormat | undefined {
    const key = streamKey(resource);
    const recognised = recognizeFormat(input, this.formats);
    if (recognised) {
      this.lastFormat.set(key, recognised);
      return recognised;
    }
    return this.lastFormat.get(key);
  }

  /**
   * Reports a parse error. `dropsRecord`: the error is about the current input record, which is dropped for it;
   * otherwise it is about records already parsed (an auditd event ended incomplete) and is counted as an event.
   */
  private malformed(error: ParseError, format: string | undefined, dropsRecord: boolean): void {
    if (dropsRecord) this.stats.drop('malformed');
    else this.stats.count('malformed_event');
    this.report('malformed', `record ${error.line}${format ? ` (${format})` : ''}: ${error.reason}`);
  }

  /** Counts `n` unreadable lines of the stream of `resource` for an `egressguard.unreadable_input` record. */
  private countUnreadable(resource: RecordResource, format: SensorFormat | undefined, n = 1): void {
    if (this.config.report_unreadable && n > 0)
      this.unreadable.add(resource, unreadableSourceFormat(format), n);
  }

  private slotFor(resource: RecordResource, format: SensorFormat, out: PipelineRecord[]): Slot {
    const key = `${format.name}\u0000${JSON.stringify(resource.attributes)}`;
    const existing = this.slots.get(key);
    if (existing) {
      // Re-insert: the map's order is least recently used first.
      this.slots.delete(key);
      this.slots.set(key, existing);
      return existing;
    }
    const slot = this.createSlot(resource, format);
    if (this.slots.size > this.config.max_parsers) {
      const oldest = this.slots.values().next().value!;
      this.stats.count('parsers_evicted');
      this.endSlot(oldest, out);
    }
    return slot;
  }

  private createSlot(resource: RecordResource, format: SensorFormat): Slot {
    const resourceAttributes = { ...resource.attributes };
    const key = `${format.name}\u0000${JSON.stringify(resourceAttributes)}`;
    // The parser reads its resources through the slot, so records always share the latest incoming resource.
    const current = { resource };
    const options: ParserOptions = {
      get defaultResource() {
        return current.resource;
      },
      resourceFor: (host: string) => (hasHost(current.resource) ? current.resource : this.hostResource(host)),
    };
    const slot: Slot = { key, format, resourceAttributes, current, parser: format.createParser(options) };
    this.slots.set(key, slot);
    return slot;
  }

  private hostResource(host: string): RecordResource {
    let r = this.hostResources.get(host);
    if (!r) {
      r = createResource({ [ResourceAttr.HOST_NAME]: host });
      this.hostResources.set(host, r);
    }
    return r;
  }

  private endSlot(slot: Slot, out: PipelineRecord[]): void {
    this.slots.delete(slot.key);
    try {
      const result = slot.parser.end();
      for (const e of result.errors) this.malformed(e, slot.format.name, false);
      // The lines these records came from were counted when consumed: a rejected record is an event here.
      const rejected = this.emit(result.records, out);
      if (rejected > 0) this.stats.count('time_out_of_range', rejected);
      this.countUnreadable(slot.current.resource, slot.format, result.errors.length + rejected);
    } catch (cause) {
      this.report('parser_end_failed', `${slot.format.name} parser failed at end of stream`, cause);
    }
    const counts = slot.parser.counters?.() ?? {};
    for (const [k, v] of Object.entries(counts)) if (!k.startsWith('open_')) this.retired.add(k, v);
  }
}
