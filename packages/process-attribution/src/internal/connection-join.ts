/**
 * The cross-sensor join: connection records that carried a pid (auditd, Tetragon, Sysmon, ss) are kept for a
 * while, indexed by 5-tuple and by destination, so that a record of the same connection from a sensor that sees no
 * process (Zeek) can borrow its process. auditd's `connect` carries no source port, so for it only the host, the
 * destination and the time can be compared: that weaker match is reported as such, and when it leaves more than one
 * process in the running the join says "ambiguous" instead of picking one.
 */
import type { Mutable } from '@egressguard/core';
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
  /*
   * The candidates, oldest first, as a ring of columns: the k-th oldest is at slot `(first + k) % capacity`. A
   * candidate stays for `bufferMs` of event time (a minute by default), through many young-generation collections:
   * as an object of its own (and its time, a boxed number) each would be copied by every one of them until promoted,
   * and then be old garbage. In columns a candidate adds no object, and what it keeps (its host, address forms and
   * process attributes) is what the join rule shares among the candidates of one process. The columns grow by
   * doubling, up to `maxBuffered`, and keep their size (72 bytes a slot).
   */
  private capacity = 0;
  private first = 0;
  private count = 0;
  /** Four per slot: event time, pid, destination port, source port (NaN: the sensor gave none). */
  private numbers = new Float64Array(0);
  private hosts: (string | undefined)[] = [];
  private destinationAddresses: (string | undefined)[] = [];
  private sourceAddresses: (string | undefined)[] = [];
  private attributes: (RecordAttributes | undefined)[] = [];
  /**
   * The oldest `indexedCount` candidates are in the indexes, as the objects at their slots here. Indexing waits for
   * the first match after an add: a fleet whose sensors all see the process never asks, and then a candidate costs
   * a few stores into the columns.
   */
  private indexedCount = 0;
  private indexedObjects: (JoinCandidate | undefined)[] = [];
  private readonly watermarks = new Map<string, number>();
  /** Candidates pushed out by the size bound before their time was up. */
  evictions = 0;

  constructor(options: ConnectionJoinOptions) {
    this.options = options;
  }

  /** Candidates held. */
  get size(): number {
    return this.count;
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

  /** Adds a candidate, evicting the oldest when the bound is reached. The candidate object itself is not kept. */
  add(candidate: JoinCandidate): void {
    while (this.count >= this.options.maxBuffered) {
      this.removeHead();
      this.evictions += 1;
    }
    if (this.count === this.capacity) this.grow();
    const s = this.slot(this.count);
    const n = s * 4;
    this.numbers[n] = candidate.timeMs;
    this.numbers[n + 1] = candidate.pid;
    this.numbers[n + 2] = candidate.destinationPort;
    this.numbers[n + 3] = candidate.sourcePort ?? Number.NaN;
    this.hosts[s] = candidate.host;
    this.destinationAddresses[s] = candidate.destinationAddress;
    this.sourceAddresses[s] = candidate.sourceAddress;
    this.attributes[s] = candidate.attributes;
    this.count += 1;
  }

  /** The slot of the k-th oldest candidate. */
  private slot(k: number): number {
    const s = this.first + k;
    return s < this.capacity ? s : s - this.capacity;
  }

  /** Doubles the columns (up to the bound), the oldest candidate moving to slot 0. */
  private grow(): void {
    const capacity = Math.min(Math.max(this.capacity * 2, 256), this.options.maxBuffered);
    const numbers = new Float64Array(capacity * 4);
    const hosts = new Array<string | undefined>(capacity);
    const destinationAddresses = new Array<string | undefined>(capacity);
    const sourceAddresses = new Array<string | undefined>(capacity);
    const attributes = new Array<RecordAttributes | undefined>(capacity);
    const indexedObjects = new Array<JoinCandidate | undefined>(capacity);
    for (let k = 0; k < this.count; k++) {
      const s = this.slot(k);
      numbers.set(this.numbers.subarray(s * 4, s * 4 + 4), k * 4);
      hosts[k] = this.hosts[s];
      destinationAddresses[k] = this.destinationAddresses[s];
      sourceAddresses[k] = this.sourceAddresses[s];
      attributes[k] = this.attributes[s];
      indexedObjects[k] = this.indexedObjects[s];
    }
    this.capacity = capacity;
    this.first = 0;
    this.numbers = numbers;
    this.hosts = hosts;
    this.destinationAddresses = destinationAddresses;
    this.sourceAddresses = sourceAddresses;
    this.attributes = attributes;
    this.indexedObjects = indexedObjects;
  }

  /** The candidate at a slot, as an object (for the indexes and the snapshot). */
  private candidateAt(s: number): JoinCandidate {
    const n = s * 4;
    const candidate: Mutable<JoinCandidate> = {
      host: this.hosts[s]!,
      timeMs: this.numbers[n],
      destinationAddress: this.destinationAddresses[s]!,
      destinationPort: this.numbers[n + 2],
      pid: this.numbers[n + 1],
      attributes: this.attributes[s]!,
    };
    const sourceAddress = this.sourceAddresses[s];
    if (sourceAddress !== undefined) candidate.sourceAddress = sourceAddress;
    const sourcePort = this.numbers[n + 3];
    if (!Number.isNaN(sourcePort)) candidate.sourcePort = sourcePort;
    return candidate;
  }

  /** Puts the candidates added since the last match into the indexes. */
  private index(): void {
    for (let k = this.indexedCount; k < this.count; k++) {
      const s = this.slot(k);
      const candidate = this.candidateAt(s);
      this.indexedObjects[s] = candidate;
      if (candidate.sourceAddress !== undefined && candidate.sourcePort !== undefined) {
        addTo(
          this.byTuple,
          this.tupleKey(candidate.host, candidate.sourceAddress, candidate.sourcePort, candidate),
          candidate,
        );
      }
      addTo(this.byDestination, destinationKey(candidate.host, candidate), candidate);
    }
    this.indexedCount = this.count;
  }

  /** Removes candidates older than the buffer time. Returns how many went. */
  expire(): number {
    let removed = 0;
    while (this.count > 0) {
      const s = this.first;
      const watermark = this.watermarks.get(this.hosts[s]!) ?? Number.NEGATIVE_INFINITY;
      if (this.numbers[s * 4] + this.options.bufferMs >= watermark) break;
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
    const candidates: JoinCandidate[] = [];
    for (let k = 0; k < this.count; k++) candidates.push(this.candidateAt(this.slot(k)));
    return { candidates, watermarks: [...this.watermarks] };
  }

  /** Replaces the content with a snapshot written by {@link toJSON}. */
  restore(state: { candidates: JoinCandidate[]; watermarks: [string, number][] }): void {
    this.byTuple.clear();
    this.byDestination.clear();
    this.capacity = 0;
    this.first = 0;
    this.count = 0;
    this.numbers = new Float64Array(0);
    this.hosts = [];
    this.destinationAddresses = [];
    this.sourceAddresses = [];
    this.attributes = [];
    this.indexedCount = 0;
    this.indexedObjects = [];
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

  /** Removes the oldest candidate (from the indexes too, when it is in them) and lets go of what it held. */
  private removeHead(): void {
    if (this.count === 0) return;
    const s = this.first;
    if (this.indexedCount > 0) {
      const c = this.indexedObjects[s]!;
      if (c.sourceAddress !== undefined && c.sourcePort !== undefined) {
        removeFrom(this.byTuple, this.tupleKey(c.host, c.sourceAddress, c.sourcePort, c), c);
      }
      removeFrom(this.byDestination, destinationKey(c.host, c), c);
      this.indexedObjects[s] = undefined;
      this.indexedCount -= 1;
    }
    this.hosts[s] = undefined;
    this.destinationAddresses[s] = undefined;
    this.sourceAddresses[s] = undefined;
    this.attributes[s] = undefined;
    this.first = s + 1 === this.capacity ? 0 : s + 1;
    this.count -= 1;
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
