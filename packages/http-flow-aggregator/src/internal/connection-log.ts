/**
 * The connections of a window group's flows while each has few, kept as they came instead of aggregated: most keys
 * see a handful of connections per window, and a few numbers per connection cost less than counters, a distinct set,
 * a byte sample and a start-time buffer. One log per group holds the entries of all its flows in shared blocks of
 * numbers, each entry linked to the one its flow logged before it, so that a flow holds one integer for its log (see
 * {@link logRef}: its last entry, its count and what the bytes kinds of its connections came to) instead of an array
 * of its own, and logging a connection allocates no array of its own.
 *
 * An entry is three numbers (24 bytes):
 *
 * - its event time and its link: the time as steps of 2^-12 ms after the window's start, times a power of two, plus
 *   one more than the index of the flow's entry before it (0 for its first);
 * - its byte counts, `sent * 2^27 + received`, or -1 without bytes;
 * - its destination and class: `destination * 16 + flags` with the destination packed (`destination.ts`), or
 *   `-1 - flags` without a destination address; flags are the outcome (two bits), real HTTP (4) and internal (8).
 *
 * Every number is an integer below 2^53, so the entries give back exactly the facts they were made of, and
 * {@link ConnectionLog.replay} feeding them to an aggregate in order gives the very aggregate that adding them as they
 * came would have given. A connection that does not fit (a destination that is not a dotted quad, more than 64 MiB
 * sent or 128 MiB received, a time that is not a whole number of steps after the window's start) cannot be logged:
 * its flow moves to a full aggregate first. Event times are Unix milliseconds, which doubles space 2^-12 ms apart
 * from 2004 to 2039 and wider after, so any time a sensor gives in that span is a whole number of steps; the bits
 * the time takes are those of the window's length, and the rest are the link's, which bounds the entries of the log
 * of a long window (2^19 − 1 for an hour, 2^14 − 1 for a day; up to 17 minutes, the log reference's bound of 2^20
 * is lower).
 *
 * The blocks are plain arrays of numbers (V8 keeps them unboxed, 8 bytes each, behind a 48-byte header), not typed
 * arrays: a typed array and its buffer cost several hundred bytes before their first number, and an aggregator
 * behind a gateway holds a group for every host and window, many of them with a few flows.
 *
 * Entries of a flow that moved to its aggregate stay in the log, unused, until the group is forgotten: at most
 * {@link MAX_LOGGED_CONNECTIONS} per flow, counted in {@link ConnectionLog.bytes}.
 */
import { Outcome, type OutcomeValue } from '@egressguard/schema';

import type { ConnectionFacts } from './connection-facts.ts';
import { nextBytesKind, type FlowAggregate } from './flow-aggregate.ts';

/** Numbers per logged connection. */
const ENTRY = 3;

/** Steps of an entry's time per millisecond: 2^12, the spacing of doubles from 2^40 ms (2004) to 2^41 ms (2039). */
const TIME_STEPS = 4_096;
/** Bits of an integer a double holds exactly. */
const EXACT_BITS = 53;

/**
 * Connections a flow logs before it moves to a full aggregate. Up to here the log is the smaller of the two (a full
 * aggregate of 20 connections holds over 2 KiB, 64 logged connections 1.5 KiB), and building the aggregate from it
 * when the window is emitted costs a few microseconds.
 */
export const MAX_LOGGED_CONNECTIONS = 64;

/**
 * Entries of a block. The first block grows by doubling, from {@link FIRST_ENTRIES} entries, up to this size (a group
 * of a few flows holds a small block); the blocks after it are made full, so that a growing log is never copied past
 * its first block and its spare room is at most one block.
 */
const BLOCK = 1_024;
const BLOCK_SHIFT = 10;
const FIRST_ENTRIES = 4;

/**
 * Entries a group's log holds at most: a flow's log reference (see {@link logRef}) stays a small integer below 2^30
 * (the link bits of a long window bound it lower). Past this a group's flows build their aggregates at once (the
 * `max_keys` bound on flows keeps a log far below it: 64 entries a flow).
 */
const MAX_ENTRIES = 2 ** 20;

const SENT_LIMIT = 67_108_864; // 2^26
const RECEIVED_SPAN = 134_217_728; // 2^27
const FLAG_SPAN = 16;
const REAL_HTTP = 4;
const INTERNAL = 8;
const COUNT_SPAN = 128;
/**
 * Codes of what a flow's bytes kinds came to: 0 before a connection with bytes, else one more than the kind's place
 * in its format's list of kinds, seven at most (a sensor's kind or two, none, `mixed`).
 */
const KIND_CODES = 8;
/** A log reference is its last entry's index times this, plus its kind code times {@link COUNT_SPAN}, plus its count. */
const ENTRY_SPAN = KIND_CODES * COUNT_SPAN;

