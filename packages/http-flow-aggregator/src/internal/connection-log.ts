/**
 * The connections of a flow while it has few, kept as they came instead of aggregated: most keys see a handful of
 * connections per window, and three numbers per connection cost less than counters, a distinct set, a byte sample
 * and a start-time buffer. Each connection is one entry of three numbers in one array of numbers:
 *
 * - its event time (Unix ms);
 * - its byte counts, `sent * 2^27 + received`, or -1 without bytes;
 * - its destination and class: `destination * 16 + flags` with the destination packed (`destination.ts`), or
 *   `-1 - flags` without a destination address; flags are the outcome (two bits), real HTTP (4) and internal (8).
 *
 * Every number is an integer below 2^53, so the entries give back exactly the facts they were made of, and
 * {@link replayLog} feeding them to an aggregate in order gives the very aggregate that adding them as they came
 * would have given. A connection that does not fit (a destination that is not a dotted quad, more than 64 MiB sent
 * or 128 MiB received) cannot be logged: its flow moves to a full aggregate first.
 */
import { Outcome, type OutcomeValue } from '@egressguard/schema';

import type { ConnectionFacts } from './connection-facts.ts';
import type { FlowAggregate } from './flow-aggregate.ts';

/** Numbers per logged connection. */
export const LOG_ENTRY = 3;

/**
 * Connections a flow logs before it moves to a full aggregate. Up to here the log is the smaller of the two (a full
 * aggregate of 20 connections holds over 2 KiB, a log of 64 connections about 1.7 KiB), and building the aggregate
 * from it when the window is emitted costs a few microseconds.
 */
export const MAX_LOGGED_CONNECTIONS = 64;

/**
 * Logged connections held in an array of exactly their size; past them the array grows as arrays do (by half
 * again), so that a flow's appends copy its log a bounded number of times.
 */
export const EXACT_CONNECTIONS = 4;

const SENT_LIMIT = 67_108_864; // 2^26
const RECEIVED_SPAN = 134_217_728; // 2^27
const FLAG_SPAN = 16;
const REAL_HTTP = 4;
const INTERNAL = 8;

const OUTCOME_CODES: readonly OutcomeValue[] = [
  Outcome.COMPLETED,
  Outcome.FAILED,
  Outcome.OPEN,
  Outcome.UNKNOWN,
];

/** An empty log, shared: a flow allocates its own array with its first connection. */
export const EMPTY_LOG: readonly number[] = Object.freeze([]);

/** Whether the connection can be logged (else its flow needs a full aggregate). */
export function fitsLog(f: ConnectionFacts): boolean {
  if (f.hasBytes && (f.sent >= SENT_LIMIT || f.received >= RECEIVED_SPAN)) return false;
  return f.unpackedDestination === undefined;
}

/**
 * The log with the connection appended: a new array of exactly the entries' length while the flow has at most
 * {@link EXACT_CONNECTIONS} (most flows have a handful, and an array of its own size wastes no slot), then the same
 * array, grown in place.
 */
export function appendToLog(log: readonly number[], f: ConnectionFacts): number[] {
  const n = log.length;
  const flags =
    OUTCOME_CODES.indexOf(f.outcome) +
    (f.http === 'real' ? REAL_HTTP : 0) +
    (f.addressClass === 'internal' ? INTERNAL : 0);
  const time = f.timeMs;
  const bytes = f.hasBytes ? f.sent * RECEIVED_SPAN + f.received : -1;
  const destination = f.destination < 0 ? -1 - flags : f.destination * FLAG_SPAN + flags;
  if (n >= EXACT_CONNECTIONS * LOG_ENTRY) {
    // Only arrays this module made are this long: never the shared empty log.
    const grown = log as number[];
    grown.push(time, bytes, destination);
    return grown;
  }
  const next = new Array<number>(n + LOG_ENTRY);
  for (let i = 0; i < n; i++) next[i] = log[i];
  next[n] = time;
  next[n + 1] = bytes;
  next[n + 2] = destination;
  return next;
}

/**
 * Adds the logged connections, in order, to `agg`, each with the flow's bytes kind (`bytesKind`, what the kinds of
 * its connections with bytes came to: one kind, or mixed). `facts` is overwritten for each.
 */
export function replayLog(
  log: readonly number[],
  bytesKind: string | undefined,
  agg: FlowAggregate,
  facts: ConnectionFacts,
): void {
  for (let i = 0; i < log.length; i += LOG_ENTRY) {
    facts.timeMs = log[i];
    const bytes = log[i + 1];
    facts.hasBytes = bytes >= 0;
    facts.sent = facts.hasBytes ? Math.floor(bytes / RECEIVED_SPAN) : 0;
    facts.received = facts.hasBytes ? bytes - facts.sent * RECEIVED_SPAN : 0;
    facts.bytesKind = facts.hasBytes ? bytesKind : undefined;
    const d = log[i + 2];
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
