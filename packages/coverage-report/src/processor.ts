/**
 * The `coverage_report` processor: the blind-spot report in a pipeline. Every record passes through untouched;
 * connection records are counted per event-time period, host and source format, and when a period is over (the
 * event-time watermark has passed its end plus the allowed lateness) one `egressguard.coverage` record per host and
 * source format is emitted with the counts. Placed after process attribution, "with process" counts what the
 * enricher found too. Input lines that could not be read never became connection records: `normalize` (with
 * `report_unreadable`) and the replay reader count them in `egressguard.unreadable_input` records, which this stage
 * takes in (dropped, counted as `unreadable_input`) and adds to the `malformed` figure of their host and source format.
 */
import type { ProcessorContext, ProcessorDescription } from '@egressguard/core';
import { BaseProcessor, EventTimeWatermark, attributesToState } from '@egressguard/core';
import {
  CoverageAttr,
  EventName,
  ConnectionAttr,
  HttpAttr,
  ProcessAttr,
  ProvenanceAttr,
  ResourceAttr,
  UnreadableInputAttr,
  createResource,
  eventTimeMs,
  getInt,
  hostName,
  msToHrTime,
  PipelineRecord,
  type RecordResource,
  type RecordScope,
} from '@egressguard/schema';

import type { CoverageReportConfig } from './config.ts';
import { UNKNOWN_FORMAT, UNKNOWN_HOST, coverageOf } from './internal/coverage.ts';
import { coverageReportState, type CoverageReportState } from './internal/state.ts';

/**
 * The instrumentation scope of the report records: the stage was part of `@egressguard/normalize` when the record
 * format was set, and consumers may select the records by it.
 */
const REPORT_SCOPE: RecordScope = { name: '@egressguard/normalize', version: '0.1.0' };

/** Metadata of the `coverage_report` processor. */
export const coverageReportDescription: ProcessorDescription = {
  type: 'coverage_report',
  description:
    'Blind-spot report: per host and source format and event-time period, how many connection records had a process, bytes and real HTTP semantics.',
  stability: 'alpha',
  reads: {
    events: [EventName.CONNECTION, EventName.UNREADABLE_INPUT],
    attributes: [
      ProvenanceAttr.SOURCE_FORMAT,
      UnreadableInputAttr.COUNT,
      ProcessAttr.PID,
      ProcessAttr.EXECUTABLE_PATH,
      ProcessAttr.EXECUTABLE_NAME,
      ConnectionAttr.BYTES_SENT,
      ConnectionAttr.BYTES_RECEIVED,
      HttpAttr.REQUEST_METHOD,
      HttpAttr.RESPONSE_STATUS_CODE,
      HttpAttr.URL_FULL,
    ],
  },
  writes: {
    events: [EventName.COVERAGE],
    attributes: [
      CoverageAttr.PERIOD_START,
      CoverageAttr.PERIOD_END,
      CoverageAttr.CONNECTIONS,
      CoverageAttr.WITH_PROCESS,
      CoverageAttr.WITH_BYTES,
      CoverageAttr.WITH_HTTP,
      CoverageAttr.MALFORMED,
    ],
  },
};

/** The host label of keys past `max_keys`. */
export const OVERFLOW_HOST = '(overflow)';

interface Entry {
  readonly host: string;
  readonly format: string;
  readonly resource: RecordResource;
  connections: number;
  withProcess: number;
  withBytes: number;
  withHttp: number;
  /** Unreadable input lines, from `egressguard.unreadable_input` records. */
  malformed: number;
}

/** Counts coverage per period and emits `egressguard.coverage` records. */
export class CoverageReportProcessor extends BaseProcessor<CoverageReportState> {
  private readonly config: CoverageReportConfig;
  private watermark: EventTimeWatermark;
  /** Open periods by start (Unix ms), each with its entries by host and format. */
  private readonly periods = new Map<number, Map<string, Entry>>();
  /**
   * The entry the last connection went to, with its period's entries: the records of a request come host by host,
   * so the next one mostly goes there too, found without building and hashing its key. An overflow entry's host
   * and format are `(overflow)`: a connection that overflows never matches it here, and is counted each time. Two
   * fields rather than a pair, so that moving on to another entry allocates nothing.
   */
  private lastEntries: Map<string, Entry> | undefined;
  private lastEntry: Entry | undefined;

  constructor(config: CoverageReportConfig, context: ProcessorContext) {
    super(context, coverageReportState);
    this.config = config;
    this.watermark = new EventTimeWatermark({ allowedLatenessMs: config.allowed_lateness_ms });
  }

  protected processBatch(batch: PipelineRecord[]): PipelineRecord[] {
    let unreadable = 0;
    for (const record of batch) {
      if (record.eventName === EventName.UNREADABLE_INPUT) {
        unreadable++;
        this.addUnreadable(record);
        continue;
      }
      if (record.eventName !== EventName.CONNECTION) continue;
      const t = eventTimeMs(record);
      if (t === undefined) {
        this.stats.count('without_time');
        continue;
      }
      const start = Math.floor(t / this.config.period_ms) * this.config.period_ms;
      if (this.watermark.isFinal(start + this.config.period_ms)) {
        // Its period was already reported: counted, not folded into another period.
        this.stats.count('late');
        continue;
      }
      this.add(start, record);
      this.watermark.observe(t);
    }
    const out =
      unreadable === 0 ? batch.slice() : batch.filter((r) => r.eventName !== EventName.UNREADABLE_INPUT);
    for (const start of [...this.periods.keys()].sort((a, b) => a - b)) {
      if (this.watermark.isFinal(start + this.config.period_ms)) out.push(...this.emitPeriod(start));
    }
    return out;
  }

