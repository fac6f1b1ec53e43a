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
  get,
  getString,
  setIfAbsent,
  type OutcomeValue,
  type PipelineRecord,
} from '@egressguard/schema';

import type { AddressClass, AddressClassifier } from './address-classifier.ts';

/** How a connection was recognised as HTTP. */
export type HttpEvidence = 'real' | 'inferred' | 'none';

/** The facts of one connection the aggregates are made of. */
export interface ConnectionFacts {
  readonly timeMs: number;
  readonly http: HttpEvidence;
  readonly outcome: OutcomeValue;
  /** Both byte counts, or neither: a connection with only one of them counts as without bytes. */
  readonly bytes: { readonly sent: number; readonly received: number } | undefined;
  readonly bytesKind: string | undefined;
  /** `address:port` (IPv6 in brackets), or `undefined` when the destination address is missing. */
  readonly destination: string | undefined;
  readonly addressClass: AddressClass | undefined;
}

const OUTCOMES: ReadonlySet<string> = new Set([
  Outcome.COMPLETED,
  Outcome.FAILED,
  Outcome.OPEN,
  Outcome.UNKNOWN,
]);
/** Protocol names under which HTTP may run unseen: TLS on port 443 is HTTPS as far as the port can tell. */
const HTTP_CARRIERS: ReadonlySet<string> = new Set(['http', 'https', 'tls', 'ssl']);

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
  const inferredBefore = get(attrs, HttpAttr.PROTOCOL_INFERRED) === true;
  if (protocol === 'http' && !inferredBefore) return 'real';
  if (protocol !== undefined && !HTTP_CARRIERS.has(protocol)) return 'none';
  if (protocol === 'http' && inferredBefore) return 'inferred';
  const port = get(attrs, NetworkAttr.DESTINATION_PORT);
  return port !== undefined && httpPorts.has(port) ? 'inferred' : 'none';
}

/** Marks an inferred HTTP connection as the schema says, without overwriting what a sensor wrote. */
export function markInferred(record: PipelineRecord): void {
  setIfAbsent(record, NetworkAttr.PROTOCOL_NAME, 'http');
  setIfAbsent(record, HttpAttr.PROTOCOL_INFERRED, true);
}

/** Reads the facts of an HTTP connection record whose event time is `timeMs`. */
export function connectionFacts(
  record: PipelineRecord,
  timeMs: number,
  http: HttpEvidence,
  classifier: AddressClassifier,
): ConnectionFacts {
  const attrs = record.attributes;
  const outcomeText = getString(attrs, ConnectionAttr.OUTCOME);
  const outcome = (
    outcomeText !== undefined && OUTCOMES.has(outcomeText) ? outcomeText : Outcome.UNKNOWN
  ) as OutcomeValue;
  const sent = get(attrs, ConnectionAttr.BYTES_SENT);
  const received = get(attrs, ConnectionAttr.BYTES_RECEIVED);
  const bytes =
    sent !== undefined && received !== undefined && sent >= 0 && received >= 0
      ? { sent, received }
      : undefined;
  const address = getString(attrs, NetworkAttr.DESTINATION_ADDRESS);
  const port = get(attrs, NetworkAttr.DESTINATION_PORT);
  return {
    timeMs,
    http,
    outcome,
    bytes,
    bytesKind: bytes ? getString(attrs, ProvenanceAttr.BYTES_KIND) : undefined,
    destination: address === undefined ? undefined : destinationText(address, port),
    addressClass: address === undefined ? undefined : classifier.classify(address),
  };
}

/** `address:port`, with IPv6 addresses in brackets as in URLs. */
export function destinationText(address: string, port: number | undefined): string {
  const host = address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
  return port === undefined ? host : `${host}:${port}`;
}
