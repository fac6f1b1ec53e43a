/**
 * The first-seen baseline: per identity, when it was first and last seen, how many times, on how many distinct
 * days and in how many distinct maturity intervals, in event time, so that replaying old files builds the same
 * baseline as living through them.
 *
 * Maturity: an identity is `known` once it was seen at least `rareMinCount` times, over a span (first to last
 * sighting) of at least `matureSpanMs`, in at least `matureMinIntervals` distinct intervals of `matureIntervalMs`.
 * Durations rather than calendar days: a poller present through the whole learning period is known when learning
 * ends, while a program first seen in its last minutes stays rare until it has been seen over the span itself
 * (whatever it does meanwhile: ten sightings in a burst are not a history), and short replays can exercise it.
 *
 * Memory: the identities live in an `lru-cache` bounded by `maxIdentities` (the least recently seen identity goes
 * first, and every eviction is counted); the cache maps each identity to a slot number, and the numbers of all
 * slots live in typed-array columns (two float64 times, a count, day and interval bitmaps and counts, the last day
 * and interval): about 48 bytes per identity beyond the key itself, with no per-identity object for the garbage
 * collector to trace. Both the cache and the columns grow with the identities held, by doubling, up to the bound.
 */
import { LRUCache } from 'lru-cache';

/** The status the baseline gives an identity (the allowlist decides `allowlisted` before it). */
export type BaselineStatus = 'new' | 'rare' | 'known';

/** Options of {@link Baseline}. */
export interface BaselineOptions {
  /** Bound on identities held; the least recently seen goes first. */
  readonly maxIdentities: number;
  /** An identity unseen for longer than this (event time) is forgotten and is `new` again. */
  readonly historyMs: number;
  /** From the first record the baseline ever saw, for this long nothing is called `new`. */
  readonly learningPeriodMs: number;
  /** Seen fewer times than this: `rare`. */
  readonly rareMinCount: number;
  /** Seen over a shorter span than this (first to last sighting): `rare`. */
  readonly matureSpanMs: number;
  /** The length of the intervals {@link BaselineOptions.matureMinIntervals} counts (aligned to the epoch). */
  readonly matureIntervalMs: number;
  /** Seen in fewer distinct intervals than this: `rare`. */
  readonly matureMinIntervals: number;
}

/** What the baseline says about one sighting. */
export interface Sighting {
  readonly status: BaselineStatus;
  /** The baseline is within its learning period at this event time. */
  readonly learning: boolean;
  readonly firstSeenMs: number;
  readonly lastSeenMs: number;
  readonly count: number;
  readonly days: number;
  readonly intervals: number;
}

/**
 * One identity in a snapshot: `[identity, firstSeenMs, lastSeenMs, count, days, lastDay, dayMask, intervals,
 * lastInterval, intervalMask]`.
 */
export type BaselineSnapshotEntry = [
  string,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
];

/** The baseline as plain JSON; entries from least to most recently seen. */
export interface BaselineSnapshot {
  /** Event time of the first record the baseline ever saw (start of the learning period), or null. */
  readonly startMs: number | null;
  /** Largest event time seen, or null. */
  readonly maxEventMs: number | null;
  readonly entries: BaselineSnapshotEntry[];
}

const DAY_MS = 86_400_000;
/**
 * The day and interval bitmaps cover the 30 buckets ending at an identity's last one: 30 bits keep them V8 small
 * integers.
 */
const BUCKET_BITS = 30;
const MAX_BUCKETS = 0xffff;

/** A growable set of slots held in typed-array columns. */
class Slots {
  firstSeen = new Float64Array(0);
  lastSeen = new Float64Array(0);
  count = new Uint32Array(0);
  days = new Uint16Array(0);
  lastDay = new Int32Array(0);
  dayMask = new Uint32Array(0);
  intervals = new Uint16Array(0);
  lastInterval = new Float64Array(0);
  intervalMask = new Uint32Array(0);
  private used = 0;
  private readonly free: number[] = [];
  private readonly max: number;

