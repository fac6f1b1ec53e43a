/**
 * The cross-sensor join: connection records that carried a pid (auditd, Tetragon, Sysmon, ss) are kept for a
 * while, indexed by 5-tuple and by destination, so that a record of the same connection from a sensor that sees no
 * process (Zeek) can borrow its process. auditd's `connect` carries no source port, so for it only the host, the
 * destination and the time can be compared: that weaker match is reported as such, and when it leaves more than one
 * process in the running the join says "ambiguous" instead of picking one.
 */
import type { RecordAttributes } from '@egressguard/schema';

/** A connection record that carried a pid, reduced to what the join compares and copies. */
export interface JoinCandidate {
  readonly host: string;
  readonly timeMs: number;
  /** Canonical local address, when the sensor saw it. */
  readonly sourceAddress?: string;
  /** Local port, when the sensor saw it (auditd does not). */
  readonly sourcePort?: number;
  /** Canonical remote address. */
  readonly destinationAddress: string;
  readonly destinationPort: number;
  readonly pid: number;
  /** The `process.*` and `container.id` attributes the sensor reported. */
  readonly attributes: RecordAttributes;
}

/** A record looking for its process. */
export interface JoinQuery {
  readonly host: string;
  readonly timeMs: number;
  readonly sourceAddress?: string;
  readonly sourcePort?: number;
  readonly destinationAddress: string;
  readonly destinationPort: number;
}

/** The outcome of a join. */
export type JoinResult =
  /** One process; `fiveTuple` when source address and port matched too, else host, destination and time only. */
  | {
      readonly kind: 'match';
      readonly fiveTuple: boolean;
      readonly pid: number;
      readonly attributes: RecordAttributes;
    }
  /** Several distinct processes fit: the join will not pick one. */
  | { readonly kind: 'ambiguous'; readonly fiveTuple: boolean; readonly candidates: number }
  | { readonly kind: 'none' };

/** Options of {@link ConnectionJoinBuffer}. */
export interface ConnectionJoinOptions {
  /** Largest event-time difference between two records of one connection. */
  readonly toleranceMs: number;
  /** How long (event time, against the host's largest time) candidates are kept. */
  readonly bufferMs: number;
  /** Candidates kept across hosts. */
  readonly maxBuffered: number;
  /** `global`: a full 5-tuple may match across hosts. */
  readonly scope: 'host' | 'global';
}

const SEP = '\u0000';

/** A bounded, time-indexed buffer of connection records that carried a pid. */
export class ConnectionJoinBuffer {
  private readonly options: ConnectionJoinOptions;
  private readonly byTuple = new Map<string, Set<JoinCandidate>>();
  private readonly byDestination = new Map<string, Set<JoinCandidate>>();
  private queue: JoinCandidate[] = [];
  private head = 0;
  /**
   * Candidates before this position of the queue are in the indexes. Indexing waits for the first match after an
   * add: a fleet whose sensors all see the process never asks, and then a candidate costs one push and one shift.
   */
  private indexed = 0;
  private readonly watermarks = new Map<string, number>();
  /** Candidates pushed out by the size bound before their time was up. */
  evictions = 0;

  constructor(options: ConnectionJoinOptions) {
    this.options = options;
  }

  /** Candidates held. */
  get size(): number {
    return this.queue.length - this.head;
  }

  /** Notes an event time of a host; candidates expire against the largest one. */
  observe(host: string, timeMs: number): void {
    const current = this.watermarks.get(host);
    if (current === undefined || timeMs > current) this.watermarks.set(host, timeMs);
  }

  /** The largest event time seen of a host, `-Infinity` before the first. */
  watermark(host: string): number {
    return this.watermarks.get(host) ?? Number.NEGATIVE_INFINITY;
  }

  /** Adds a candidate, evicting the oldest when the bound is reached. */
  add(candidate: JoinCandidate): void {
    while (this.size >= this.options.maxBuffered) {
      this.removeHead();
      this.evictions += 1;
    }
    this.queue.push(candidate);
  }

  /** Puts the candidates added since the last match into the indexes. */
  private index(): void {
    for (let i = Math.max(this.indexed, this.head); i < this.queue.length; i++) {
      const candidate = this.queue[i];
      if (candidate.sourceAddress !== undefined && candidate.sourcePort !== undefined) {
        addTo(
          this.byTuple,
          this.tupleKey(candidate.host, candidate.sourceAddress, candidate.sourcePort, candidate),
          candidate,
        );
      }
      addTo(this.byDestination, destinationKey(candidate.host, candidate), candidate);
    }
    this.indexed = this.queue.length;
  }

