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

interface Welford {
  n: number;
  mean: number;
  m2: number;
}

function fold(acc: Welford, frontier: number | null, times: ArrayLike<number>): number | null {
  let previous = frontier;
  for (let i = 0; i < times.length; i++) {
    const t = times[i];
    if (previous !== null) {
      const x = t - previous;
      acc.n++;
      const delta = x - acc.mean;
      acc.mean += delta / acc.n;
      acc.m2 += delta * (x - acc.mean);
    }
    previous = t;
  }
  return previous;
}

/** Connection start times of one flow, bounded, and the interval statistics they give. */
export class IntervalStats {
  private buffer: number[] = [];
  private readonly acc: Welford = { n: 0, mean: 0, m2: 0 };
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
    this.frontier = fold(this.acc, this.frontier, ascending(this.buffer));
    this.buffer = [];
  }

  /**
   * Mean interval (ms, from two starts on) and its coefficient of variation (sample standard deviation over the
   * mean, from three starts on, absent when the mean is 0). Does not change the state: a window may be corrected.
   */
  result(): { meanMs?: number; cv?: number } {
    const acc = { ...this.acc };
    fold(acc, this.frontier, ascending(this.buffer));
    if (acc.n === 0) return {};
    if (acc.n < 2 || acc.mean === 0) return { meanMs: acc.mean };
    return { meanMs: acc.mean, cv: Math.sqrt(acc.m2 / (acc.n - 1)) / acc.mean };
  }

  /** Approximate bytes held: the object, its accumulator (two boxed numbers), the buffer and its spare slots. */
  get bytes(): number {
    return 64 + 80 + 48 + 8 * (this.buffer.length + (this.buffer.length >> 2) + 16);
  }

  toJSON(): IntervalStatsJSON {
    return { buffer: [...this.buffer], ...this.acc, frontier: this.frontier, skipped: this.skipped };
  }

  /** Rebuilds the statistics from {@link toJSON}'s output. */
  static fromJSON(json: IntervalStatsJSON, maxBuffered: number): IntervalStats {
    const stats = new IntervalStats(maxBuffered);
    stats.buffer = [...json.buffer];
    stats.acc.n = json.n;
    stats.acc.mean = json.mean;
    stats.acc.m2 = json.m2;
    stats.frontier = json.frontier;
    stats.skipped = json.skipped;
    return stats;
  }
}