  constructor(max: number) {
    this.max = max;
  }

  /** Capacity allocated so far, in slots. */
  get capacity(): number {
    return this.count.length;
  }

  alloc(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    if (this.used === this.capacity) this.grow();
    return this.used++;
  }

  release(slot: number): void {
    this.free.push(slot);
  }

  reset(): void {
    this.used = 0;
    this.free.length = 0;
  }

  private grow(): void {
    const next = Math.min(this.max, Math.max(FIRST_ROOM, this.capacity * 2));
    const grow = <T extends Float64Array | Uint32Array | Uint16Array | Int32Array>(
      old: T,
      make: (n: number) => T,
    ): T => {
      const fresh = make(next);
      fresh.set(old);
      return fresh;
    };
    this.firstSeen = grow(this.firstSeen, (n) => new Float64Array(n));
    this.lastSeen = grow(this.lastSeen, (n) => new Float64Array(n));
    this.count = grow(this.count, (n) => new Uint32Array(n));
    this.days = grow(this.days, (n) => new Uint16Array(n));
    this.lastDay = grow(this.lastDay, (n) => new Int32Array(n));
    this.dayMask = grow(this.dayMask, (n) => new Uint32Array(n));
    this.intervals = grow(this.intervals, (n) => new Uint16Array(n));
    this.lastInterval = grow(this.lastInterval, (n) => new Float64Array(n));
    this.intervalMask = grow(this.intervalMask, (n) => new Uint32Array(n));
  }
}

/** Identities the columns and the cache first make room for; both double from there, up to the bound. */
const FIRST_ROOM = 1_024;

/** Bytes per slot in the typed-array columns. */
const SLOT_BYTES = 8 + 8 + 4 + 2 + 4 + 4 + 2 + 8 + 4;

/** The first-seen baseline of process identities. */
export class Baseline {
  private readonly options: BaselineOptions;
  private readonly slots: Slots;
  /** Identity to slot, in recency order; made with room for few identities and remade larger as they come. */
  private cache: LRUCache<string, number>;
  private startMs: number | undefined;
  private maxEventMs: number | undefined;
  private evictedCount = 0;
  private keyChars = 0;
  /** The slot of the identity {@link learn} last recorded. */
  private learnedSlot = 0;

  constructor(options: BaselineOptions) {
    this.options = options;
    // One spare slot: a new identity takes its slot before lru-cache evicts the oldest one and frees another.
    this.slots = new Slots(options.maxIdentities + 1);
    this.cache = this.newCache(Math.min(options.maxIdentities, FIRST_ROOM));
  }

  /**
   * An identity cache with room for `max` identities. lru-cache allocates that room when the cache is made (28 bytes
   * an identity, 5.6 MB at the default bound): the baseline starts with room for few and doubles it as identities
   * come, up to `maxIdentities`, the bound at which the least recently seen one is evicted.
   */
  private newCache(max: number): LRUCache<string, number> {
    return new LRUCache<string, number>({
      max,
      dispose: (slot, key, reason) => {
        this.slots.release(slot);
        this.keyChars -= key.length;
        if (reason === 'evict') this.evictedCount++;
      },
    });
  }

  /** Holds a new identity in `slot`, with twice the room first when the cache is full below the bound. */
  private hold(identity: string, slot: number): void {
    const full = this.cache;
    if (full.size === full.max && full.max < this.options.maxIdentities) {
      const larger = this.newCache(Math.min(this.options.maxIdentities, full.max * 2));
      // Least recently seen first: each set makes its identity the most recent, so the order carries over.
      full.rforEach((held, key) => larger.set(key, held));
      this.cache = larger;
    }
    this.cache.set(identity, slot);
  }

  /** Identities held. */
  get size(): number {
    return this.cache.size;
  }

