/**
 * Memory figures for benchmarks that say what a structure holds: heap and array-buffer bytes in use once garbage is
 * collected.
 */

/** Collections at most before the figures are taken as they are. */
const MAX_COLLECTIONS = 8;

/**
 * Heap and array-buffer bytes in use after forced collections (the process must run with `--expose-gc`; throws
 * otherwise). V8 releases the memory of dead array buffers after the collection that finds them dead, so one
 * collection can leave the buffers of earlier work counted: collections are repeated until the array-buffer figure
 * stops moving. Synchronous on purpose: an `await` between the collections and the caller's figures would let what the
 * caller's suspended frame still refers to, or no longer does, count in one figure and not in the other.
 */
export function settledMemoryUsage(): { heapUsed: number; arrayBuffers: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('settledMemoryUsage needs node --expose-gc');
  let previous = Number.NaN;
  let usage = process.memoryUsage();
  for (let i = 0; i < MAX_COLLECTIONS; i++) {
    gc();
    usage = process.memoryUsage();
    if (usage.arrayBuffers === previous) break;
    previous = usage.arrayBuffers;
  }
  return { heapUsed: usage.heapUsed, arrayBuffers: usage.arrayBuffers };
}
