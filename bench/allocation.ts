/**
 * Heap allocation over a stretch of code, from V8's own GC statistics (`v8.GCProfiler`): every byte the heap grew
 * by between collections, plus what each collection found in use before it ran, is a byte allocated. Exact for what
 * lives on the JavaScript heap (objects, strings, arrays); buffers outside it are not counted.
 */
import { GCProfiler, getHeapStatistics } from 'node:v8';

/** What was allocated while a {@link AllocationMeter} ran. */
export interface Allocation {
  /** Bytes allocated on the JavaScript heap. */
  readonly bytes: number;
  /** Garbage collections (scavenges and full collections). */
  readonly collections: number;
  /** Time spent in them, ms. */
  readonly gcMs: number;
}

/** Starts measuring at construction; `stop()` says what was allocated since. */
export class AllocationMeter {
  private readonly profiler = new GCProfiler();
  private readonly usedAtStart: number;

  constructor() {
    this.usedAtStart = getHeapStatistics().used_heap_size;
    this.profiler.start();
  }

  stop(): Allocation {
    const usedAtEnd = getHeapStatistics().used_heap_size;
    const result = this.profiler.stop();
    let bytes = 0;
    let used = this.usedAtStart;
    let gcMicros = 0;
    for (const gc of result.statistics) {
      bytes += Math.max(0, gc.beforeGC.heapStatistics.usedHeapSize - used);
      used = gc.afterGC.heapStatistics.usedHeapSize;
      gcMicros += gc.cost;
    }
    bytes += Math.max(0, usedAtEnd - used);
    return { bytes, collections: result.statistics.length, gcMs: gcMicros / 1000 };
  }
}
