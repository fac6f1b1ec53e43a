/**
 * Options for an `lru-cache` of at most `max` entries whose storage grows with what it holds.
 *
 * Given `max`, lru-cache allocates its key, value and link arrays for `max` entries when the cache is made (22 to 28
 * bytes an entry): the default chain's caches, bounded at tens of thousands of entries each, would hold more than
 * 10 MiB before the first record, in every pipeline, and the garbage collector sizes the heap after what is live.
 * Counting every entry as size 1 against `maxSize` keeps the same bound: when one more entry would pass it, the least
 * recently used one is evicted (disposed with reason `evict`, as with `max`), while the arrays grow with the
 * entries. A full cache holds about 20 bytes an entry more than a preallocated one.
 *
 *     new LRUCache<string, Entry>({ ...entryBound(config.max_entries), dispose })
 */
export function entryBound(max: number): { readonly maxSize: number; readonly sizeCalculation: () => 1 } {
  return { maxSize: max, sizeCalculation: one };
}

const one = (): 1 => 1;
