/**
 * Suppression: at most one detection per key and finding per `suppress_ms` of event time; the repeats in between
 * are counted and reported on the next detection that passes, so an analyst sees one alert an hour for a beacon,
 * with how many windows it stood for. Bounded (least recent key evicted, counted).
 */
import { entryBound } from '@egressguard/core';
import { LRUCache } from 'lru-cache';

/** What the suppression remembers about one key and finding. */
export type SuppressionEntry = [lastEmittedMs: number, suppressedSince: number];

/** The decision for one detection. */
export type SuppressionDecision =
  { readonly emit: true; readonly suppressedBefore: number } | { readonly emit: false };

/** Per key and finding suppression state. */
export class Suppression {
  private readonly cache: LRUCache<string, SuppressionEntry>;
  private readonly suppressMs: number;

  constructor(suppressMs: number, maxKeys: number, onEvict: () => void) {
    this.suppressMs = suppressMs;
    this.cache = new LRUCache<string, SuppressionEntry>({
      ...entryBound(maxKeys),
      dispose: (_value, _key, reason) => {
        if (reason === 'evict') onEvict();
      },
    });
  }

  /**
   * Decides whether a detection at event time `atMs` is emitted. Distance is measured both ways: a correction of
   * an older window that newly fires within `suppress_ms` of the last emission is a repeat too.
   */
  decide(key: string, atMs: number): SuppressionDecision {
    const entry = this.cache.get(key);
    if (entry && this.suppressMs > 0 && Math.abs(atMs - entry[0]) < this.suppressMs) {
      entry[1] += 1;
      return { emit: false };
    }
    // The anchor never moves back: an older window arriving out of order (a late correction, a replay of a file
    // that sorts otherwise) that fires more than suppress_ms before the last detection must not reopen the
    // suppression of the windows that follow that detection.
    this.cache.set(key, [entry ? Math.max(entry[0], atMs) : atMs, 0]);
    return { emit: true, suppressedBefore: entry ? entry[1] : 0 };
  }

  get size(): number {
    return this.cache.size;
  }

  /** Least recent first. */
  toJSON(): [string, SuppressionEntry][] {
    const out: [string, SuppressionEntry][] = [];
    for (const entry of this.cache.rentries()) {
      const [k, v] = entry as [string, SuppressionEntry];
      out.push([k, [v[0], v[1]]]);
    }
    return out;
  }

  /** Replaces the state with a snapshot's. */
  load(entries: readonly [string, SuppressionEntry][]): void {
    this.cache.clear();
    for (const [k, v] of entries) this.cache.set(k, [v[0], v[1]]);
  }
}
