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
import { processAttributesOf, type ProcessTable } from '../process-table.ts';
import type { Attempt, Attribution, Rule, RuleQuery } from './rule.ts';

export class JoinRule implements Rule {
  readonly name = 'join';
  private readonly join: ConnectionJoinBuffer;
  private readonly table: ProcessTable;
  private readonly waits: boolean;
  /**
   * Canonical forms of the addresses remembered candidates had, by the text records gave (`''`: not an address).
   * Candidates are kept for a minute of event time, and what they hold lives as long: the forms held here make the
   * candidates of one address share a string instead of each keeping one of its record's. At most
   * {@link MAX_SHARED} entries, then it starts again (what was shared stays shared).
   */
  private readonly forms = new Map<string, string>();
  /** The process attributes of the last candidate of each process, by host and pid: shared by its next ones. */
  private readonly processes = new Map<string, Map<number, RecordAttributes>>();
  private processCount = 0;

  constructor(join: ConnectionJoinBuffer, table: ProcessTable, waitMs: number) {
    this.join = join;
    this.table = table;
    this.waits = waitMs > 0;
  }

  /** Buffers a connection record that carried a pid, as the partner of records of the same connection without. */
  remember(record: PipelineRecord, host: string, timeMs: number, pid: number): void {
    const attrs = record.attributes;
    if (attrs[AttributionAttr.METHOD] !== undefined) return;
    const destinationAddress = this.canonicalForm(getString(attrs, NetworkAttr.DESTINATION_ADDRESS));
    const destinationPort = getInt(attrs, NetworkAttr.DESTINATION_PORT);
    if (destinationAddress === undefined || destinationPort === undefined) return;
    const sourceAddress = this.canonicalForm(getString(attrs, NetworkAttr.SOURCE_ADDRESS));
    const sourcePort = getInt(attrs, NetworkAttr.SOURCE_PORT);
    // Built in place rather than by spreading: the same keys in the same order (the snapshot writes them so).
    const candidate: Mutable<JoinCandidate> = {
      host,
      timeMs,
      destinationAddress,
      destinationPort,
      pid,
      attributes: this.processAttributes(attrs, host, pid),
    };
    if (sourceAddress !== undefined) candidate.sourceAddress = sourceAddress;
    if (sourcePort !== undefined && sourcePort !== 0) candidate.sourcePort = sourcePort;
    this.join.add(candidate);
  }

  /** The canonical form of an address a candidate keeps (see {@link forms}). */
  private canonicalForm(address: string | undefined): string | undefined {
    if (address === undefined) return undefined;
    let form = this.forms.get(address);
    if (form === undefined) {
      if (this.forms.size >= MAX_SHARED) this.forms.clear();
      form = canonicalAddress(address) ?? '';
      this.forms.set(address, form);
    }
    return form === '' ? undefined : form;
  }

  /**
   * The process attributes a candidate keeps: those of the process's last candidate when the record carries the
   * same ones (a process makes many connections, and its candidates then share one dictionary and its strings
   * instead of each holding its own), else a new dictionary that the next ones share. At most {@link MAX_SHARED}
   * processes across hosts, then it starts again.
   */
  private processAttributes(attrs: RecordAttributes, host: string, pid: number): RecordAttributes {
    let byPid = this.processes.get(host);
    const last = byPid?.get(pid);
    if (last !== undefined && sameProcessAttributes(attrs, last)) return last;
    const made = processAttributesOf(attrs, PROCESS_KEYS);
    if (last === undefined && this.processCount >= MAX_SHARED) {
      this.processes.clear();
      this.processCount = 0;
      byPid = undefined;
    }
    if (byPid === undefined) {
      byPid = new Map();
      this.processes.set(host, byPid);
    }
    if (!byPid.has(pid)) this.processCount++;
    byPid.set(pid, made);
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

/** Whether a record carries exactly the process attributes of a dictionary `processAttributesOf` made. */
function sameProcessAttributes(attrs: RecordAttributes, made: RecordAttributes): boolean {
  for (const key of PROCESS_KEYS) {
    const value = attrs[key];
    const kept = value === null || value === '' ? undefined : value;
    if (kept !== made[key]) return false;
  }
  return true;
}

function canonical(address: string | undefined): string | undefined {
  return address === undefined ? undefined : canonicalAddress(address);
}