  /** Removes candidates older than the buffer time. Returns how many went. */
  expire(): number {
    let removed = 0;
    while (this.head < this.queue.length) {
      const c = this.queue[this.head];
      const watermark = this.watermarks.get(c.host) ?? Number.NEGATIVE_INFINITY;
      if (c.timeMs + this.options.bufferMs >= watermark) break;
      this.removeHead();
      removed += 1;
    }
    return removed;
  }

  /** Finds the process of a record: full 5-tuple first, then host, destination and time. */
  match(query: JoinQuery): JoinResult {
    this.index();
    const tolerance = this.options.toleranceMs;
    const near = (c: JoinCandidate) => Math.abs(c.timeMs - query.timeMs) <= tolerance;
    if (query.sourceAddress !== undefined && query.sourcePort !== undefined) {
      const set = this.byTuple.get(this.tupleKey(query.host, query.sourceAddress, query.sourcePort, query));
      const exact = set ? [...set].filter(near) : [];
      if (exact.length > 0) return decide(exact, true);
    }
    const set = this.byDestination.get(destinationKey(query.host, query));
    if (!set) return { kind: 'none' };
    const loose: JoinCandidate[] = [];
    for (const c of set) {
      if (!near(c)) continue;
      // A side that knows the source port (or address) rules out candidates that know a different one; the loose
      // match only ever pairs a record with a candidate where one of the two lacks the port.
      if (c.sourcePort !== undefined && query.sourcePort !== undefined) continue;
      if (
        c.sourceAddress !== undefined &&
        query.sourceAddress !== undefined &&
        c.sourceAddress !== query.sourceAddress
      ) {
        continue;
      }
      loose.push(c);
    }
    return loose.length === 0 ? { kind: 'none' } : decide(loose, false);
  }

  /** The buffer as plain JSON. */
  toJSON(): { candidates: JoinCandidate[]; watermarks: [string, number][] } {
    return { candidates: this.queue.slice(this.head), watermarks: [...this.watermarks] };
  }

  /** Replaces the content with a snapshot written by {@link toJSON}. */
  restore(state: { candidates: JoinCandidate[]; watermarks: [string, number][] }): void {
    this.byTuple.clear();
    this.byDestination.clear();
    this.queue = [];
    this.head = 0;
    this.indexed = 0;
    this.watermarks.clear();
    for (const [host, ms] of state.watermarks) this.watermarks.set(host, ms);
    for (const c of state.candidates) this.add(c);
  }

  private tupleKey(
    host: string,
    sourceAddress: string,
    sourcePort: number,
    d: JoinQuery | JoinCandidate,
  ): string {
    const scope = this.options.scope === 'global' ? '' : host;
    return `${scope}${SEP}${sourceAddress}|${sourcePort}|${d.destinationAddress}|${d.destinationPort}`;
  }

  private removeHead(): void {
    const c = this.queue[this.head];
    if (!c) return;
    const wasIndexed = this.head < this.indexed;
    this.head += 1;
    if (wasIndexed) {
      if (c.sourceAddress !== undefined && c.sourcePort !== undefined) {
        removeFrom(this.byTuple, this.tupleKey(c.host, c.sourceAddress, c.sourcePort, c), c);
      }
      removeFrom(this.byDestination, destinationKey(c.host, c), c);
    }
    // Compact now and then so the array does not grow without bound.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.indexed = Math.max(0, this.indexed - this.head);
      this.head = 0;
    }
  }
}

function destinationKey(host: string, d: JoinQuery | JoinCandidate): string {
  return `${host}${SEP}${d.destinationAddress}|${d.destinationPort}`;
}

function decide(candidates: JoinCandidate[], fiveTuple: boolean): JoinResult {
  // Two sensors reporting the same connect of the same process are one candidate, not an ambiguity.
  const byProcess = new Map<string, JoinCandidate[]>();
  for (const c of candidates) {
    const key = `${c.host}${SEP}${c.pid}`;
    const list = byProcess.get(key);
    if (list) list.push(c);
    else byProcess.set(key, [c]);
  }
  if (byProcess.size > 1) return { kind: 'ambiguous', fiveTuple, candidates: byProcess.size };
  const attributes: RecordAttributes = {};
  for (const c of candidates) {
    for (const [k, v] of Object.entries(c.attributes)) if (attributes[k] === undefined) attributes[k] = v;
  }
  return { kind: 'match', fiveTuple, pid: candidates[0].pid, attributes };
}

function addTo(index: Map<string, Set<JoinCandidate>>, key: string, c: JoinCandidate): void {
  const set = index.get(key);
  if (set) set.add(c);
  else index.set(key, new Set([c]));
}

function removeFrom(index: Map<string, Set<JoinCandidate>>, key: string, c: JoinCandidate): void {
  const set = index.get(key);
  if (!set) return;
  set.delete(c);
  if (set.size === 0) index.delete(key);
}
