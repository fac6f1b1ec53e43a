/**
 * Zeek `conn.log` and `http.log`, in the ASCII (TSV) writer's format or the JSON writer's (one object per line,
 * flat keys such as `id.orig_h`), joined on `uid` into one connection record per connection.
 *
 * Zeek watches packets, not processes: its records carry no process, and the process-attribution stage must find
 * one by 5-tuple and time.
 */
import {
  BytesKind,
  ConnectionAttr,
  NetworkAttr,
  Outcome,
  ProvenanceAttr,
  hrTimeToMs,
  msToHrTime,
  type PipelineRecord,
  type RecordResource,
} from '@egressguard/schema';

import type { ParseError, ParseOutput, ParserOptions, SensorFormat, SensorParser } from '../format.ts';
import { connectionRecord, ipNetworkType } from './internal/connection-record.ts';
import { ExpiryHeap } from './internal/expiry-heap.ts';
import {
  parseJsonObject,
  pathBool,
  pathCount,
  pathNumber,
  pathString,
  pathValue,
} from './internal/object-path.ts';
import {
  ZEEK_CONN_STATE_OUTCOME,
  fieldsLogKind,
  httpAttrs,
  jsonLogKind,
  zeekTime,
  type ConnRow,
  type HttpRow,
  type LogKind,
} from './internal/zeek-rows.ts';
import { ZeekTsvReader } from './internal/zeek-tsv.ts';
import { Tally } from '../internal/tally.ts';

/** `egressguard.source.format` of a conn.log row, joined with its http.log rows or not. */
export const ZEEK_CONN_SOURCE = 'zeek.conn';
/** `egressguard.source.format` of http.log rows whose conn.log row never arrived. */
export const ZEEK_HTTP_SOURCE = 'zeek.http';

/** Options of the Zeek parser. */
export interface ZeekFormatOptions {
  /**
   * How long, in event time, a conn.log row waits for http.log rows with its `uid` after the connection ended
   * (`ts + duration`), and an http.log row waits for its conn.log row after its own `ts`. Each wait is measured on
   * the *other* log's clock (the largest `ts` seen in it), so feeding one whole file before the other still joins.
   * Default: 300000 (5 minutes, Zeek's default `tcp_inactivity_timeout`).
   */
  readonly joinWaitMs?: number;
  /**
   * Most `uid`s held while waiting for the other log; past it the entry due first is emitted unjoined.
   * Default: 50000.
   */
  readonly maxPendingUids?: number;
}

/** Defaults of {@link ZeekFormatOptions}. */
export const ZEEK_DEFAULTS = { joinWaitMs: 300_000, maxPendingUids: 50_000 } as const;

interface Pending {
  readonly uid: string;
  conn: ConnRow | undefined;
  readonly http: HttpRow[];
}

/**
 * The parser. Its counters: `joined` (records carrying http.log fields), `conn_only`, `http_only` (`zeek.http`
 * records), `evicted` (emitted early because the bound was reached), `duplicate_conn_rows` (a `uid` already held),
 * `inbound_skipped` (conn rows with
 * `local_orig` = F, and their http rows), `other_logs_ignored` (dns, ssl, … rows and ICMP), `pending_uids` (held now).
 */
class ZeekParser implements SensorParser {
  readonly #tally = new Tally();
  readonly #resource: RecordResource;
  readonly #waitMs: number;
  readonly #maxPending: number;
  readonly #tsv = new ZeekTsvReader();
  readonly #pending = new Map<string, Pending>();
  /** Entries holding a conn row, due when the http.log clock passes the connection's end + wait. */
  readonly #connDue = new ExpiryHeap<Pending>();
  /** Entries holding only http rows, due when the conn.log clock passes the first row's ts + wait. */
  readonly #httpDue = new ExpiryHeap<Pending>();
  /** `uid`s of remote-originated connections, so their http.log rows are skipped too (bounded like the buffer). */
  readonly #inboundUids = new Set<string>();
  #connClock = -Infinity;
  #httpClock = -Infinity;

  constructor(options: ParserOptions, waitMs: number, maxPending: number) {
    this.#resource = options.defaultResource;
    this.#waitMs = waitMs;
    this.#maxPending = maxPending;
  }

