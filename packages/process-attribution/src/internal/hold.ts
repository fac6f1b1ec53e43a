/**
 * Connection records waiting for their exec or their join partner: bounded by `join.max_held`, due once their
 * host's event time passed their own time plus `join.wait_ms` or once they waited `join.max_wait_processing_ms`.
 */
import type { Held } from './snapshot.ts';

/** The bounds of the wait. */
export interface HoldOptions {
  readonly maxHeld: number;
  readonly waitMs: number;
  readonly maxWaitProcessingMs: number;
}

/** The held records, oldest first. */
export class HeldRecords {
  private items: Held[] = [];

  private readonly options: HoldOptions;

  constructor(options: HoldOptions) {
    this.options = options;
  }

  get size(): number {
    return this.items.length;
  }

  /** The held records, oldest first (for a snapshot). */
  get all(): readonly Held[] {
    return this.items;
  }

  /** When the bound is reached, takes out the oldest record to make room for one more. */
  makeRoom(): Held | undefined {
    return this.items.length >= this.options.maxHeld ? this.items.shift() : undefined;
  }

  /** Holds a record (after {@link makeRoom}). */
  add(held: Held): void {
    this.items.push(held);
  }

  /** Takes out the records whose wait is over, or all of them. */
  takeDue(which: 'due' | 'all', watermark: (host: string) => number, nowMs: number): Held[] {
    const keep: Held[] = [];
    const due: Held[] = [];
    for (const h of this.items) {
      const isDue =
        which === 'all' ||
        watermark(h.host) >= h.timeMs + this.options.waitMs ||
        nowMs - h.heldAtMs >= this.options.maxWaitProcessingMs;
      (isDue ? due : keep).push(h);
    }
    this.items = keep;
    return due;
  }

  /** Replaces the content (a restore). */
  load(held: Held[]): void {
    this.items = held;
  }
}