  /** Identities evicted because the bound was reached, since creation. */
  get evictions(): number {
    return this.evictedCount;
  }

  /** Event time of the first record the baseline saw; the learning period starts there. */
  get learningStartMs(): number | undefined {
    return this.startMs;
  }

  /** Event time the learning period ends (see {@link isLearning}), once the baseline has seen a record. */
  get learningEndMs(): number | undefined {
    return this.startMs === undefined ? undefined : this.startMs + this.options.learningPeriodMs;
  }

  /** Largest event time seen. */
  get watermarkMs(): number | undefined {
    return this.maxEventMs;
  }

  /** Estimated bytes held: the typed-array columns, the keys (one byte per character) and lru-cache's per-entry arrays. */
  estimateBytes(): number {
    return this.slots.capacity * SLOT_BYTES + this.keyChars + this.cache.size * 32;
  }

  /** Whether `eventMs` falls within the learning period. */
  isLearning(eventMs: number): boolean {
    return this.startMs === undefined || eventMs < this.startMs + this.options.learningPeriodMs;
  }

  /**
   * Records one sighting of `identity` at event time `eventMs` and says what it is. With `count` false (a revised
   * window of a sighting already counted) the identity's numbers do not change unless it is unknown.
   */
  observe(identity: string, eventMs: number, count = true): Sighting {
    const first = this.learn(identity, eventMs, count);
    const slot = this.learnedSlot;
    const s = this.slots;
    const learning = this.isLearning(eventMs);
    return {
      status: first && !learning ? 'new' : this.classify(slot),
      learning,
      firstSeenMs: s.firstSeen[slot],
      lastSeenMs: s.lastSeen[slot],
      count: s.count[slot],
      days: s.days[slot],
      intervals: s.intervals[slot],
    };
  }

  /**
   * Records one sighting as {@link observe} does, without saying what it is: for a record that is learned from and
   * not annotated (every connection, by default). Returns whether the identity is new (unknown, or forgotten).
   */
  learn(identity: string, eventMs: number, count = true): boolean {
    this.startMs ??= eventMs;
    if (this.maxEventMs === undefined || eventMs > this.maxEventMs) this.maxEventMs = eventMs;
    const s = this.slots;
    let slot = this.cache.get(identity);
    let first = false;
    if (slot === undefined) {
      slot = this.slots.alloc();
      this.hold(identity, slot);
      this.keyChars += identity.length;
      first = true;
    } else if (eventMs - s.lastSeen[slot] > this.options.historyMs) {
      // Unseen for longer than the history window: forgotten, so new again (Elastic's new terms: "not seen in the
      // history window").
      first = true;
    }
    this.learnedSlot = slot;
    const day = Math.floor(eventMs / DAY_MS);
    const interval = Math.floor(eventMs / this.options.matureIntervalMs);
    if (first) {
      s.firstSeen[slot] = eventMs;
      s.lastSeen[slot] = eventMs;
      s.count[slot] = 1;
      s.days[slot] = 1;
      s.lastDay[slot] = day;
      s.dayMask[slot] = 1;
      s.intervals[slot] = 1;
      s.lastInterval[slot] = interval;
      s.intervalMask[slot] = 1;
    } else if (count) {
      if (eventMs < s.firstSeen[slot]) s.firstSeen[slot] = eventMs;
      if (eventMs > s.lastSeen[slot]) s.lastSeen[slot] = eventMs;
      if (s.count[slot] < 0xffffffff) s.count[slot]++;
      noteBucket(s.days, s.lastDay, s.dayMask, slot, day);
      noteBucket(s.intervals, s.lastInterval, s.intervalMask, slot, interval);
    }
    return first;
  }

  private classify(slot: number): BaselineStatus {
    const s = this.slots;
    const o = this.options;
    return s.count[slot] < o.rareMinCount ||
      s.lastSeen[slot] - s.firstSeen[slot] < o.matureSpanMs ||
      s.intervals[slot] < o.matureMinIntervals
      ? 'rare'
      : 'known';
  }

