/**
 * The process table: every process a sensor reported the start of, keyed by host, pid and creation time, so that
 * a pid the kernel hands out again never attributes a connection to the previous owner of that pid.
 */
import type { AnyValue } from '@opentelemetry/api';
import { attributeDictionaryMaker, type RecordAttributes } from '@egressguard/schema';
import { entryBound } from '@egressguard/core';
import { LRUCache } from 'lru-cache';

/** One process: its host, pid, start and (once known) exit, and the `process.*` attributes its sensor reported. */
export interface ProcessEntry {
  readonly host: string;
  readonly pid: number;
  /** Creation time, Unix ms. */
  readonly startMs: number;
  /** Exit time, Unix ms, once an exit record arrived. */
  exitMs: number | undefined;
  /** The `process.*` and `container.id` attributes of the exec record. */
  readonly attributes: RecordAttributes;
}

/** What the table knows about a pid at a given time. */
export type ProcessLookup =
  /** The process that held the pid at that time; `exact` when the creation time matched too. */
  | {
      readonly kind: 'found';
      readonly entry: ProcessEntry;
      readonly exact: boolean;
      readonly inSlack: boolean;
    }
  /** The table knows the pid, but its last process before that time had already exited. */
  | { readonly kind: 'gone'; readonly entry: ProcessEntry }
  /** Nothing known about the pid at that time. */
  | { readonly kind: 'unknown' };

/** Options of {@link ProcessTable}. */
export interface ProcessTableOptions {
  /** Entries kept across hosts; least recently used go first. */
  readonly maxEntries: number;
  /** How long (event time, against the host's largest event time) an entry stays after its exit. */
  readonly exitRetentionMs: number;
  /** Clock slack allowed around a lifetime. */
  readonly lifetimeSlackMs: number;
}

/** A plain-JSON form of the table for snapshots. */
export interface ProcessTableState {
  readonly entries: [
    host: string,
    pid: number,
    startMs: number,
    exitMs: number | null,
    attributes: RecordAttributes,
  ][];
  readonly watermarks: [host: string, ms: number][];
}

const SEP = '\u0000';

/** The answer for a pid the table knows nothing about: one shared, read-only value. */
const UNKNOWN: ProcessLookup = Object.freeze({ kind: 'unknown' });

/** A bounded process table with pid-reuse-safe lookups by time. */
export class ProcessTable {
  private readonly options: ProcessTableOptions;
  private readonly entries: LRUCache<string, ProcessEntry>;
  /**
   * Per host, then per pid, the entries sorted by start time. Keyed by the pid as a number so that a lookup builds no
   * key string.
   */
  private readonly byPid = new Map<string, Map<number, ProcessEntry[]>>();
  /** Per host, the exited entries in the order their exit arrived (close to exit-time order). */
  private readonly exited = new Map<string, ProcessEntry[]>();
  private readonly watermarks = new Map<string, number>();
  /** Entries pushed out by the size bound. */
  evictions = 0;

  constructor(options: ProcessTableOptions) {
    this.options = options;
    this.entries = new LRUCache<string, ProcessEntry>({
      ...entryBound(options.maxEntries),
      dispose: (entry, _key, reason) => {
        if (reason === 'set') return;
        if (reason === 'evict') this.evictions += 1;
        this.unindex(entry);
      },
    });
  }

  /** Entries held. */
  get size(): number {
    return this.entries.size;
  }

  /** Notes an event time of a host; retention after exit is measured against the largest one. */
  observe(host: string, timeMs: number): void {
    const current = this.watermarks.get(host);
    if (current === undefined || timeMs > current) this.watermarks.set(host, timeMs);
  }

  /**
   * Adds a process start. A second exec of the same host, pid and creation time (two sensors reporting the same
   * start) completes the first entry's missing attributes instead of adding another.
   */
  addExec(host: string, pid: number, startMs: number, attributes: RecordAttributes): ProcessEntry {
    const key = keyOf(host, pid, startMs);
    const existing = this.entries.get(key);
    if (existing) {
      for (const [name, value] of Object.entries(attributes)) {
        if (existing.attributes[name] === undefined && value !== undefined) existing.attributes[name] = value;
      }
      return existing;
    }
    const entry: ProcessEntry = { host, pid, startMs, exitMs: undefined, attributes: { ...attributes } };
    this.entries.set(key, entry);
    let pids = this.byPid.get(host);
    if (!pids) {
      pids = new Map();
      this.byPid.set(host, pids);
    }
    const list = pids.get(pid);
    if (!list) pids.set(pid, [entry]);
    else {
      let i = list.length;
      while (i > 0 && list[i - 1].startMs > startMs) i -= 1;
      list.splice(i, 0, entry);
    }
    return entry;
  }

  /**
   * Records a process exit: the entry with the given creation time, or else the last one of the pid that started
   * before the exit. Returns false when no entry fits.
   */
  addExit(host: string, pid: number, exitMs: number, startMs?: number): boolean {
    const list = this.byPid.get(host)?.get(pid);
    if (!list) return false;
    let entry: ProcessEntry | undefined;
    if (startMs !== undefined) entry = nearestStart(list, startMs, this.options.lifetimeSlackMs);
    else {
      // The last process that started strictly before the exit: a pid is handed out again only once its previous
      // owner is gone, so an exit at (or, within the clock slack, just before) the start of the pid's next process
      // is the previous owner's. Only when no process started before it does the slack let a later start match.
      for (const e of list) if (e.startMs < exitMs) entry = e;
      if (!entry) {
        for (const e of list) if (e.startMs <= exitMs + this.options.lifetimeSlackMs) entry = e;
      }
    }
    if (!entry) return false;
    if (entry.exitMs === undefined) {
      const queue = this.exited.get(host);
      if (queue) queue.push(entry);
      else this.exited.set(host, [entry]);
    }
    entry.exitMs = exitMs;
    return true;
  }

