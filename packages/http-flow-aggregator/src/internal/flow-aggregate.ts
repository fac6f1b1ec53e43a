/**
 * The aggregates of one flow (one key in one window), as the `egressguard.http_flow` record carries them.
 * "Missing means unknown, never zero": sums, quantiles and the ratio are absent when no connection carried byte
 * counts, and connections without counts are counted as such instead of adding zeros.
 */
import { FlowAttr, Outcome, type RecordAttributes } from '@egressguard/schema';

import { ByteSample, type ByteSampleJSON } from './byte-sample.ts';
import type { ConnectionFacts } from './connection-facts.ts';
import { DistinctCounter, type DistinctCounterJSON } from './distinct-counter.ts';
import { IntervalStats, type IntervalStatsJSON } from './interval-stats.ts';

/** The bytes kind written when the counted connections' sensors count bytes differently. */
export const MIXED_BYTES_KIND = 'mixed';
/** Internal marker: a counted connection carried no bytes kind. */
const NO_KIND = '';

/** Bounds of the per-flow sketches. */
export interface FlowBounds {
  readonly maxExactDestinations: number;
  readonly maxByteSamples: number;
  readonly maxStartTimes: number;
}

const COUNTER_NAMES = [
  'connections',
  'completed',
  'failed',
  'open',
  'unknown',
  'inferred',
  'http',
  'withBytes',
  'withoutBytes',
  'internal',
  'external',
  'externalCompleted',
  'externalFailed',
  'externalWithBytes',
  'externalSent',
  'externalReceived',
  'sent',
  'received',
] as const;
type CounterName = (typeof COUNTER_NAMES)[number];

/** How many counters {@link FlowAggregateJSON.counters} carries. */
export const FLOW_COUNTER_COUNT = COUNTER_NAMES.length;

/** The JSON form of a {@link FlowAggregate}. */
export interface FlowAggregateJSON {
  readonly counters: number[];
  readonly bytesKind: string | null;
  readonly firstSeen: number | null;
  readonly lastSeen: number | null;
  readonly destinations: DistinctCounterJSON;
  readonly samples: ByteSampleJSON;
  readonly intervals: IntervalStatsJSON;
}

/** Index of each counter in {@link FlowAggregateJSON.counters} (and in the aggregate's own array of them). */
const C = Object.fromEntries(COUNTER_NAMES.map((n, i) => [n, i])) as Record<CounterName, number>;
const CONNECTIONS = C.connections;
const COMPLETED = C.completed;
const FAILED = C.failed;
const OPEN = C.open;
const UNKNOWN = C.unknown;
const INFERRED = C.inferred;
const HTTP = C.http;
const WITH_BYTES = C.withBytes;
const WITHOUT_BYTES = C.withoutBytes;
const INTERNAL = C.internal;
const EXTERNAL = C.external;
const EXTERNAL_COMPLETED = C.externalCompleted;
const EXTERNAL_FAILED = C.externalFailed;
const EXTERNAL_WITH_BYTES = C.externalWithBytes;
/**
 * The counters from here on are sums of bytes, kept in an array of their own: they may be fractional or past 2^31,
 * and one such number in the array of counts would make every count in it a heap number of its own when written to
 * a record. Their indexes below are in that array.
 */
const BYTE_SUMS = C.externalSent;
const EXTERNAL_SENT = C.externalSent - BYTE_SUMS;
const EXTERNAL_RECEIVED = C.externalReceived - BYTE_SUMS;
const SENT = C.sent - BYTE_SUMS;
const RECEIVED = C.received - BYTE_SUMS;

/**
 * The bytes kind of a flow after one more connection with bytes whose kind is `kind`: the first kind seen, or
 * {@link MIXED_BYTES_KIND} once two differ. `undefined` before any connection with bytes.
 */
export function nextBytesKind(current: string | undefined, kind: string | undefined): string {
  const k = kind ?? NO_KIND;
  return current === undefined || current === k ? k : MIXED_BYTES_KIND;
}

