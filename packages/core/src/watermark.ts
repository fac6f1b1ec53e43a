/**
 * Event-time watermark with bounded out-of-orderness and a bounded allowed lateness, as stream processors define
 * them: the watermark trails the largest event time seen by `out_of_order_ms`; a window ending at `end` is due when
 * the watermark reaches `end`, and is final (its state may go) once the watermark is past `end + allowed_lateness_ms`.
 */

/** How a record's event time relates to the watermark. */
export type Lateness = 'on_time' | 'late' | 'too_late';

/** Options of {@link EventTimeWatermark}. */
export interface WatermarkOptions {
  /** How far behind the largest event time the watermark trails. Default 0. */
  readonly outOfOrderMs?: number;
  /** How long after a window is due a late record may still correct it. */
  readonly allowedLatenessMs: number;
}

/** Tracks the watermark of one event-time stream. */
export class EventTimeWatermark {
  private maxEventMs = Number.NEGATIVE_INFINITY;
  private readonly outOfOrderMs: number;
  readonly allowedLatenessMs: number;

  constructor(options: WatermarkOptions) {
    this.outOfOrderMs = options.outOfOrderMs ?? 0;
    this.allowedLatenessMs = options.allowedLatenessMs;
  }

  /** Notes an event time; the watermark never goes back. */
  observe(eventMs: number): void {
    if (eventMs > this.maxEventMs) this.maxEventMs = eventMs;
  }

  /** The current watermark, `-Infinity` before the first event. */
  get value(): number {
    return this.maxEventMs - this.outOfOrderMs;
  }

  /** Whether a window ending (exclusive) at `endMs` is due: the watermark has passed its end. */
  isDue(endMs: number): boolean {
    return this.value >= endMs;
  }

  /**
   * Whether a window ending at `endMs` is final: the watermark has moved more than the allowed lateness past its
   * end, so no late record may change it any more.
   */
  isFinal(endMs: number): boolean {
    return this.value > endMs + this.allowedLatenessMs;
  }

  /** Classifies a record of the window ending at `windowEndMs`. */
  classify(windowEndMs: number): Lateness {
    if (!this.isDue(windowEndMs)) return 'on_time';
    return this.isFinal(windowEndMs) ? 'too_late' : 'late';
  }

  /** Snapshot of the watermark state. */
  toJSON(): { maxEventMs: number | null } {
    return { maxEventMs: Number.isFinite(this.maxEventMs) ? this.maxEventMs : null };
  }

  /** Restores a snapshot written by {@link toJSON}. */
  restore(state: { maxEventMs: number | null }): void {
    this.maxEventMs = state.maxEventMs ?? Number.NEGATIVE_INFINITY;
  }
}