  /**
   * The process that held `pid` on `host` at `timeMs`. With `startMs` (the record carried a creation time) only
   * that process matches. A process's lifetime ends at its exit, or else where the next process with the same pid
   * started.
   */
  lookup(host: string, pid: number, timeMs: number, startMs?: number): ProcessLookup {
    const list = this.byPid.get(host)?.get(pid);
    if (!list || list.length === 0) return UNKNOWN;
    const slack = this.options.lifetimeSlackMs;
    if (startMs !== undefined) {
      const entry = nearestStart(list, startMs, slack);
      if (!entry) return UNKNOWN;
      this.touch(entry);
      return { kind: 'found', entry, exact: true, inSlack: false };
    }
    // Latest start first: at the instant a pid's next process starts (the previous one's end when its exit was not
    // seen), the record belongs to the process that starts then, not to the one that is gone.
    for (let i = list.length - 1; i >= 0; i--) {
      const entry = list[i];
      if (entry.startMs <= timeMs && timeMs <= endOf(list, i)) {
        this.touch(entry);
        return { kind: 'found', entry, exact: false, inSlack: false };
      }
    }
    let inSlack: ProcessEntry | undefined;
    let endedBefore: ProcessEntry | undefined;
    for (let i = 0; i < list.length; i++) {
      const entry = list[i];
      const end = endOf(list, i);
      if (entry.startMs - slack <= timeMs && timeMs <= end + slack) inSlack ??= entry;
      if (entry.startMs <= timeMs && end < timeMs) endedBefore = entry;
    }
    if (inSlack) {
      this.touch(inSlack);
      return { kind: 'found', entry: inSlack, exact: false, inSlack: true };
    }
    if (endedBefore?.exitMs !== undefined) return { kind: 'gone', entry: endedBefore };
    return UNKNOWN;
  }

  /** Removes entries whose exit is older than the retention, against their host's largest event time. */
  sweep(): number {
    let removed = 0;
    for (const [host, queue] of this.exited) {
      const watermark = this.watermarks.get(host);
      if (watermark === undefined) continue;
      let i = 0;
      while (i < queue.length) {
        const entry = queue[i];
        if (entry.exitMs !== undefined && entry.exitMs + this.options.exitRetentionMs >= watermark) break;
        if (this.entries.delete(keyOf(entry.host, entry.pid, entry.startMs))) removed += 1;
        i += 1;
      }
      if (i > 0) queue.splice(0, i);
      if (queue.length === 0) this.exited.delete(host);
    }
    return removed;
  }

  /** The table as plain JSON. */
  toJSON(): ProcessTableState {
    const entries: ProcessTableState['entries'] = [];
    // Oldest first, so that a restore rebuilds the same recency order.
    for (const entry of [...this.entries.values()].reverse()) {
      entries.push([entry.host, entry.pid, entry.startMs, entry.exitMs ?? null, entry.attributes]);
    }
    return { entries, watermarks: [...this.watermarks] };
  }

  /** Replaces the content with a snapshot written by {@link toJSON}. */
  restore(state: ProcessTableState): void {
    this.entries.clear();
    this.byPid.clear();
    this.exited.clear();
    this.watermarks.clear();
    for (const [host, ms] of state.watermarks) this.watermarks.set(host, ms);
    for (const [host, pid, startMs, exitMs, attributes] of state.entries) {
      this.addExec(host, pid, startMs, attributes);
      if (exitMs !== null) this.addExit(host, pid, exitMs, startMs);
    }
  }

  private touch(entry: ProcessEntry): void {
    this.entries.get(keyOf(entry.host, entry.pid, entry.startMs));
  }

  private unindex(entry: ProcessEntry): void {
    const pids = this.byPid.get(entry.host);
    const list = pids?.get(entry.pid);
    if (!pids || !list) return;
    const i = list.indexOf(entry);
    if (i !== -1) list.splice(i, 1);
    if (list.length === 0) {
      pids.delete(entry.pid);
      if (pids.size === 0) this.byPid.delete(entry.host);
    }
  }
}

/** The end of the lifetime of `list[i]`: its exit, else the start of the pid's next process, else open. */
function endOf(list: readonly ProcessEntry[], i: number): number {
  return list[i].exitMs ?? list[i + 1]?.startMs ?? Number.POSITIVE_INFINITY;
}

function keyOf(host: string, pid: number, startMs: number): string {
  return host + SEP + String(pid) + SEP + String(startMs);
}

function nearestStart(
  list: readonly ProcessEntry[],
  startMs: number,
  slackMs: number,
): ProcessEntry | undefined {
  let best: ProcessEntry | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const entry of list) {
    const distance = Math.abs(entry.startMs - startMs);
    if (distance <= slackMs && distance < bestDistance) {
      best = entry;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * The dictionaries of {@link processAttributesOf}: held by the table and the join buffer, a dozen attributes at most,
 * sized by V8 to what the first held (a literal `{}` has room for four, and the rest go to an array of their own).
 */
const newProcessAttributes = attributeDictionaryMaker();

/** The attributes a process record contributes to the table (and a table entry to a connection record). */
export function processAttributesOf(
  attributes: Readonly<Record<string, AnyValue>>,
  keys: readonly string[],
): RecordAttributes {
  const out = newProcessAttributes();
  for (const key of keys) {
    const value = keptValue(attributes[key]);
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** A record's value as {@link processAttributesOf} keeps it: an empty one (null, '') is not kept. */
export function keptValue(value: AnyValue): AnyValue {
  return value === null || value === '' ? undefined : value;
}
