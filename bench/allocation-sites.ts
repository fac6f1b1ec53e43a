/**
 * Where a stretch of code allocates: V8's sampling heap profiler, told to keep the samples of objects the collector
 * has since freed, so that short-lived objects (most of a chain's) count as well as those that stay. Each sample
 * stands for about `intervalBytes` allocated by the function on top of the stack, so the sums are estimates; the
 * exact total comes from `AllocationMeter`. Summed by function and by package as `cpu-profile.ts` sums a CPU profile.
 */
import type { HeapProfiler } from 'node:inspector';
import { Session } from 'node:inspector/promises';

import { FrameSums, type FrameEntry } from './cpu-profile.ts';

/**
 * Sampled allocation by function and by package: `bytes` estimated in all, each entry's bytes and share of them; per
 * record when {@link AllocationSampler.sites} was given the records.
 */
export interface AllocationSites {
  readonly bytes: number;
  readonly byPackage: readonly FrameEntry<'bytes'>[];
  readonly byFunction: readonly FrameEntry<'bytes'>[];
}

/** Samples allocation while {@link start} and {@link stop} bracket code; one profiler session per sampler. */
export class AllocationSampler {
  private readonly session = new Session();
  private readonly sums = new FrameSums();
  private readonly intervalBytes: number;

  constructor(intervalBytes = 1_024) {
    this.intervalBytes = intervalBytes;
    this.session.connect();
  }

  /** Starts sampling. */
  async start(): Promise<void> {
    // The two flags are in the protocol of the V8 that Node 22 ships; the typings of its inspector lack them.
    const params: HeapProfiler.StartSamplingParameterType & Record<string, unknown> = {
      samplingInterval: this.intervalBytes,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    };
    await this.session.post('HeapProfiler.startSampling', params);
  }

  /** Stops sampling and adds what was sampled since {@link start} to the sums. */
  async stop(): Promise<void> {
    const { profile } = await this.session.post('HeapProfiler.stopSampling');
    this.add(profile.head);
  }

  /** The sums so far, the `top` largest of each, divided by `records` (the records the sampled code handled). */
  sites(top = 15, records = 1): AllocationSites {
    return { bytes: this.sums.total / records, ...this.sums.largest(top, 'bytes', records) };
  }

  /** Ends the profiler session. */
  close(): void {
    this.session.disconnect();
  }

  private add(root: HeapProfiler.SamplingHeapProfileNode): void {
    const stack: HeapProfiler.SamplingHeapProfileNode[] = [root];
    for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
      if (node.selfSize > 0) this.sums.add(node.callFrame, node.selfSize);
      stack.push(...node.children);
    }
  }
}
