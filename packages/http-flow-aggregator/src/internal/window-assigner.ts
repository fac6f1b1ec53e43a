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
  private readonly perInstant: number;

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
    const last = Math.floor(eventMs / this.hopMs) * this.hopMs;
    const starts: number[] = [];
    for (let k = 0; k < this.perInstant; k++) {
      const start = last - k * this.hopMs;
      if (start <= eventMs - this.windowMs) break;
      starts.unshift(start);
    }
    return starts;
  }
}