  /** Forgets identities unseen for longer than the history window before `nowEventMs`; returns how many. */
  expire(nowEventMs: number): number {
    const cutoff = nowEventMs - this.options.historyMs;
    const stale: string[] = [];
    this.cache.rforEach((slot, key) => {
      if (this.slots.lastSeen[slot] < cutoff) stale.push(key);
    });
    for (const key of stale) this.cache.delete(key);
    return stale.length;
  }

  /** The baseline as plain JSON. */
  toJSON(): BaselineSnapshot {
    const s = this.slots;
    const entries: BaselineSnapshotEntry[] = [];
    this.cache.rforEach((slot, key) => {
      entries.push([
        key,
        s.firstSeen[slot],
        s.lastSeen[slot],
        s.count[slot],
        s.days[slot],
        s.lastDay[slot],
        s.dayMask[slot],
        s.intervals[slot],
        s.lastInterval[slot],
        s.intervalMask[slot],
      ]);
    });
    return { startMs: this.startMs ?? null, maxEventMs: this.maxEventMs ?? null, entries };
  }

  /** Replaces the baseline with a snapshot's, already validated by the state definition (internal/state.ts). */
  restore(snapshot: BaselineSnapshot): void {
    this.cache.clear();
    this.slots.reset();
    this.keyChars = 0;
    this.startMs = snapshot.startMs ?? undefined;
    this.maxEventMs = snapshot.maxEventMs ?? undefined;
    for (const [
      key,
      first,
      last,
      count,
      days,
      lastDay,
      mask,
      intervals,
      lastInterval,
      intervalMask,
    ] of snapshot.entries) {
      const slot = this.slots.alloc();
      this.hold(key, slot);
      this.keyChars += key.length;
      const s = this.slots;
      s.firstSeen[slot] = first;
      s.lastSeen[slot] = last;
      s.count[slot] = count;
      s.days[slot] = days;
      s.lastDay[slot] = lastDay;
      s.dayMask[slot] = mask;
      s.intervals[slot] = intervals;
      s.lastInterval[slot] = lastInterval;
      s.intervalMask[slot] = intervalMask;
    }
    // A snapshot larger than the bound keeps its most recently seen identities; those evictions count as usual.
  }

  /** The numbers of one identity without touching its recency, or `undefined`. */
  peek(identity: string): Omit<Sighting, 'status' | 'learning'> | undefined {
    const slot = this.cache.peek(identity);
    if (slot === undefined) return undefined;
    const s = this.slots;
    return {
      firstSeenMs: s.firstSeen[slot],
      lastSeenMs: s.lastSeen[slot],
      count: s.count[slot],
      days: s.days[slot],
      intervals: s.intervals[slot],
    };
  }
}

/**
 * Counts `bucket` (a day or an interval number) once per identity: exact for out-of-order records within the 30
 * buckets ending at the last one. A record older than that cannot be told apart from a bucket already counted; it
 * is not counted as a new one.
 */
function noteBucket(
  counts: Uint16Array,
  last: Int32Array | Float64Array,
  masks: Uint32Array,
  slot: number,
  bucket: number,
): void {
  const delta = bucket - last[slot];
  if (delta > 0) {
    masks[slot] = delta >= BUCKET_BITS ? 1 : ((masks[slot] << delta) | 1) & ((1 << BUCKET_BITS) - 1);
    last[slot] = bucket;
    if (counts[slot] < MAX_BUCKETS) counts[slot]++;
  } else if (delta > -BUCKET_BITS) {
    const bit = 1 << -delta;
    if ((masks[slot] & bit) === 0) {
      masks[slot] |= bit;
      if (counts[slot] < MAX_BUCKETS) counts[slot]++;
    }
  }
}