  push(input: string | Readonly<Record<string, unknown>>, line: number): ParseOutput {
    const records: PipelineRecord[] = [];
    const errors: ParseError[] = [];
    let doc: Readonly<Record<string, unknown>>;
    let kind: LogKind;
    if (typeof input === 'string') {
      if (input.trim() === '') return { records, errors };
      if (input.startsWith('{')) {
        const parsed = parseJsonObject(input);
        if (!parsed) return { records, errors: [{ line, reason: 'not a JSON object' }] };
        doc = parsed;
        kind = jsonLogKind(doc);
      } else {
        const read = this.#tsv.read(input);
        if (read.kind === 'header') return { records, errors };
        if (read.kind === 'error') return { records, errors: [{ line, reason: read.reason }] };
        doc = read.row.values;
        const path = read.row.path;
        kind = path === 'conn' || path === 'http' ? path : path === undefined ? fieldsLogKind(doc) : 'other';
      }
    } else {
      doc = input;
      kind = jsonLogKind(doc);
    }
    if (kind === 'other') {
      this.#tally.add('other_logs_ignored');
      return { records, errors };
    }
    const problem = kind === 'conn' ? this.#onConn(doc, records) : this.#onHttp(doc, records);
    if (problem !== undefined) errors.push({ line, reason: problem });
    this.#enforceBound(records);
    return { records, errors };
  }

  counters(): Readonly<Record<string, number>> {
    return { ...this.#tally.view(), pending_uids: this.#pending.size };
  }

  end(): ParseOutput {
    const records: PipelineRecord[] = [];
    for (const entry of this.#pending.values()) records.push(this.#emit(entry));
    this.#pending.clear();
    this.#connDue.clear();
    this.#httpDue.clear();
    return { records, errors: [] };
  }

  /** Reads a conn.log row; returns a reason when the row is malformed. */
  #onConn(doc: Readonly<Record<string, unknown>>, out: PipelineRecord[]): string | undefined {
    const uid = pathString(doc, 'uid');
    if (uid === undefined) return 'conn.log row: uid missing';
    const time = zeekTime(pathValue(doc, 'ts'));
    if (time === undefined) return `conn.log row ${uid}: ts is not a Zeek time`;
    const proto = pathString(doc, 'proto')?.toLowerCase();
    if (proto === 'icmp') {
      // ICMP "ports" are type and code: not a connection a process opened.
      this.#tally.add('other_logs_ignored');
      return undefined;
    }
    const origH = pathString(doc, 'id.orig_h');
    const respH = pathString(doc, 'id.resp_h');
    const origP = pathCount(doc, 'id.orig_p');
    const respP = pathCount(doc, 'id.resp_p');
    if (origH === undefined || respH === undefined)
      return `conn.log row ${uid}: id.orig_h or id.resp_h missing`;
    if (origP === undefined || respP === undefined || origP > 65535 || respP > 65535) {
      return `conn.log row ${uid}: id.orig_p or id.resp_p is not a port`;
    }
    const timeMs = hrTimeToMs(time);
    this.#connClock = Math.max(this.#connClock, timeMs);
    // "If the connection is originated locally, this value will be T. If it was originated remotely it will be F.
    // In the case that the Site::local_nets variable is undefined, this field will be left empty at all times."
    // (Conn::Info$local_orig). Unset therefore means "Zeek was not told", and a host sensor's originator is local.
    if (pathBool(doc, 'local_orig') === false) {
      this.#tally.add('inbound_skipped');
      this.#rememberInbound(uid);
      const held = this.#pending.get(uid);
      if (held) this.#pending.delete(uid);
      this.#expireHttp(out);
      return undefined;
    }
    const duration = pathNumber(doc, 'duration');
    const origBytes = pathCount(doc, 'orig_bytes');
    const respBytes = pathCount(doc, 'resp_bytes');
    const state = pathString(doc, 'conn_state');
    const service = pathString(doc, 'service');
    const durationMs = duration !== undefined && duration >= 0 ? duration * 1000 : undefined;
    const conn: ConnRow = {
      uid,
      time,
      endMs: timeMs + (durationMs ?? 0),
      attrs: {
        [NetworkAttr.TRANSPORT]: proto,
        [NetworkAttr.TYPE]: ipNetworkType(origH),
        [NetworkAttr.SOURCE_ADDRESS]: origH,
        [NetworkAttr.SOURCE_PORT]: origP,
        [NetworkAttr.DESTINATION_ADDRESS]: respH,
        [NetworkAttr.DESTINATION_PORT]: respP,
        // The service field is Zeek's dynamic protocol detection: it parsed HTTP, not a guess from the port.
        [NetworkAttr.PROTOCOL_NAME]: service?.split(',').includes('http') ? 'http' : undefined,
        [ConnectionAttr.BYTES_SENT]: origBytes,
        [ConnectionAttr.BYTES_RECEIVED]: respBytes,
        [ConnectionAttr.DURATION_MS]: durationMs,
        [ConnectionAttr.OUTCOME]:
          state === undefined ? undefined : (ZEEK_CONN_STATE_OUTCOME[state] ?? Outcome.UNKNOWN),
        [ProvenanceAttr.SOURCE_FORMAT]: ZEEK_CONN_SOURCE,
        [ProvenanceAttr.SOURCE_ID]: uid,
        [ProvenanceAttr.BYTES_KIND]:
          origBytes !== undefined || respBytes !== undefined ? BytesKind.PAYLOAD : undefined,
      },
    };
    const held = this.#pending.get(uid);
    if (held && held.conn !== undefined) {
      // The same connection logged twice (a log replayed or concatenated twice): keep the first.
      this.#tally.add('duplicate_conn_rows');
      return undefined;
    }
    // Zeek writes a connection's http.log rows before its conn.log row (the latter at connection removal), but the
    // two files are buffered and read apart: the conn row still waits, on the http.log clock, for stragglers.
    const entry: Pending = held ?? { uid, conn, http: [] };
    entry.conn = conn;
    if (!held) this.#pending.set(uid, entry);
    this.#connDue.push(conn.endMs + this.#waitMs, entry);
    this.#expireHttp(out);
    this.#expireConn(out);
    return undefined;
  }

  /** Reads an http.log row; returns a reason when the row is malformed. */
  #onHttp(doc: Readonly<Record<string, unknown>>, out: PipelineRecord[]): string | undefined {
    const uid = pathString(doc, 'uid');
    if (uid === undefined) return 'http.log row: uid missing';
    const time = zeekTime(pathValue(doc, 'ts'));
    if (time === undefined) return `http.log row ${uid}: ts is not a Zeek time`;
    const status = pathCount(doc, 'status_code');
    const timeMs = hrTimeToMs(time);
    this.#httpClock = Math.max(this.#httpClock, timeMs);
    if (this.#inboundUids.has(uid)) {
      this.#tally.add('inbound_skipped');
      this.#expireConn(out);
      return undefined;
    }
    const row: HttpRow = {
      uid,
      time,
      timeMs,
      depth: pathCount(doc, 'trans_depth') ?? 0,
      origH: pathString(doc, 'id.orig_h'),
      origP: pathCount(doc, 'id.orig_p'),
      respH: pathString(doc, 'id.resp_h'),
      respP: pathCount(doc, 'id.resp_p'),
      method: pathString(doc, 'method'),
      host: pathString(doc, 'host'),
      uri: pathString(doc, 'uri'),
      status,
      requestBodyLen: pathCount(doc, 'request_body_len'),
      responseBodyLen: pathCount(doc, 'response_body_len'),
    };
    const held = this.#pending.get(uid);
    if (held) {
      held.http.push(row);
    } else {
      const entry: Pending = { uid, conn: undefined, http: [row] };
      this.#pending.set(uid, entry);
      this.#httpDue.push(timeMs + this.#waitMs, entry);
    }
    this.#expireConn(out);
    this.#expireHttp(out);
    return undefined;
  }