const OUTCOME_CODES: readonly OutcomeValue[] = [
  Outcome.COMPLETED,
  Outcome.FAILED,
  Outcome.OPEN,
  Outcome.UNKNOWN,
];

/** The log reference of a flow that logged nothing yet. */
export const EMPTY_LOG_REF = 0;

/** A flow's log reference: the index of its last entry, the code of its bytes kind and how many entries it has. */
function logRef(last: number, kindCode: number, count: number): number {
  return last * ENTRY_SPAN + kindCode * COUNT_SPAN + count;
}

/** How many connections the flow of log reference `ref` logged. */
export function loggedCount(ref: number): number {
  return ref % COUNT_SPAN;
}

/** The code of the bytes kind of the flow of log reference `ref` (see {@link LogFormat.kindOf}). */
function kindCodeOf(ref: number): number {
  return Math.floor(ref / COUNT_SPAN) % KIND_CODES;
}

/** The index of the last entry of the flow of log reference `ref` (meaningless while it has none). */
function lastEntryOf(ref: number): number {
  return Math.floor(ref / ENTRY_SPAN);
}

/** Whether the connection can be logged (else its flow needs a full aggregate). */
export function fitsLog(f: ConnectionFacts): boolean {
  if (f.hasBytes && (f.sent >= SENT_LIMIT || f.received >= RECEIVED_SPAN)) return false;
  return f.unpackedDestination === undefined;
}

/** Indexes of one flow's entries, gathered backwards from its last before they are replayed in order. */
const chain = new Int32Array(MAX_LOGGED_CONNECTIONS);

/**
 * How the logs of one aggregator's window groups write their entries: the bits an entry's time and link take, which
 * follow from the window length, the most entries a log holds, and the bytes kinds the kind codes stand for (shared
 * by all the groups: a fleet's sensors report a kind or two).
 */
export class LogFormat {
  /** Entry times are below this many steps after the window's start. */
  readonly timeSpan: number;
  /** An entry's first number is its time in steps times this, plus its link. */
  readonly linkSpan: number;
  /** The most entries a log holds. */
  readonly maxEntries: number;
  /** The bytes kinds met, in the order first met: a kind code is one more than a place here. */
  private readonly kinds: string[] = [];

  /**
   * The format of the logs of windows `spanMs` long. `maxEntries`: the most entries a log holds (tests give a small
   * bound; see {@link MAX_ENTRIES}), fewer when the window is so long that its links have fewer bits.
   */
  constructor(spanMs: number, maxEntries = MAX_ENTRIES) {
    const timeBits = Math.max(0, Math.ceil(Math.log2(spanMs * TIME_STEPS)));
    this.timeSpan = 2 ** timeBits;
    this.linkSpan = 2 ** Math.max(0, EXACT_BITS - timeBits);
    this.maxEntries = Math.max(0, Math.min(maxEntries, MAX_ENTRIES, this.linkSpan - 1));
  }

  /** The code of a bytes kind, added when new; -1 when seven others have codes. */
  codeOf(kind: string): number {
    const code = this.kinds.indexOf(kind) + 1;
    if (code > 0) return code;
    if (this.kinds.length === KIND_CODES - 1) return -1;
    return this.kinds.push(kind);
  }

  /** The bytes kind of a code; `undefined` for 0. */
  kindOf(code: number): string | undefined {
    return code === 0 ? undefined : this.kinds[code - 1];
  }
}

/** The logged connections of one window group's flows. */
export class ConnectionLog {
  /** The first {@link BLOCK} entries, {@link ENTRY} numbers each: all of a small group's. */
  private first: number[] = [];
  /** The full blocks after the first, once there are more entries. */
  private rest: number[][] | undefined = undefined;
  private size = 0;
  private readonly format: LogFormat;

  /** An empty log written as `format` says (the window's start is its group's, given at each call). */
  constructor(format: LogFormat) {
    this.format = format;
  }

  /** Entries held, those of flows that moved to their aggregates included. */
  get entries(): number {
    return this.size;
  }

