/**
 * The `join` rule: for a record without a pid, another sensor's connection record that carried one, by 5-tuple (or
 * host, destination and time when the partner had no source port) within `join.tolerance_ms`. Addresses are put in
 * their canonical form on both sides, so that `::ffff:10.0.0.1` and `10.0.0.1` meet. A record that finds no partner
 * yet may wait for one (`join.wait_ms` > 0).
 */
import type { Mutable } from '@egressguard/core';
import type { PipelineRecord, RecordAttributes } from '@egressguard/schema';
import {
  AttributionAttr,
  AttributionMethod,
  NetworkAttr,
  ProcessAttr,
  canonicalAddress,
  get,
  getInt,
  getString,
  setIfAbsent,
} from '@egressguard/schema';

import {
  ATTRIBUTION_CONFIDENCE,
  AttributionReason,
  PROCESS_KEYS,
  copyAbsent,
  fillFromEntry,
  isoMs,
} from '../attribution.ts';
import type { ConnectionJoinBuffer, JoinCandidate } from '../connection-join.ts';
import { keptValue, processAttributesOf, type ProcessTable } from '../process-table.ts';
import type { Attempt, Attribution, Rule, RuleQuery } from './rule.ts';

export class JoinRule implements Rule {
  readonly name = 'join';
  private readonly join: ConnectionJoinBuffer;
  private readonly table: ProcessTable;
  private readonly waits: boolean;
  /**
   * Candidates are kept for a minute of event time, and what they hold lives as long: what is kept here lets the
   * candidates of one process share its attributes and the canonical forms of its addresses, instead of each keeping
   * its record's own. Canonical forms by the text records gave (`''`: not an address), and the last candidate's of
   * each process, by host and pid; at most {@link MAX_SHARED} of each, then it starts again (what was shared stays
   * shared). Plain maps, not the `LRUCache` memo other caches use (`entryBound`): this runs for every connection,
   * and the memo's bookkeeping made process attribution 0.1 µs a record slower.
   */
  private readonly forms = new Map<string, string>();
  private readonly processes = new Map<string, Map<number, LastCandidate>>();
  private processCount = 0;
  /** The candidate {@link remember} fills for each record; the buffer copies it into its columns. */
  private readonly candidate: Mutable<JoinCandidate> = {
    host: '',
    timeMs: 0,
    destinationAddress: '',
    destinationPort: 0,
    pid: 0,
    attributes: {},
    sourceAddress: undefined,
    sourcePort: undefined,
  };

  constructor(join: ConnectionJoinBuffer, table: ProcessTable, waitMs: number) {
    this.join = join;
    this.table = table;
    this.waits = waitMs > 0;
  }

  /** Buffers a connection record that carried a pid, as the partner of records of the same connection without. */
  remember(record: PipelineRecord, host: string, timeMs: number, pid: number): void {
    const attrs = record.attributes;
    if (attrs[AttributionAttr.METHOD] !== undefined) return;
    const destinationText = getString(attrs, NetworkAttr.DESTINATION_ADDRESS);
    const destinationPort = getInt(attrs, NetworkAttr.DESTINATION_PORT);
    if (destinationText === undefined || destinationPort === undefined) return;
    const last = this.lastCandidate(host, pid);
    // A process mostly connects to the address of its last connection, from the same local address.
    if (destinationText !== last.destinationText) {
      last.destinationText = destinationText;
      last.destination = this.canonicalForm(destinationText);
    }
    const destinationAddress = last.destination;
    if (destinationAddress === undefined) return;
    const sourceText = getString(attrs, NetworkAttr.SOURCE_ADDRESS);
    if (sourceText !== last.sourceText) {
      last.sourceText = sourceText;
      last.source = sourceText === undefined ? undefined : this.canonicalForm(sourceText);
    }
    if (last.attributes === undefined || !sameProcessAttributes(attrs, last.attributes))
      last.attributes = processAttributesOf(attrs, PROCESS_KEYS);
    const sourcePort = getInt(attrs, NetworkAttr.SOURCE_PORT);
    const candidate = this.candidate;
    candidate.host = host;
    candidate.timeMs = timeMs;
    candidate.destinationAddress = destinationAddress;
    candidate.destinationPort = destinationPort;
    candidate.pid = pid;
    candidate.attributes = last.attributes;
    candidate.sourceAddress = last.source;
    candidate.sourcePort = sourcePort !== 0 ? sourcePort : undefined;
    this.join.add(candidate);
  }

  /** The canonical form of an address a candidate keeps (see {@link forms}). */
  private canonicalForm(address: string): string | undefined {
    let form = this.forms.get(address);
    if (form === undefined) {
      if (this.forms.size >= MAX_SHARED) this.forms.clear();
      form = canonicalAddress(address) ?? '';
      this.forms.set(address, form);
    }
    return form === '' ? undefined : form;
  }

