/**
 * Statistics of the intervals between consecutive connection starts of one flow: their mean and coefficient of
 * variation (standard deviation over mean). A beacon that calls home every 60 s has a CV near 0; a person browsing
 * or a package manager fetching in bursts has a CV near or above 1 (RITA's beacon analysis rests on the same idea).
 *
 * Connections may arrive out of order within a window (sensors that report at close time), so start times are
 * buffered and sorted before the intervals are taken. The buffer is bounded: when it fills, it is sorted and its
 * intervals are folded into a running Welford accumulator, keeping only the last start as the frontier. Up to
 * `maxBuffered` connections per flow the result is exact; beyond, a start that arrives behind the frontier cannot
 * be placed between its neighbours and is left out of the intervals (counted in {@link IntervalStats.skipped}).
 */
import { ascending } from './ascending.ts';

/** The JSON form of {@link IntervalStats}. */
export interface IntervalStatsJSON {
  readonly buffer: number[];
  readonly n: number;
  readonly mean: number;
  readonly m2: number;
  readonly frontier: number | null;
  readonly skipped: number;
}

/** Where {@link acc} holds the Welford accumulator's count, mean and sum of squared deviations. */
const N = 0;
const MEAN = 1;
const M2 = 2;
/**
 * The accumulator being folded: one array of numbers, changed in place. Folding into an object's number fields would
 * make each of them a new heap number at each step, for every interim update, which asks for the result of a copy.
 */
const acc = new Float64Array(3);

/**
 * Folds the intervals between `frontier` (when not null) and the sorted `times`, and between consecutive times, into
 * {@link acc}; returns the last time (the new frontier).
 */
function fold(frontier: number | null, times: ArrayLike<number>): number | null {
  let previous = frontier;
  for (let i = 0; i < times.length; i++) {
    const t = times[i];
    if (previous !== null) {
      const x = t - previous;
      acc[N]++;
      const delta = x - acc[MEAN];
      acc[MEAN] += delta / acc[N];
      acc[M2] += delta * (x - acc[MEAN]);
    }
    previous = t;
  }
  return previous;
}

/** Connection start times of one flow, bounded, and the interval statistics they give. */
export class IntervalStats {
  private buffer: number[] = [];
  /** The intervals folded so far (Welford): their count, mean and sum of squared deviations. */
  private n = 0;
  private mean = 0;
  private m2 = 0;
  private frontier: number | null = null;
  /** Starts that arrived behind an already folded chunk and were left out of the intervals. */
  skipped = 0;
  private readonly maxBuffered: number;

  constructor(maxBuffered: number) {
    this.maxBuffered = maxBuffered;
  }

  /** Notes a connection start (Unix ms). */
  add(startMs: number): void {
    if (this.frontier !== null && startMs < this.frontier) {
      this.skipped++;
      return;
    }
    this.buffer.push(startMs);
    if (this.buffer.length < this.maxBuffered) return;
    this.loadAccumulator();
    this.frontier = fold(this.frontier, ascending(this.buffer));
    this.n = acc[N];
    this.mean = acc[MEAN];
    this.m2 = acc[M2];
    this.buffer = [];
  }

  /**
   * Mean interval (ms, from two starts on) and its coefficient of variation (sample standard deviation over the
   * mean, from three starts on, absent when the mean is 0). Does not change the state: a window may be corrected.
   */
  result(): { meanMs?: number; cv?: number } {
    this.loadAccumulator();
    fold(this.frontier, ascending(this.buffer));
    const n = acc[N];
    const mean = acc[MEAN];
    if (n === 0) return {};
    if (n < 2 || mean === 0) return { meanMs: mean };
    return { meanMs: mean, cv: Math.sqrt(acc[M2] / (n - 1)) / mean };
  }

  /** Sets {@link acc} to the intervals folded so far. */
  private loadAccumulator(): void {
    acc[N] = this.n;
    acc[MEAN] = this.mean;
    acc[M2] = this.m2;
  }

  /** Approximate bytes held: the object (7 fields), its three boxed numbers, the buffer and its spare slots. */
  get bytes(): number {
    return 80 + 48 + 48 + 8 * (this.buffer.length + (this.buffer.length >> 2) + 16);
  }

  toJSON(): IntervalStatsJSON {
    return {
      buffer: [...this.buffer],
      n: this.n,
      mean: this.mean,
      m2: this.m2,
      frontier: this.frontier,
      skipped: this.skipped,
    };
  }

  /** Rebuilds the statistics from {@link toJSON}'s output. */
  static fromJSON(json: IntervalStatsJSON, maxBuffered: number): IntervalStats {
    const stats = new IntervalStats(maxBuffered);
    stats.buffer = [...json.buffer];
    stats.n = json.n;
    stats.mean = json.mean;
    stats.m2 = json.m2;
    stats.frontier = json.frontier;
    stats.skipped = json.skipped;
    return stats;
  }
}