  #rememberInbound(uid: string): void {
    this.#inboundUids.add(uid);
    if (this.#inboundUids.size > this.#maxPending) {
      const oldest = this.#inboundUids.values().next();
      if (!oldest.done) this.#inboundUids.delete(oldest.value);
    }
  }

  #current(entry: Pending, withConn: boolean): boolean {
    return this.#pending.get(entry.uid) === entry && (entry.conn !== undefined) === withConn;
  }

  /** Emits conn rows no http row can still join: the http.log clock passed their end + wait. */
  #expireConn(out: PipelineRecord[]): void {
    this.#expire(this.#connDue, this.#httpClock, true, out);
  }

  /** Emits http rows whose conn row did not come: the conn.log clock passed their ts + wait. */
  #expireHttp(out: PipelineRecord[]): void {
    this.#expire(this.#httpDue, this.#connClock, false, out);
  }

  /** Emits the entries of `due` that are due before `clock` and still current (with or without their conn row). */
  #expire(due: ExpiryHeap<Pending>, clock: number, withConn: boolean, out: PipelineRecord[]): void {
    for (let key = due.peekKey(); key !== undefined && key < clock; key = due.peekKey()) {
      const entry = due.pop();
      if (entry && this.#current(entry, withConn)) {
        this.#pending.delete(entry.uid);
        out.push(this.#emit(entry));
      }
    }
  }

  /** Past the bound, emits the entries due first (joined with whatever they have). */
  #enforceBound(out: PipelineRecord[]): void {
    while (this.#pending.size > this.#maxPending) {
      const c = this.#connDue.peekKey() ?? Infinity;
      const h = this.#httpDue.peekKey() ?? Infinity;
      const fromConn = c <= h;
      const entry = fromConn ? this.#connDue.pop() : this.#httpDue.pop();
      if (!entry) break;
      if (this.#current(entry, fromConn)) {
        this.#pending.delete(entry.uid);
        this.#tally.add('evicted');
        out.push(this.#emit(entry));
      }
    }
  }

  #emit(entry: Pending): PipelineRecord {
    const conn = entry.conn;
    if (conn) {
      this.#tally.add(entry.http.length > 0 ? 'joined' : 'conn_only');
      return connectionRecord(
        this.#resource,
        { time: conn.time, observed: msToHrTime(conn.endMs) },
        { ...conn.attrs, ...httpAttrs(entry.http) },
      );
    }
    this.#tally.add('http_only');
    const first = entry.http.reduce((a, b) => (b.timeMs < a.timeMs ? b : a));
    return connectionRecord(
      this.#resource,
      { time: first.time, observed: first.time },
      {
        // http.log only covers TCP; the rows name the 5-tuple Zeek saw.
        [NetworkAttr.TRANSPORT]: 'tcp',
        [NetworkAttr.TYPE]: ipNetworkType(first.origH),
        [NetworkAttr.SOURCE_ADDRESS]: first.origH,
        [NetworkAttr.SOURCE_PORT]: first.origP,
        [NetworkAttr.DESTINATION_ADDRESS]: first.respH,
        [NetworkAttr.DESTINATION_PORT]: first.respP,
        ...httpAttrs(entry.http),
        [ProvenanceAttr.SOURCE_FORMAT]: ZEEK_HTTP_SOURCE,
        [ProvenanceAttr.SOURCE_ID]: entry.uid,
      },
    );
  }
}

