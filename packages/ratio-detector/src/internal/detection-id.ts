/**
 * Stable detection ids, and the memory of which ids were already decided: a corrected window (a later revision of
 * the same flow) that still qualifies produces the same id and is not fired, or counted as a repeat, twice.
 */
import { createHash } from 'node:crypto';

import { entryBound } from '@egressguard/core';
import { LRUCache } from 'lru-cache';

/** 32 hex characters of SHA-256 over host, key, window start, rule and finding. */
export function detectionId(
  host: string,
  key: string,
  windowStart: number,
  rule: string,
  finding: string,
): string {
  return createHash('sha256')
    .update(`${host}\u0000${key}\u0000${windowStart}\u0000${rule}\u0000${finding}`)
    .digest('hex')
    .slice(0, 32);
}

/** Ids already decided (emitted or suppressed), bounded; least recent evicted, counted. */
export class DecidedIds {
  private readonly cache: LRUCache<string, true>;

  constructor(max: number, onEvict: () => void) {
    this.cache = new LRUCache<string, true>({
      ...entryBound(max),
      dispose: (_value, _key, reason) => {
        if (reason === 'evict') onEvict();
      },
    });
  }

  /** Whether an id was decided, without marking it or touching its recency. */
  has(id: string): boolean {
    return this.cache.has(id);
  }

  /** Marks an id as decided; false when it already was. */
  add(id: string): boolean {
    if (this.cache.has(id)) return false;
    this.cache.set(id, true);
    return true;
  }

  get size(): number {
    return this.cache.size;
  }

  /** Least recent first. */
  toJSON(): string[] {
    return [...this.cache.rkeys()];
  }

  /** Replaces the state with a snapshot's. */
  load(ids: readonly string[]): void {
    this.cache.clear();
    for (const id of ids) this.cache.set(id, true);
  }
}
