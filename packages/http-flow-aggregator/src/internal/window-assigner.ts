/**
 * Assigns an event time to its windows. Windows are aligned to the Unix epoch, start inclusive and end exclusive,
 * so that every instance (and every restart) cuts the same windows.
 */
import { isEventTimeInRange } from '@egressguard/schema';

/** The windows of one shape: tumbling when `hopMs` equals `windowMs`. */
export class WindowAssigner {
  readonly windowMs: number;
  readonly hopMs: number;
  /** Windows holding any one instant: ceil(window / hop). */
  readonly perInstant: number;

  constructor(windowMs: number, hopMs: number = windowMs) {
    if (!(windowMs > 0) || !(hopMs > 0) || hopMs > windowMs)
      throw new RangeError(`window ${windowMs} ms and hop ${hopMs} ms: need 0 < hop <= window`);
    this.windowMs = windowMs;
    this.hopMs = hopMs;
    this.perInstant = Math.ceil(windowMs / hopMs);
  }

  /**
   * Start times (Unix ms) of the windows holding `eventMs`, oldest first; none for a time outside 1970..2200 or not
   * finite. The loop runs at most ceil(window / hop) times: past 2^53 ms, stepping back by the hop no longer changes
   * a number, and a loop bounded by the arithmetic alone would never end.
   */
  startsFor(eventMs: number): number[] {
    if (!isEventTimeInRange(eventMs)) return [];
    const starts: number[] = [];
    const last = this.lastStart(eventMs);
    for (let k = this.perInstant - 1; k >= 0; k--) {
      const start = this.start(last, k, eventMs);
      if (start !== undefined) starts.push(start);
    }
    return starts;
  }

  /**
   * The start of the newest window holding `eventMs`, a time in 1970..2200. With {@link start} it gives the starts
   * of {@link startsFor} without an array, for code that runs once per connection.
   */
  lastStart(eventMs: number): number {
    return Math.floor(eventMs / this.hopMs) * this.hopMs;
  }

  /**
   * The start of the window `k` hops before `last` (the {@link lastStart} of `eventMs`), `k` below
   * {@link perInstant}, when that window holds `eventMs`; else `undefined`.
   */
  start(last: number, k: number, eventMs: number): number | undefined {
    const start = last - k * this.hopMs;
    return start > eventMs - this.windowMs ? start : undefined;
  }
}