  /**
   * Appends the connection to the log of the flow whose reference is `ref` (see {@link logRef}), of the window
   * starting at `startMs` (the group's, whose log this is); returns the flow's new reference, or -1 when the flow
   * must move to a full aggregate instead: the connection does not fit, the flow logged
   * {@link MAX_LOGGED_CONNECTIONS} already, the group's log is full, or the bytes kind is an eighth.
   */
  append(ref: number, f: ConnectionFacts, startMs: number): number {
    const count = loggedCount(ref);
    const index = this.size;
    const format = this.format;
    if (count >= MAX_LOGGED_CONNECTIONS || index >= format.maxEntries || !fitsLog(f)) return -1;
    const steps = (f.timeMs - startMs) * TIME_STEPS;
    if (
      !(steps >= 0 && steps < format.timeSpan) ||
      !Number.isInteger(steps) ||
      startMs + steps / TIME_STEPS !== f.timeMs
    )
      return -1;
    let kindCode = kindCodeOf(ref);
    if (f.hasBytes) {
      const kind = format.kindOf(kindCode);
      const next = nextBytesKind(kind, f.bytesKind);
      if (next !== kind) {
        kindCode = format.codeOf(next);
        if (kindCode < 0) return -1;
      }
    }
    const flags =
      OUTCOME_CODES.indexOf(f.outcome) +
      (f.http === 'real' ? REAL_HTTP : 0) +
      (f.addressClass === 'internal' ? INTERNAL : 0);
    const block = this.blockFor(index);
    const at = (index & (BLOCK - 1)) * ENTRY;
    // The link is one more than the index of the flow's entry before, 0 for its first.
    block[at] = steps * format.linkSpan + (count === 0 ? 0 : lastEntryOf(ref) + 1);
    block[at + 1] = f.hasBytes ? f.sent * RECEIVED_SPAN + f.received : -1;
    block[at + 2] = f.destination < 0 ? -1 - flags : f.destination * FLAG_SPAN + flags;
    this.size = index + 1;
    return logRef(index, kindCode, count + 1);
  }

  /**
   * What the bytes kinds of the connections with bytes of the flow whose reference is `ref` came to (as
   * `nextBytesKind` folds them: one kind, or mixed); `undefined` before the first.
   */
  bytesKind(ref: number): string | undefined {
    return this.format.kindOf(kindCodeOf(ref));
  }

  /**
   * Adds the logged connections of the flow whose reference is `ref`, of the window starting at `startMs`, in order,
   * to `agg`, each with the flow's {@link bytesKind}. `facts` is overwritten for each.
   */
  replay(ref: number, startMs: number, agg: FlowAggregate, facts: ConnectionFacts): void {
    const count = loggedCount(ref);
    const bytesKind = this.bytesKind(ref);
    const linkSpan = this.format.linkSpan;
    let index = lastEntryOf(ref);
    for (let k = count - 1; k >= 0; k--) {
      chain[k] = index;
      index = (this.block(index)[(index & (BLOCK - 1)) * ENTRY] % linkSpan) - 1;
    }
    for (let k = 0; k < count; k++) {
      const index = chain[k];
      const block = this.block(index);
      const at = (index & (BLOCK - 1)) * ENTRY;
      facts.timeMs = startMs + Math.floor(block[at] / linkSpan) / TIME_STEPS;
      const bytes = block[at + 1];
      facts.hasBytes = bytes >= 0;
      facts.sent = facts.hasBytes ? Math.floor(bytes / RECEIVED_SPAN) : 0;
      facts.received = facts.hasBytes ? bytes - facts.sent * RECEIVED_SPAN : 0;
      facts.bytesKind = facts.hasBytes ? bytesKind : undefined;
      const d = block[at + 2];
      let flags: number;
      facts.unpackedDestination = undefined;
      if (d < 0) {
        flags = -1 - d;
        facts.destination = -1;
        facts.addressClass = undefined;
      } else {
        const destination = Math.floor(d / FLAG_SPAN);
        flags = d - destination * FLAG_SPAN;
        facts.destination = destination;
        facts.addressClass = flags & INTERNAL ? 'internal' : 'external';
      }
      facts.outcome = OUTCOME_CODES[flags & 3];
      facts.http = flags & REAL_HTTP ? 'real' : 'inferred';
      agg.add(facts);
    }
  }

  /** Approximate bytes held: this object, and each block's header and numbers (the list of full blocks beside). */
  get bytes(): number {
    let bytes = 48 + 48 + 8 * this.first.length;
    if (this.rest) bytes += 48 + 8 * this.rest.length + this.rest.length * (48 + 8 * BLOCK * ENTRY);
    return bytes;
  }

  /** The block that holds entry `index`. */
  private block(index: number): number[] {
    return index < BLOCK ? this.first : this.rest![(index >>> BLOCK_SHIFT) - 1];
  }

  /** The block that entry `index` (the next one) goes to, grown or added when it has no room. */
  private blockFor(index: number): number[] {
    if (index < BLOCK) {
      const first = this.first;
      if (index * ENTRY < first.length) return first;
      // Doubled, and copied: an array grown by pushes would keep a half and sixteen numbers more of spare room.
      const grown = new Array<number>(Math.max(FIRST_ENTRIES, 2 * index) * ENTRY);
      for (let i = 0; i < first.length; i++) grown[i] = first[i];
      this.first = grown;
      return grown;
    }
    const rest = (this.rest ??= []);
    const b = (index >>> BLOCK_SHIFT) - 1;
    if (b === rest.length) rest.push(new Array<number>(BLOCK * ENTRY));
    return rest[b];
  }
}
