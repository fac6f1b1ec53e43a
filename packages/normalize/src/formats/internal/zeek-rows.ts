/**
 * The rows of Zeek's `conn.log` and `http.log` as the parser holds them, and what is read from them: the
 * `conn_state` outcome table, Zeek times, which log a JSON row comes from, and the HTTP attributes of a connection's
 * http.log rows.
 */
import type { AnyValue, HrTime } from '@opentelemetry/api';
import { HttpAttr, NetworkAttr, Outcome, msToHrTime, type OutcomeValue } from '@egressguard/schema';

import { decimalSecondsToHrTime, isoToHrTime } from './connection-record.ts';

/**
 * Zeek `conn_state` to connection outcome. The codes and their meaning are from Zeek's
 * `base/protocols/conn/main.zeek` (`Conn::Info$conn_state`):
 * - `S0` "Connection attempt seen, no reply", `REJ` "Connection attempt rejected", `RSTOS0` "Originator sent a SYN
 *   followed by a RST, we never saw a SYN-ACK from the responder", `SH` "Originator sent a SYN followed by a FIN, we
 *   never saw a SYN ACK from the responder": the responder never accepted, so `failed`.
 * - `SF` "Normal establishment and termination", `S2`/`S3` "established and close attempt by originator/responder
 *   seen", `RSTO`/`RSTR` "Connection established, originator aborted (sent a RST)" / "Responder sent a RST": the
 *   connection was established and ended, so `completed`.
 * - `S1` "Connection established, not terminated": `open` (Zeek wrote the row without seeing the end, e.g. when it
 *   stopped or the connection timed out idle).
 * - `OTH` "No SYN seen, just midstream traffic", `SHR`/`RSTRH` (Zeek saw only the responder's SYN-ACK): Zeek
 *   missed the handshake, so it cannot say whether the connection was ever established: `unknown`.
 */
export const ZEEK_CONN_STATE_OUTCOME: Readonly<Record<string, OutcomeValue>> = {
  S0: Outcome.FAILED,
  REJ: Outcome.FAILED,
  RSTOS0: Outcome.FAILED,
  SH: Outcome.FAILED,
  SF: Outcome.COMPLETED,
  S2: Outcome.COMPLETED,
  S3: Outcome.COMPLETED,
  RSTO: Outcome.COMPLETED,
  RSTR: Outcome.COMPLETED,
  S1: Outcome.OPEN,
  OTH: Outcome.UNKNOWN,
  SHR: Outcome.UNKNOWN,
  RSTRH: Outcome.UNKNOWN,
};

/** A conn.log row, waiting for its http.log rows. */
export interface ConnRow {
  readonly uid: string;
  readonly time: HrTime;
  readonly endMs: number;
  readonly attrs: Record<string, AnyValue>;
}

export interface HttpRow {
  readonly uid: string;
  readonly time: HrTime;
  readonly timeMs: number;
  readonly depth: number;
  readonly origH: string | undefined;
  readonly origP: number | undefined;
  readonly respH: string | undefined;
  readonly respP: number | undefined;
  readonly method: string | undefined;
  readonly host: string | undefined;
  readonly uri: string | undefined;
  readonly status: number | undefined;
  readonly requestBodyLen: number | undefined;
  readonly responseBodyLen: number | undefined;
}

export type LogKind = 'conn' | 'http' | 'other';

/** A Zeek `time` value: decimal seconds (TSV, JSON default) or ISO 8601 (JSON with `json_timestamps` ISO8601). */
export function zeekTime(value: unknown): HrTime | undefined {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) return undefined;
    return decimalSecondsToHrTime(String(value)) ?? msToHrTime(value * 1000);
  }
  if (typeof value === 'string') return decimalSecondsToHrTime(value) ?? isoToHrTime(value);
  return undefined;
}

/** Which log a JSON row is from: its `_path`, else its fields. */
export function jsonLogKind(doc: Readonly<Record<string, unknown>>): LogKind {
  const path = doc['_path'];
  if (typeof path === 'string') return path === 'conn' || path === 'http' ? path : 'other';
  return fieldsLogKind(doc);
}

/** Which log a row is from by its fields. */
export function fieldsLogKind(doc: Readonly<Record<string, unknown>>): LogKind {
  if ('conn_state' in doc || 'orig_bytes' in doc || 'history' in doc) return 'conn';
  if ('trans_depth' in doc || 'status_code' in doc || 'method' in doc) return 'http';
  return 'other';
}

/** The host part of an HTTP `Host` header or CONNECT authority (`name:port`, `[v6]:port`). */
export function hostWithoutPort(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end === -1 ? host : host.slice(1, end);
  }
  const colon = host.indexOf(':');
  // More than one colon and no brackets: a bare IPv6 address, which has no port.
  return colon !== -1 && host.indexOf(':', colon + 1) === -1 ? host.slice(0, colon) : host;
}

/**
 * `url.full` of an http.log row: the URI itself when it is absolute (a request to a proxy), else
 * `http://` + Host + URI (http.log only covers cleartext HTTP). CONNECT targets are authorities, not URLs.
 */
export function zeekUrl(row: Pick<HttpRow, 'method' | 'host' | 'uri'>): string | undefined {
  const { method, host, uri } = row;
  if (uri === undefined || method === 'CONNECT') return undefined;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) return uri;
  if (host === undefined) return undefined;
  return `http://${host}${uri.startsWith('/') || uri === '*' ? uri : `/${uri}`}`;
}

function serverAddress(row: HttpRow): string | undefined {
  const authority = row.host ?? (row.method === 'CONNECT' ? row.uri : undefined);
  return authority === undefined ? undefined : hostWithoutPort(authority);
}

/** The HTTP attributes of a connection's http.log rows (the first request's, body sizes summed). */
export function httpAttrs(rows: readonly HttpRow[]): Record<string, AnyValue> {
  const sorted = [...rows].sort((a, b) => a.depth - b.depth);
  const first = sorted[0];
  if (!first) return {};
  let req: number | undefined;
  let resp: number | undefined;
  for (const r of sorted) {
    if (r.requestBodyLen !== undefined) req = (req ?? 0) + r.requestBodyLen;
    if (r.responseBodyLen !== undefined) resp = (resp ?? 0) + r.responseBodyLen;
  }
  return {
    [NetworkAttr.PROTOCOL_NAME]: 'http',
    [NetworkAttr.SERVER_ADDRESS]: serverAddress(first),
    [HttpAttr.REQUEST_METHOD]: first.method,
    [HttpAttr.RESPONSE_STATUS_CODE]: first.status,
    [HttpAttr.URL_FULL]: zeekUrl(first),
    [HttpAttr.REQUEST_BODY_SIZE]: req,
    [HttpAttr.RESPONSE_BODY_SIZE]: resp,
  };
}