  /** What the last candidate of a process kept (see {@link processes}), made empty for a process not kept. */
  private lastCandidate(host: string, pid: number): LastCandidate {
    let byPid = this.processes.get(host);
    const last = byPid?.get(pid);
    if (last !== undefined) return last;
    if (this.processCount >= MAX_SHARED) {
      this.processes.clear();
      this.processCount = 0;
      byPid = undefined;
    }
    if (byPid === undefined) {
      byPid = new Map();
      this.processes.set(host, byPid);
    }
    const made: LastCandidate = {
      attributes: undefined,
      destinationText: undefined,
      destination: undefined,
      sourceText: undefined,
      source: undefined,
    };
    byPid.set(pid, made);
    this.processCount++;
    return made;
  }

  attribute(q: RuleQuery, attempt: Attempt): Attribution | undefined {
    if (q.pid !== undefined) return undefined;
    const found = this.match(q.record, q.host, q.timeMs, attempt);
    if (found) return found;
    if (this.waits && attempt.failure !== AttributionReason.AMBIGUOUS) attempt.joinPending = true;
    return undefined;
  }

  /** The join itself, without waiting: also the last try for a record whose wait is over. */
  match(record: PipelineRecord, host: string, timeMs: number, attempt: Attempt): Attribution | undefined {
    const attrs = record.attributes;
    const destinationAddress = canonical(getString(attrs, NetworkAttr.DESTINATION_ADDRESS));
    const destinationPort = getInt(attrs, NetworkAttr.DESTINATION_PORT);
    if (destinationAddress === undefined || destinationPort === undefined) return undefined;
    const sourceAddress = canonical(getString(attrs, NetworkAttr.SOURCE_ADDRESS));
    const sourcePort = getInt(attrs, NetworkAttr.SOURCE_PORT);
    const result = this.join.match({
      host,
      timeMs,
      destinationAddress,
      destinationPort,
      ...(sourceAddress !== undefined ? { sourceAddress } : {}),
      ...(sourcePort !== undefined && sourcePort !== 0 ? { sourcePort } : {}),
    });
    if (result.kind === 'ambiguous') {
      attempt.failure = AttributionReason.AMBIGUOUS;
      attempt.candidates = result.candidates;
      return undefined;
    }
    if (result.kind === 'none') return undefined;
    copyAbsent(record, result.attributes);
    setIfAbsent(record, ProcessAttr.PID, result.pid);
    const creation = isoMs(get(result.attributes, ProcessAttr.CREATION_TIME));
    const found = this.table.lookup(host, result.pid, timeMs, creation);
    if (found.kind === 'found') fillFromEntry(record, found.entry);
    const confidence = result.fiveTuple
      ? ATTRIBUTION_CONFIDENCE.JOIN_FIVE_TUPLE
      : ATTRIBUTION_CONFIDENCE.JOIN_DESTINATION;
    return { method: AttributionMethod.JOIN, confidence };
  }
}

/** Addresses and processes {@link JoinRule} keeps shared forms of, each. */
const MAX_SHARED = 4096;

/** What the last candidate of a process kept: its attributes, and its addresses as records gave them and canonical. */
interface LastCandidate {
  attributes: RecordAttributes | undefined;
  destinationText: string | undefined;
  destination: string | undefined;
  sourceText: string | undefined;
  source: string | undefined;
}

/**
 * Whether a record carries exactly the process attributes of a dictionary `processAttributesOf` made: every name of
 * `PROCESS_KEYS`, spelled out (a loop over the list reads each attribute by a computed key, a third slower here, for
 * every connection); a test checks each name of the list against it.
 */
function sameProcessAttributes(attrs: RecordAttributes, made: RecordAttributes): boolean {
  return (
    keptValue(attrs[ProcessAttr.PID]) === made[ProcessAttr.PID] &&
    keptValue(attrs[ProcessAttr.PARENT_PID]) === made[ProcessAttr.PARENT_PID] &&
    keptValue(attrs[ProcessAttr.EXECUTABLE_PATH]) === made[ProcessAttr.EXECUTABLE_PATH] &&
    keptValue(attrs[ProcessAttr.EXECUTABLE_NAME]) === made[ProcessAttr.EXECUTABLE_NAME] &&
    keptValue(attrs[ProcessAttr.COMMAND_LINE]) === made[ProcessAttr.COMMAND_LINE] &&
    keptValue(attrs[ProcessAttr.OWNER]) === made[ProcessAttr.OWNER] &&
    keptValue(attrs[ProcessAttr.USER_ID]) === made[ProcessAttr.USER_ID] &&
    keptValue(attrs[ProcessAttr.CREATION_TIME]) === made[ProcessAttr.CREATION_TIME] &&
    keptValue(attrs[ProcessAttr.CONTAINER_ID]) === made[ProcessAttr.CONTAINER_ID] &&
    keptValue(attrs[ProcessAttr.EXECUTABLE_SHA256]) === made[ProcessAttr.EXECUTABLE_SHA256] &&
    keptValue(attrs[ProcessAttr.EXECUTABLE_DELETED]) === made[ProcessAttr.EXECUTABLE_DELETED]
  );
}

function canonical(address: string | undefined): string | undefined {
  return address === undefined ? undefined : canonicalAddress(address);
}
