/**
 * A binary min-heap of items by expiry time, so a join buffer finds what is due without scanning everything it
 * holds. Removal is lazy: the owner checks that a popped item is still current.
 */
export class ExpiryHeap<T> {
  readonly #keys: number[] = [];
  readonly #items: T[] = [];

  /** Number of items held (stale ones included until popped). */
  get size(): number {
    return this.#keys.length;
  }

  /** Adds an item due at `key`. */
  push(key: number, item: T): void {
    const keys = this.#keys;
    const items = this.#items;
    let i = keys.length;
    keys.push(key);
    items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((keys[parent] ?? 0) <= key) break;
      keys[i] = keys[parent] ?? 0;
      items[i] = items[parent];
      i = parent;
    }
    keys[i] = key;
    items[i] = item;
  }

  /** The earliest due time, or undefined when empty. */
  peekKey(): number | undefined {
    return this.#keys[0];
  }

  /** Removes and returns the earliest item. */
  pop(): T | undefined {
    const keys = this.#keys;
    const items = this.#items;
    if (keys.length === 0) return undefined;
    const top = items[0];
    const lastKey = keys.pop() ?? 0;
    const lastItem = items.pop() as T;
    const n = keys.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && (keys[r] ?? 0) < (keys[l] ?? 0) ? r : l;
        if ((keys[c] ?? 0) >= lastKey) break;
        keys[i] = keys[c] ?? 0;
        items[i] = items[c];
        i = c;
      }
      keys[i] = lastKey;
      items[i] = lastItem;
    }
    return top;
  }

  /** Drops everything. */
  clear(): void {
    this.#keys.length = 0;
    this.#items.length = 0;
  }
}