  protected override flushState(): PipelineRecord[] {
    const out: PipelineRecord[] = [];
    for (const start of [...this.periods.keys()].sort((a, b) => a - b)) out.push(...this.emitPeriod(start));
    return out;
  }

  protected override snapshotState(): CoverageReportState {
    return {
      watermark: this.watermark.toJSON(),
      periods: [...this.periods.entries()].map(([start, entries]) => ({
        start,
        entries: [...entries.values()].map((e) => ({
          ...e,
          resource: attributesToState(e.resource.attributes),
        })),
      })),
    };
  }

  protected override restoreState(snap: CoverageReportState): void {
    this.watermark = new EventTimeWatermark({ allowedLatenessMs: this.config.allowed_lateness_ms });
    this.watermark.restore(snap.watermark);
    this.periods.clear();
    const resources = new Map<string, RecordResource>();
    for (const period of snap.periods) {
      const entries = new Map<string, Entry>();
      for (const e of period.entries) {
        const rkey = JSON.stringify(e.resource);
        let resource = resources.get(rkey);
        if (!resource) {
          resource = createResource(e.resource);
          resources.set(rkey, resource);
        }
        entries.set(`${e.host}\u0000${e.format}`, { ...e, resource });
      }
      this.periods.set(period.start, entries);
    }
  }

  protected override stateSize(): { entries: number; maxEntries: number } {
    let entries = 0;
    for (const p of this.periods.values()) entries += p.size;
    return { entries, maxEntries: this.config.max_keys };
  }

  /**
   * Takes in an `egressguard.unreadable_input` record: its count goes to the period of the latest connection seen
   * (unreadable lines have no event time of their own), or before any, to the period of the record's time. The record
   * itself is dropped here, counted as `unreadable_input`: what it said is in the report.
   */
  private addUnreadable(record: PipelineRecord): void {
    this.stats.drop('unreadable_input');
    const max = this.watermark.toJSON().maxEventMs;
    const t = max ?? eventTimeMs(record);
    if (t === undefined) {
      this.stats.count('without_time');
      return;
    }
    const start = Math.floor(t / this.config.period_ms) * this.config.period_ms;
    this.entryFor(start, record).malformed += Math.max(
      0,
      getInt(record.attributes, UnreadableInputAttr.COUNT) ?? 0,
    );
  }

  private add(start: number, record: PipelineRecord): void {
    const entry = this.entryFor(start, record);
    const c = coverageOf(record);
    entry.connections++;
    if (c.process) entry.withProcess++;
    if (c.bytes) entry.withBytes++;
    if (c.http) entry.withHttp++;
  }

  private entryFor(start: number, record: PipelineRecord): Entry {
    let entries = this.periods.get(start);
    if (!entries) {
      entries = new Map();
      this.periods.set(start, entries);
    }
    const sf = record.attributes[ProvenanceAttr.SOURCE_FORMAT];
    let host = hostName(record) ?? UNKNOWN_HOST;
    let format = typeof sf === 'string' && sf !== '' ? sf : UNKNOWN_FORMAT;
    const last = this.lastEntry;
    if (last !== undefined && this.lastEntries === entries && last.host === host && last.format === format)
      return last;
    let key = `${host}\u0000${format}`;
    let entry = entries.get(key);
    if (!entry && entries.size >= this.config.max_keys) {
      this.stats.count('overflow');
      host = OVERFLOW_HOST;
      format = OVERFLOW_HOST;
      key = `${host}\u0000${format}`;
      entry = entries.get(key);
    }
    if (!entry) {
      const resource =
        host === OVERFLOW_HOST
          ? createResource({ [ResourceAttr.HOST_NAME]: OVERFLOW_HOST })
          : record.resource;
      entry = {
        host,
        format,
        resource,
        connections: 0,
        withProcess: 0,
        withBytes: 0,
        withHttp: 0,
        malformed: 0,
      };
      entries.set(key, entry);
    }
    this.lastEntries = entries;
    this.lastEntry = entry;
    return entry;
  }

  private emitPeriod(start: number): PipelineRecord[] {
    const entries = this.periods.get(start);
    this.periods.delete(start);
    if (!entries) return [];
    const end = start + this.config.period_ms;
    return [...entries.values()].map(
      (e) =>
        new PipelineRecord({
          hrTime: msToHrTime(end),
          hrTimeObserved: msToHrTime(end),
          eventName: EventName.COVERAGE,
          attributes: {
            [ProvenanceAttr.SOURCE_FORMAT]: e.format,
            [CoverageAttr.PERIOD_START]: start,
            [CoverageAttr.PERIOD_END]: end,
            [CoverageAttr.CONNECTIONS]: e.connections,
            [CoverageAttr.WITH_PROCESS]: e.withProcess,
            [CoverageAttr.WITH_BYTES]: e.withBytes,
            [CoverageAttr.WITH_HTTP]: e.withHttp,
            [CoverageAttr.MALFORMED]: e.malformed,
          },
          resource: e.resource,
          instrumentationScope: REPORT_SCOPE,
        }),
    );
  }
}
