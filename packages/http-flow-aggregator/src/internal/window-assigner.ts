/**
 * Assigns an event time to its windows. Windows are aligned to the Unix epoch, start inclusive and end exclusive,
 * so that every instance (and every restart) cuts the same windows.
 */

/** The windows of one shape: tumbling when `hopMs` equals `windowMs`. */
export class WindowAssigner {
  readonly windowMs: number;
  readonly hopMs: number;

  constructor(windowMs: number, hopMs: number = windowMs) {
    this.windowMs = windowMs;
    this.hopMs = hopMs;
  }

  /** Start times (Unix ms) of the windows holding `eventMs`, oldest first. */
  startsFor(eventMs: number): number[] {
    const last = Math.floor(eventMs / this.hopMs) * this.hopMs;
    const starts: number[] = [];
    for (let start = last; start > eventMs - this.windowMs; start -= this.hopMs) starts.unshift(start);
    return starts;
  }
}
