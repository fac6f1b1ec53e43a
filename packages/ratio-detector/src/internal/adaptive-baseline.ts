/**
 * Per-identity baselines for the adaptive mode: the last N windows of each identity (connections counted and
 * received/sent ratio), bounded per identity and in the number of identities (least recent evicted, counted).
 * Only windows in which the identity was active exist: the aggregator emits no record for a silent window, so the
 * baseline describes the identity's active windows.
 */
import { entryBound } from '@egressguard/core';
import { LRUCache } from 'lru-cache';

/** One window of an identity: start (Unix ms), connections counted, received/sent ratio or `null` when unknown. */
export type BaselineSample = [windowStart: number, connections: number, ratio: number | null];

/** The baselines of every identity. */
export class AdaptiveBaselines {
  private readonly cache: LRUCache<string, BaselineSample[]>;
  private readonly historyWindows: number;

  constructor(maxIdentities: number, historyWindows: number, onEvict: () => void) {
    this.historyWindows = historyWindows;
    this.cache = new LRUCache<string, BaselineSample[]>({
      ...entryBound(maxIdentities),
      dispose: (_value, _key, reason) => {
        if (reason === 'evict') onEvict();
      },
    });
  }

  /** The identity's history without the window starting at `windowStart` (a correction is judged against the rest). */
  history(identity: string, windowStart: number): BaselineSample[] {
    const samples = this.cache.get(identity);
    return samples ? samples.filter((s) => s[0] !== windowStart) : [];
  }

  /** Adds a window, replacing an earlier revision of the same window, and keeps the last `history_windows`. */
  record(identity: string, sample: BaselineSample): void {
    const samples = this.cache.get(identity) ?? [];
    const at = samples.findIndex((s) => s[0] === sample[0]);
    if (at !== -1) samples[at] = sample;
    else {
      samples.push(sample);
      samples.sort((a, b) => a[0] - b[0]);
      if (samples.length > this.historyWindows) samples.splice(0, samples.length - this.historyWindows);
    }
    this.cache.set(identity, samples);
  }

  get size(): number {
    return this.cache.size;
  }

  /** Samples held over all identities. */
  sampleCount(): number {
    let n = 0;
    for (const samples of this.cache.values()) n += samples.length;
    return n;
  }

  /** Least recent first, so that restoring in this order rebuilds the same recency. */
  toJSON(): [string, BaselineSample[]][] {
    const out: [string, BaselineSample[]][] = [];
    for (const entry of this.cache.rentries()) {
      const [k, v] = entry as [string, BaselineSample[]];
      out.push([k, v.map((s) => [s[0], s[1], s[2]])]);
    }
    return out;
  }

  /** Replaces every baseline with a snapshot's. */
  load(entries: readonly [string, BaselineSample[]][]): void {
    this.cache.clear();
    for (const [k, v] of entries) this.cache.set(k, v.slice(-this.historyWindows));
  }
}