/** Running aggregates of one flow. */
export class FlowAggregate {
  /** The counts of connections, in the order of {@link COUNTER_NAMES}: one array rather than fourteen fields. */
  private c: number[] = COUNTER_NAMES.slice(0, BYTE_SUMS).map(() => 0);
  /** The sums of bytes, the counters from {@link BYTE_SUMS} on. */
  private b: number[] = COUNTER_NAMES.slice(BYTE_SUMS).map(() => 0);
  private bytesKind: string | undefined;
  /**
   * The first and last connection times; +/-Infinity before the first. Numbers from the start, so that V8 keeps each
   * as a double it updates in place: a field that may hold `undefined` takes a new heap number at every update (one
   * per connection here), which a young-generation collection copies when the flow outlives it, as flows do.
   */
  private firstSeen = Number.POSITIVE_INFINITY;
  private lastSeen = Number.NEGATIVE_INFINITY;
  private destinations: DistinctCounter;
  private samples: ByteSample;
  private intervals: IntervalStats;

  constructor(bounds: FlowBounds, seed: number) {
    this.destinations = new DistinctCounter(bounds.maxExactDestinations);
    this.samples = new ByteSample(bounds.maxByteSamples, seed);
    this.intervals = new IntervalStats(bounds.maxStartTimes);
  }

  /** The time of the last connection added (the latest), ms; -Infinity before the first. */
  get lastSeenMs(): number {
    return this.lastSeen;
  }

  /** Adds one HTTP connection. */
  add(f: ConnectionFacts): void {
    const c = this.c;
    const b = this.b;
    const outcome = f.outcome;
    c[CONNECTIONS]++;
    if (outcome === Outcome.COMPLETED) c[COMPLETED]++;
    else if (outcome === Outcome.FAILED) c[FAILED]++;
    else if (outcome === Outcome.OPEN) c[OPEN]++;
    else c[UNKNOWN]++;
    if (f.http === 'real') c[HTTP]++;
    else c[INFERRED]++;
    const external = f.addressClass === 'external';
    if (f.addressClass === 'internal') c[INTERNAL]++;
    else if (external) {
      c[EXTERNAL]++;
      if (outcome === Outcome.COMPLETED) c[EXTERNAL_COMPLETED]++;
      else if (outcome === Outcome.FAILED) c[EXTERNAL_FAILED]++;
    }
    if (f.hasBytes) {
      c[WITH_BYTES]++;
      b[SENT] += f.sent;
      b[RECEIVED] += f.received;
      if (external) {
        c[EXTERNAL_WITH_BYTES]++;
        b[EXTERNAL_SENT] += f.sent;
        b[EXTERNAL_RECEIVED] += f.received;
      }
      this.samples.add(f.sent, f.received);
      this.bytesKind = nextBytesKind(this.bytesKind, f.bytesKind);
    } else {
      c[WITHOUT_BYTES]++;
    }
    if (f.destination >= 0) this.destinations.add(f.destination);
    else if (f.unpackedDestination !== undefined) this.destinations.add(f.unpackedDestination);
    if (f.timeMs < this.firstSeen) this.firstSeen = f.timeMs;
    if (f.timeMs > this.lastSeen) this.lastSeen = f.timeMs;
    this.intervals.add(f.timeMs);
  }

  /** Connections added so far. */
  get connections(): number {
    return this.c[CONNECTIONS];
  }

