/**
 * Revisions of emitted detections. A detection that fired on an interim update (the window so far) is revised
 * when its window closes, with the closed window's evidence, under the same id: an update, never a second alert.
 * Later corrections of the window (late records) revise it again. Two bounded maps, both snapshotted: the last
 * revision and event time of every emitted id, and the detections fired on interim updates whose window has not
 * closed yet (with their finding, so the window's close can revise them even when the rules no longer fire).
 */
import { entryBound } from '@egressguard/core';
import { LRUCache } from 'lru-cache';

import type { Finding } from './finding.ts';

/** A detection fired on an interim update, waiting for its window's close. */
export interface OpenDetection {
  readonly id: string;
  /** The detection's event time (the connection that crossed the thresholds). */
  readonly timeMs: number;
  readonly finding: Finding;
}

/** `[id, revision, timeMs]` */
type RevisionEntry = [string, number, number];

/** The revisions state as plain JSON. */
export interface RevisionsSnapshot {
  readonly emitted: RevisionEntry[];
  readonly open: [string, OpenDetection[]][];
}

/** What the detector remembers to revise detections. */
export class DetectionRevisions {
  private readonly emitted: LRUCache<string, [revision: number, timeMs: number]>;
  private readonly open: LRUCache<string, OpenDetection[]>;

  constructor(max: number, onEvict: () => void) {
    const dispose = (_value: unknown, _key: string, reason: string) => {
      if (reason === 'evict') onEvict();
    };
    this.emitted = new LRUCache<string, [revision: number, timeMs: number]>({ ...entryBound(max), dispose });
    this.open = new LRUCache<string, OpenDetection[]>({ ...entryBound(max), dispose });
  }

  /** Notes the first emission of `id` at event time `timeMs`. */
  emittedFirst(id: string, timeMs: number): void {
    this.emitted.set(id, [0, timeMs]);
  }

  /** The next revision of an emitted id (and its event time), or `undefined` when it was never emitted. */
  next(id: string): { revision: number; timeMs: number } | undefined {
    const entry = this.emitted.get(id);
    if (!entry) return undefined;
    entry[0]++;
    return { revision: entry[0], timeMs: entry[1] };
  }

  /** Remembers a detection fired on an interim update of the window `windowKey`. */
  fireInterim(windowKey: string, detection: OpenDetection): void {
    const list = this.open.get(windowKey);
    if (list) list.push(detection);
    else this.open.set(windowKey, [detection]);
  }

  /** The detections fired on interim updates of a window, forgotten as its close is handled. */
  close(windowKey: string): readonly OpenDetection[] {
    const list = this.open.get(windowKey);
    if (!list) return [];
    this.open.delete(windowKey);
    return list;
  }

  get size(): number {
    return this.emitted.size + this.open.size;
  }

  /** Least recent first. */
  toJSON(): RevisionsSnapshot {
    const emitted: RevisionEntry[] = [];
    for (const entry of this.emitted.rentries()) {
      const [id, [revision, timeMs]] = entry as [string, [number, number]];
      emitted.push([id, revision, timeMs]);
    }
    const open: [string, OpenDetection[]][] = [];
    for (const entry of this.open.rentries()) open.push(entry as [string, OpenDetection[]]);
    return { emitted, open };
  }

  /** Replaces the state with a snapshot's. */
  load(snapshot: RevisionsSnapshot): void {
    this.emitted.clear();
    this.open.clear();
    for (const [id, revision, timeMs] of snapshot.emitted) this.emitted.set(id, [revision, timeMs]);
    for (const [key, list] of snapshot.open) this.open.set(key, list);
  }
}
