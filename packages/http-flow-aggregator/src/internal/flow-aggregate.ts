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

/** Running aggregates of one flow. */
export class FlowAggregate {
  private readonly c: Record<CounterName, number> = Object.fromEntries(
    COUNTER_NAMES.map((n) => [n, 0]),
  ) as Record<CounterName, number>;
  private bytesKind: string | undefined;
  private firstSeen: number | undefined;
  private lastSeen: number | undefined;
  private destinations: DistinctCounter;
  private samples: ByteSample;
  private intervals: IntervalStats;

  constructor(bounds: FlowBounds, seed: number) {
    this.destinations = new DistinctCounter(bounds.maxExactDestinations);
    this.samples = new ByteSample(bounds.maxByteSamples, seed);
    this.intervals = new IntervalStats(bounds.maxStartTimes);
  }

  /** Adds one HTTP connection. */
  add(f: ConnectionFacts): void {
    const c = this.c;
    c.connections++;
    if (f.outcome === Outcome.COMPLETED) c.completed++;
    else if (f.outcome === Outcome.FAILED) c.failed++;
    else if (f.outcome === Outcome.OPEN) c.open++;
    else c.unknown++;
    if (f.http === 'real') c.http++;
    else c.inferred++;
    const external = f.addressClass === 'external';
    if (f.addressClass === 'internal') c.internal++;
    else if (external) {
      c.external++;
      if (f.outcome === Outcome.COMPLETED) c.externalCompleted++;
      else if (f.outcome === Outcome.FAILED) c.externalFailed++;
    }
    if (f.bytes) {
      c.withBytes++;
      c.sent += f.bytes.sent;
      c.received += f.bytes.received;
      if (external) {
        c.externalWithBytes++;
        c.externalSent += f.bytes.sent;
        c.externalReceived += f.bytes.received;
      }
      this.samples.add(f.bytes.sent, f.bytes.received);
      const kind = f.bytesKind ?? NO_KIND;
      if (this.bytesKind === undefined) this.bytesKind = kind;
      else if (this.bytesKind !== kind) this.bytesKind = MIXED_BYTES_KIND;
    } else {
      c.withoutBytes++;
    }
    if (f.destination !== undefined) this.destinations.add(f.destination);
    if (this.firstSeen === undefined || f.timeMs < this.firstSeen) this.firstSeen = f.timeMs;
    if (this.lastSeen === undefined || f.timeMs > this.lastSeen) this.lastSeen = f.timeMs;
    this.intervals.add(f.timeMs);
  }

  /** Connections added so far. */
  get connections(): number {
    return this.c.connections;
  }

  /** The `egressguard.flow.*` aggregate attributes (window, key and revision are the caller's). */
  attributes(): RecordAttributes {
    const c = this.c;
    const out: RecordAttributes = {
      [FlowAttr.CONNECTIONS]: c.connections,
      [FlowAttr.COMPLETED]: c.completed,
      [FlowAttr.FAILED]: c.failed,
      [FlowAttr.OPEN]: c.open,
      [FlowAttr.UNKNOWN]: c.unknown,
      [FlowAttr.INFERRED]: c.inferred,
      [FlowAttr.HTTP_EXCHANGES]: c.http,
      [FlowAttr.WITHOUT_BYTES]: c.withoutBytes,
      [FlowAttr.INTERNAL]: c.internal,
      [FlowAttr.EXTERNAL]: c.external,
      [FlowAttr.EXTERNAL_COMPLETED]: c.externalCompleted,
      [FlowAttr.EXTERNAL_FAILED]: c.externalFailed,
      [FlowAttr.EXTERNAL_WITH_BYTES]: c.externalWithBytes,
    };
    if (c.externalWithBytes > 0) {
      out[FlowAttr.EXTERNAL_BYTES_SENT] = c.externalSent;
      out[FlowAttr.EXTERNAL_BYTES_RECEIVED] = c.externalReceived;
    }
    if (c.withBytes > 0) {
      const q = this.samples.quantiles();
      out[FlowAttr.BYTES_SENT] = c.sent;
      out[FlowAttr.BYTES_RECEIVED] = c.received;
      out[FlowAttr.BYTES_SENT_MEDIAN] = q.sentMedian;
      out[FlowAttr.BYTES_SENT_P90] = q.sentP90;
      out[FlowAttr.BYTES_RECEIVED_MEDIAN] = q.receivedMedian;
      out[FlowAttr.BYTES_RECEIVED_P90] = q.receivedP90;
      if (this.bytesKind !== undefined && this.bytesKind !== NO_KIND)
        out[FlowAttr.BYTES_KIND] = this.bytesKind;
      if (c.sent > 0) out[FlowAttr.RATIO_RECEIVED_SENT] = c.received / c.sent;
    }
    out[FlowAttr.DESTINATIONS] = this.destinations.count;
    out[FlowAttr.DESTINATIONS_ESTIMATED] = this.destinations.estimated;
    // The schema types these as int milliseconds; sensors date connections to the micro- or nanosecond.
    if (this.firstSeen !== undefined) out[FlowAttr.FIRST_SEEN] = Math.floor(this.firstSeen);
    if (this.lastSeen !== undefined) out[FlowAttr.LAST_SEEN] = Math.floor(this.lastSeen);
    const intervals = this.intervals.result();
    if (intervals.meanMs !== undefined) out[FlowAttr.INTERVAL_MEAN_MS] = intervals.meanMs;
    if (intervals.cv !== undefined) out[FlowAttr.INTERVAL_CV] = intervals.cv;
    return out;
  }

  /** Approximate bytes held by this aggregate. */
  get bytes(): number {
    return (
      24 * COUNTER_NAMES.length + 96 + this.destinations.bytes + this.samples.bytes + this.intervals.bytes
    );
  }

  toJSON(): FlowAggregateJSON {
    return {
      counters: COUNTER_NAMES.map((n) => this.c[n]),
      bytesKind: this.bytesKind ?? null,
      firstSeen: this.firstSeen ?? null,
      lastSeen: this.lastSeen ?? null,
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
    COUNTER_NAMES.forEach((n, i) => (agg.c[n] = json.counters[i]!));
    agg.bytesKind = json.bytesKind ?? undefined;
    agg.firstSeen = json.firstSeen ?? undefined;
    agg.lastSeen = json.lastSeen ?? undefined;
    agg.destinations = DistinctCounter.fromJSON(json.destinations, bounds.maxExactDestinations);
    agg.samples = ByteSample.fromJSON(json.samples, bounds.maxByteSamples);
    agg.intervals = IntervalStats.fromJSON(json.intervals, bounds.maxStartTimes);
    return agg;
  }
}