  /** Writes the `egressguard.flow.*` aggregate attributes into `out` (window, key and revision are the caller's). */
  writeAttributes(out: RecordAttributes): void {
    const c = this.c;
    const b = this.b;
    out[FlowAttr.CONNECTIONS] = c[CONNECTIONS];
    out[FlowAttr.COMPLETED] = c[COMPLETED];
    out[FlowAttr.FAILED] = c[FAILED];
    out[FlowAttr.OPEN] = c[OPEN];
    out[FlowAttr.UNKNOWN] = c[UNKNOWN];
    out[FlowAttr.INFERRED] = c[INFERRED];
    out[FlowAttr.HTTP_EXCHANGES] = c[HTTP];
    out[FlowAttr.WITHOUT_BYTES] = c[WITHOUT_BYTES];
    out[FlowAttr.INTERNAL] = c[INTERNAL];
    out[FlowAttr.EXTERNAL] = c[EXTERNAL];
    out[FlowAttr.EXTERNAL_COMPLETED] = c[EXTERNAL_COMPLETED];
    out[FlowAttr.EXTERNAL_FAILED] = c[EXTERNAL_FAILED];
    out[FlowAttr.EXTERNAL_WITH_BYTES] = c[EXTERNAL_WITH_BYTES];
    if (c[EXTERNAL_WITH_BYTES] > 0) {
      out[FlowAttr.EXTERNAL_BYTES_SENT] = b[EXTERNAL_SENT];
      out[FlowAttr.EXTERNAL_BYTES_RECEIVED] = b[EXTERNAL_RECEIVED];
    }
    if (c[WITH_BYTES] > 0) {
      const q = this.samples.quantiles();
      out[FlowAttr.BYTES_SENT] = b[SENT];
      out[FlowAttr.BYTES_RECEIVED] = b[RECEIVED];
      out[FlowAttr.BYTES_SENT_MEDIAN] = q.sentMedian;
      out[FlowAttr.BYTES_SENT_P90] = q.sentP90;
      out[FlowAttr.BYTES_RECEIVED_MEDIAN] = q.receivedMedian;
      out[FlowAttr.BYTES_RECEIVED_P90] = q.receivedP90;
      if (this.bytesKind !== undefined && this.bytesKind !== NO_KIND)
        out[FlowAttr.BYTES_KIND] = this.bytesKind;
      if (b[SENT] > 0) out[FlowAttr.RATIO_RECEIVED_SENT] = b[RECEIVED] / b[SENT];
    }
    out[FlowAttr.DESTINATIONS] = this.destinations.count;
    out[FlowAttr.DESTINATIONS_ESTIMATED] = this.destinations.estimated;
    // The schema types these as int milliseconds; sensors date connections to the micro- or nanosecond.
    if (this.firstSeen !== Number.POSITIVE_INFINITY) out[FlowAttr.FIRST_SEEN] = Math.floor(this.firstSeen);
    if (this.lastSeen !== Number.NEGATIVE_INFINITY) out[FlowAttr.LAST_SEEN] = Math.floor(this.lastSeen);
    const intervals = this.intervals.result();
    if (intervals.meanMs !== undefined) out[FlowAttr.INTERVAL_MEAN_MS] = intervals.meanMs;
    if (intervals.cv !== undefined) out[FlowAttr.INTERVAL_CV] = intervals.cv;
  }

  /** Approximate bytes held by this aggregate. */
  get bytes(): number {
    return AGGREGATE_BYTES + this.destinations.bytes + this.samples.bytes + this.intervals.bytes;
  }

  toJSON(): FlowAggregateJSON {
    return {
      counters: this.c.concat(this.b),
      bytesKind: this.bytesKind ?? null,
      firstSeen: this.firstSeen === Number.POSITIVE_INFINITY ? null : this.firstSeen,
      lastSeen: this.lastSeen === Number.NEGATIVE_INFINITY ? null : this.lastSeen,
      destinations: this.destinations.toJSON(),
      samples: this.samples.toJSON(),
      intervals: this.intervals.toJSON(),
    };
  }

  /** Rebuilds an aggregate from {@link toJSON}'s output. */
  static fromJSON(json: FlowAggregateJSON, bounds: FlowBounds): FlowAggregate {
    if (!Array.isArray(json.counters) || json.counters.length !== COUNTER_NAMES.length) {
      throw new Error(
        `flow snapshot has ${json.counters?.length ?? 'no'} counters, expected ${COUNTER_NAMES.length}`,
      );
    }
    const agg = new FlowAggregate(bounds, 0);
    agg.c = json.counters.slice(0, BYTE_SUMS);
    agg.b = json.counters.slice(BYTE_SUMS);
    agg.bytesKind = json.bytesKind ?? undefined;
    agg.firstSeen = json.firstSeen ?? Number.POSITIVE_INFINITY;
    agg.lastSeen = json.lastSeen ?? Number.NEGATIVE_INFINITY;
    agg.destinations = DistinctCounter.fromJSON(json.destinations, bounds.maxExactDestinations);
    agg.samples = ByteSample.fromJSON(json.samples, bounds.maxByteSamples);
    agg.intervals = IntervalStats.fromJSON(json.intervals, bounds.maxStartTimes);
    return agg;
  }
}

/**
 * The aggregate's own bytes: the object (8 fields), its two arrays of the 18 counters, two boxed times; its sketches
 * count their own.
 */
const AGGREGATE_BYTES = 88 + 2 * 48 + 8 * COUNTER_NAMES.length + 32;
