/**
 * What the aggregator takes from one connection record, read once (a hopping window adds the same connection to
 * several flows): whether it is HTTP and how we know, its outcome, byte counts, destination and its class.
 */
import {
  ConnectionAttr,
  HttpAttr,
  NetworkAttr,
  Outcome,
  ProvenanceAttr,
  getBool,
  getInt,
  getString,
  setIfAbsent,
  type OutcomeValue,
  type PipelineRecord,
} from '@egressguard/schema';

import type { AddressClass, AddressClassifier } from './address-classifier.ts';
import { destinationText, ipv4Number, packAddress, unpackDestination } from './destination.ts';

/** How a connection was recognised as HTTP. */
export type HttpEvidence = 'real' | 'inferred' | 'none';

const OUTCOMES: ReadonlySet<string> = new Set([
  Outcome.COMPLETED,
  Outcome.FAILED,
  Outcome.OPEN,
  Outcome.UNKNOWN,
]);
/** Protocol names under which HTTP may run unseen: TLS on port 443 is HTTPS as far as the port can tell. */
const HTTP_CARRIERS: ReadonlySet<string> = new Set(['http', 'https', 'tls', 'ssl']);

/**
 * The facts of one connection the aggregates are made of. The processor keeps one instance and overwrites it with
 * each connection ({@link ConnectionFacts.read}): a connection is read once however many windows it enters, and
 * reading one whose destination is a dotted quad allocates nothing.
 */
export class ConnectionFacts {
  timeMs = 0;
  http: HttpEvidence = 'inferred';
  outcome: OutcomeValue = Outcome.UNKNOWN;
  /** Both byte counts were readable; a connection with only one of them counts as without bytes. */
  hasBytes = false;
  /** Bytes sent, when {@link hasBytes}. */
  sent = 0;
  /** Bytes received, when {@link hasBytes}. */
  received = 0;
  /** The sensor's bytes kind, when {@link hasBytes}. */
  bytesKind: string | undefined = undefined;
  /**
   * The destination packed into a number (see `destination.ts`) when it is a dotted quad (with a port), else -1.
   * Always a number, so that writing it per connection boxes nothing.
   */
  destination = -1;
  /** The `address:port` text (IPv6 in brackets) of a destination that does not pack; else `undefined`. */
  unpackedDestination: string | undefined = undefined;
  addressClass: AddressClass | undefined = undefined;

  /** Overwrites these facts with those of an HTTP connection record whose event time is `timeMs`. */
  read(record: PipelineRecord, timeMs: number, http: HttpEvidence, classifier: AddressClassifier): this {
    const attrs = record.attributes;
    this.timeMs = timeMs;
    this.http = http;
    const outcomeText = getString(attrs, ConnectionAttr.OUTCOME);
    this.outcome = (
      outcomeText !== undefined && OUTCOMES.has(outcomeText) ? outcomeText : Outcome.UNKNOWN
    ) as OutcomeValue;
    const sent = getInt(attrs, ConnectionAttr.BYTES_SENT);
    const received = getInt(attrs, ConnectionAttr.BYTES_RECEIVED);
    this.hasBytes = sent !== undefined && received !== undefined && sent >= 0 && received >= 0;
    this.sent = this.hasBytes ? sent! : 0;
    this.received = this.hasBytes ? received! : 0;
    this.bytesKind = this.hasBytes ? getString(attrs, ProvenanceAttr.BYTES_KIND) : undefined;
    const address = getString(attrs, NetworkAttr.DESTINATION_ADDRESS);
    if (address === undefined) {
      this.destination = -1;
      this.unpackedDestination = undefined;
      this.addressClass = undefined;
      return this;
    }
    const port = getInt(attrs, NetworkAttr.DESTINATION_PORT);
    const ip = ipv4Number(address);
    this.destination = packAddress(ip, port);
    this.unpackedDestination = this.destination >= 0 ? undefined : destinationText(address, port);
    this.addressClass = ip >= 0 ? classifier.classifyIPv4(ip, address) : classifier.classify(address);
    return this;
  }

  /** The destination's `address:port` text (built for a packed one), or `undefined` when it is missing. */
  get destinationText(): string | undefined {
    return this.destination >= 0 ? unpackDestination(this.destination) : this.unpackedDestination;
  }
}

/**
 * How the record shows HTTP. Real: the sensor saw HTTP itself (a method, a status, a URL, or `network.protocol.name`
 * `http` not marked inferred). Inferred: only the destination port says so (or an earlier stage inferred it), and
 * the sensor named no other protocol; a connection a sensor identified as, say, `ssh` on port 443 is not HTTP.
 */
export function httpEvidence(record: PipelineRecord, httpPorts: ReadonlySet<number>): HttpEvidence {
  const attrs = record.attributes;
  if (
    attrs[HttpAttr.REQUEST_METHOD] !== undefined ||
    attrs[HttpAttr.RESPONSE_STATUS_CODE] !== undefined ||
    attrs[HttpAttr.URL_FULL] !== undefined
  ) {
    return 'real';
  }
  const protocol = getString(attrs, NetworkAttr.PROTOCOL_NAME)?.toLowerCase();
  const inferredBefore = getBool(attrs, HttpAttr.PROTOCOL_INFERRED) === true;
  if (protocol === 'http' && !inferredBefore) return 'real';
  if (protocol !== undefined && !HTTP_CARRIERS.has(protocol)) return 'none';
  if (protocol === 'http' && inferredBefore) return 'inferred';
  const port = getInt(attrs, NetworkAttr.DESTINATION_PORT);
  return port !== undefined && httpPorts.has(port) ? 'inferred' : 'none';
}

/** Marks an inferred HTTP connection as the schema says, without overwriting what a sensor wrote. */
export function markInferred(record: PipelineRecord): void {
  setIfAbsent(record, NetworkAttr.PROTOCOL_NAME, 'http');
  setIfAbsent(record, HttpAttr.PROTOCOL_INFERRED, true);
}
