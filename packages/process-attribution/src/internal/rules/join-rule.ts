/**
 * The `join` rule: for a record without a pid, another sensor's connection record that carried one, by 5-tuple (or
 * host, destination and time when the partner had no source port) within `join.tolerance_ms`. Addresses are put in
 * their canonical form on both sides, so that `::ffff:10.0.0.1` and `10.0.0.1` meet. A record that finds no partner
 * yet may wait for one (`join.wait_ms` > 0).
 */
import type { Mutable } from '@egressguard/core';
import type { PipelineRecord } from '@egressguard/schema';
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
  /** The last source address {@link canonicalSource} was asked about, and its canonical form. */
  private lastSource: string | undefined;
  private lastSourceCanonical: string | undefined;

  constructor(join: ConnectionJoinBuffer, table: ProcessTable, waitMs: number) {
    this.join = join;
    this.table = table;
    this.waits = waitMs > 0;
  }

  /** Buffers a connection record that carried a pid, as the partner of records of the same connection without. */
  remember(record: PipelineRecord, host: string, timeMs: number, pid: number): void {
    const attrs = record.attributes;
    if (attrs[AttributionAttr.METHOD] !== undefined) return;
    const destinationAddress = canonical(getString(attrs, NetworkAttr.DESTINATION_ADDRESS));
    const destinationPort = getInt(attrs, NetworkAttr.DESTINATION_PORT);
    if (destinationAddress === undefined || destinationPort === undefined) return;
    const sourceAddress = this.canonicalSource(getString(attrs, NetworkAttr.SOURCE_ADDRESS));
    const sourcePort = getInt(attrs, NetworkAttr.SOURCE_PORT);
    // Built in place rather than by spreading: the same keys in the same order (the snapshot writes them so).
    const candidate: Mutable<JoinCandidate> = {
      host,
      timeMs,
      destinationAddress,
      destinationPort,
      pid,
      attributes: processAttributesOf(attrs, PROCESS_KEYS),
    };
    if (sourceAddress !== undefined) candidate.sourceAddress = sourceAddress;
    if (sourcePort !== undefined && sourcePort !== 0) candidate.sourcePort = sourcePort;
    this.join.add(candidate);
  }

  /**
   * The canonical form of a source address, remembering the last one: a host's connections mostly leave from the
   * same few addresses, and the form of an address never changes.
   */
  private canonicalSource(address: string | undefined): string | undefined {
    if (address === undefined) return undefined;
    if (address !== this.lastSource) {
      this.lastSource = address;
      this.lastSourceCanonical = canonicalAddress(address);
    }
    return this.lastSourceCanonical;
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

function canonical(address: string | undefined): string | undefined {
  return address === undefined ? undefined : canonicalAddress(address);
}