function checkOptions(options: ZeekFormatOptions): { waitMs: number; maxPending: number } {
  const waitMs = options.joinWaitMs ?? ZEEK_DEFAULTS.joinWaitMs;
  const maxPending = options.maxPendingUids ?? ZEEK_DEFAULTS.maxPendingUids;
  if (!Number.isFinite(waitMs) || waitMs < 0)
    throw new RangeError(`joinWaitMs: expected a number >= 0, got ${waitMs}`);
  if (!Number.isSafeInteger(maxPending) || maxPending < 1) {
    throw new RangeError(`maxPendingUids: expected an integer >= 1, got ${maxPending}`);
  }
  return { waitMs, maxPending };
}

function looksLikeZeek(input: string | Readonly<Record<string, unknown>>): boolean {
  if (typeof input === 'string') {
    if (input.startsWith('#separator') || input.startsWith('#fields\t') || input.startsWith('#path\t'))
      return true;
    if (!input.startsWith('{')) return false;
    const doc = parseJsonObject(input);
    if (doc !== undefined) return looksLikeZeek(doc);
    // Not valid JSON but shaped as a Zeek JSON row (a value masked or cut): recognised, so that the parser reports
    // what is wrong with it on its line rather than the file being called unrecognisable.
    return input.includes('"uid":') && input.includes('"id.orig_h":');
  }
  return (
    typeof input['uid'] === 'string' &&
    input['ts'] !== undefined &&
    pathValue(input, 'id.orig_h') !== undefined &&
    jsonLogKind(input) !== 'other'
  );
}

/** A Zeek format with its own join options (the processor's config maps onto {@link ZeekFormatOptions}). */
export function createZeekFormat(options: ZeekFormatOptions = {}): SensorFormat {
  const { waitMs, maxPending } = checkOptions(options);
  return {
    name: 'zeek',
    description:
      'Zeek conn.log and http.log (TSV or JSON writer), joined on uid: 5-tuple, payload bytes, conn_state and, ' +
      'where http.log saw it, method, status, URL and body sizes; no process.',
    sourceFormats: [ZEEK_CONN_SOURCE, ZEEK_HTTP_SOURCE],
    recognize: looksLikeZeek,
    createParser: (parserOptions: ParserOptions) => new ZeekParser(parserOptions, waitMs, maxPending),
  };
}

/** Zeek `conn.log` + `http.log` with the default join wait and bound ({@link ZEEK_DEFAULTS}). */
export const zeekFormat: SensorFormat = createZeekFormat();
