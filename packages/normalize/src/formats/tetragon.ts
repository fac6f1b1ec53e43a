/**
 * Tetragon's JSON export (`tetra getevents -o json`, the export file): one JSON object per line whose key names the
 * event: `process_exec` and `process_exit` become process records; network events become connection records:
 * - open-source Tetragon: `process_kprobe` with `function_name` `tcp_connect`, `tcp_sendmsg` and `tcp_close` (a
 *   tracing policy on those kernel functions, `args[0].sock_arg` holding the socket; `tcp_sendmsg`'s second argument
 *   is the size sent);
 * - Isovalent's enterprise network events `process_connect` / `process_close` (5-tuple on the event or in `socket`,
 *   byte counts in `stats.bytes_sent` / `stats.bytes_received`, as decimal strings).
 *
 * A connection is reported once, when it closes, as Zeek reports conn.log entries: the connect is held (bounded; the
 * oldest is reported as `open` when the bound bites), `tcp_sendmsg` sizes are added to it, and the close emits one
 * record with the connect's time, the duration, the bytes and the outcome. A close without a held connect is still
 * reported (time of the close, no duration); connects still held at the end are reported as `open`.
 *
 * Bytes: `process_close` statistics are payload bytes both ways. From kprobes only bytes sent are known (the sum of
 * `tcp_sendmsg` sizes; written only once the stream has shown that `tcp_sendmsg` is traced at all, so a policy
 * without that hook never reports a false 0). Outcome at `tcp_close`: a socket still in SYN_SENT never connected
 * (`failed`); one in an established or closing state connected (`completed`); no state, `unknown`.
 */
import type { HrTime } from '@opentelemetry/api';
import {
  BytesKind,
  ConnectionAttr,
  EventName,
  Outcome,
  ProcessAttr,
  ProvenanceAttr,
  type OutcomeValue,
  type PipelineRecord,
} from '@egressguard/schema';

import type { ParseOutput, ParserOptions, ParserSnapshot, SensorFormat, SensorParser } from '../format.ts';
import { hrDiffMs, parseTimestamp } from '../internal/event-time.ts';
import { int, isObject, obj, pushJsonObject, str, type JsonObject } from '../internal/json-input.ts';
import { buildRecord } from '../internal/record-builder.ts';
import { Tally } from '../internal/tally.ts';
import {
  TETRAGON_SOURCE_FORMAT,
  flatTuple,
  processAttributes,
  sizeArg,
  sockTuple,
  type Attrs,
  type Tuple,
} from './internal/tetragon-fields.ts';
import { parseParserState, tetragonParserState, type TetragonParserState } from '../internal/parser-state.ts';

export { TETRAGON_SOURCE_FORMAT } from './internal/tetragon-fields.ts';

/** Options of {@link createTetragonFormat}. */
export interface TetragonFormatOptions {
  /** Connections held between connect and close at most; the oldest is reported as `open` past this. Default 4096. */
  readonly maxOpenConnections?: number;
}

const EVENT_KEYS = [
  'process_exec',
  'process_exit',
  'process_kprobe',
  'process_connect',
  'process_close',
] as const;
const OTHER_EVENT_KEYS = [
  'process_tracepoint',
  'process_uprobe',
  'process_lsm',
  'process_loader',
  'process_throttle',
  'process_listen',
  'process_accept',
  'process_usdt',
];

const CONNECTED_STATES = new Set([
  'TCP_ESTABLISHED',
  'TCP_CLOSE_WAIT',
  'TCP_FIN_WAIT1',
  'TCP_FIN_WAIT2',
  'TCP_LAST_ACK',
  'TCP_CLOSING',
  'TCP_TIME_WAIT',
]);

/** A connect held until its close. Plain JSON so that it can be snapshotted. */
interface HeldConnection {
  readonly key: string;
  readonly time: [number, number];
  readonly host: string | null;
  readonly attributes: Attrs;
  bytesSent: number;
}

class TetragonParser implements SensorParser {
  private readonly options: ParserOptions;
  private readonly maxOpen: number;
  private readonly held = new Map<string, HeldConnection>();
  private readonly tally = new Tally();
  private sendmsgTraced = false;

  constructor(options: ParserOptions, formatOptions: TetragonFormatOptions) {
    this.options = options;
    this.maxOpen = formatOptions.maxOpenConnections ?? 4096;
  }

  push(input: string | Readonly<Record<string, unknown>>, line: number): ParseOutput {
    return pushJsonObject(input, line, (event, records) => this.convert(event, records));
  }

  end(): ParseOutput {
    const records: PipelineRecord[] = [];
    for (const held of [...this.held.values()]) records.push(this.emitHeld(held, Outcome.OPEN));
    this.held.clear();
    return { records, errors: [] };
  }

  counters(): Readonly<Record<string, number>> {
    return { ...this.tally.view(), open_connections: this.held.size };
  }

  snapshot(): ParserSnapshot {
    const snap: TetragonParserState = {
      version: 1,
      sendmsgTraced: this.sendmsgTraced,
      held: [...this.held.values()].map((h) => ({
        ...h,
        time: [h.time[0], h.time[1]],
        // Plain JSON: an attribute left undefined is not written.
        attributes: Object.fromEntries(
          Object.entries(h.attributes).filter(
            (e): e is [string, string | number | boolean] => e[1] !== undefined,
          ),
        ),
      })),
    };
    return snap;
  }

  restore(snapshot: ParserSnapshot): void {
    const snap = parseParserState(tetragonParserState, snapshot, 'tetragon parser');
    this.held.clear();
    this.sendmsgTraced = snap.sendmsgTraced;
    for (const h of snap.held)
      this.held.set(h.key, { ...h, time: [h.time[0], h.time[1]], attributes: { ...h.attributes } });
  }

  private convert(event: JsonObject, records: PipelineRecord[]): string | undefined {
    const kind = EVENT_KEYS.find((k) => isObject(event[k]));
    if (!kind) {
      if (OTHER_EVENT_KEYS.some((k) => isObject(event[k]))) {
        this.tally.add('ignored_event_types');
        return undefined;
      }
      return 'no Tetragon event key (process_exec, process_exit, process_kprobe, process_connect, process_close)';
    }
    const body = obj(event, kind)!;
    const process = obj(body, 'process');
    if (!process) return `${kind} has no process object`;
    const timeText = str(event, 'time') ?? (kind === 'process_exec' ? str(process, 'start_time') : undefined);
    const time = timeText !== undefined ? parseTimestamp(timeText) : undefined;
    if (!time) return `${kind} has no readable time`;
    const host = str(event, 'node_name') ?? null;
    const proc = processAttributes(process, obj(body, 'parent'));

    switch (kind) {
      case 'process_exec':
        records.push(buildRecord(EventName.PROCESS_EXEC, time, proc, this.resource(host)));
        return undefined;
      case 'process_exit':
        records.push(
          buildRecord(
            EventName.PROCESS_EXIT,
            time,
            { ...proc, [ProcessAttr.EXIT_TIME]: timeText, [ProcessAttr.EXIT_CODE]: int(body, 'status') },
            this.resource(host),
          ),
        );
        return undefined;
      case 'process_connect':
      case 'process_close': {
        const socket = obj(body, 'socket') ?? body;
        const tuple = flatTuple(socket, proc);
        if (typeof tuple === 'string') return `${kind}: ${tuple}`;
        if (kind === 'process_connect') {
          this.hold(tuple, time, host, proc, records);
          return undefined;
        }
        const stats = obj(socket, 'stats') ?? obj(body, 'stats');
        const sent = int(stats, 'bytes_sent');
        const received = int(stats, 'bytes_received');
        const bytes: Attrs =
          sent !== undefined || received !== undefined
            ? {
                [ConnectionAttr.BYTES_SENT]: sent,
                [ConnectionAttr.BYTES_RECEIVED]: received,
                [ProvenanceAttr.BYTES_KIND]: BytesKind.PAYLOAD,
              }
            : {};
        records.push(this.close(tuple, time, host, proc, Outcome.COMPLETED, bytes));
        return undefined;
      }
      case 'process_kprobe':
        return this.kprobe(body, time, host, proc, records);
    }
  }

  private kprobe(
    body: JsonObject,
    time: HrTime,
    host: string | null,
    proc: Attrs,
    records: PipelineRecord[],
  ): string | undefined {
    const fn = str(body, 'function_name');
    if (fn !== 'tcp_connect' && fn !== 'tcp_sendmsg' && fn !== 'tcp_close') {
      this.tally.add('ignored_kprobes');
      return undefined;
    }
    const args = Array.isArray(body.args) ? (body.args as unknown[]) : [];
    const sock = isObject(args[0]) ? obj(args[0], 'sock_arg') : undefined;
    if (!sock) return `${fn} kprobe has no args[0].sock_arg`;
    const family = str(sock, 'family');
    if (family !== undefined && family !== 'AF_INET' && family !== 'AF_INET6') {
      this.tally.add('ignored_families');
      return undefined;
    }
    const tuple = sockTuple(sock, proc);
    if (typeof tuple === 'string') return `${fn}: ${tuple}`;
    if (fn === 'tcp_connect') {
      this.hold(tuple, time, host, proc, records);
      return undefined;
    }
    if (fn === 'tcp_sendmsg') {
      const size = isObject(args[1]) ? sizeArg(args[1]) : undefined;
      if (size === undefined) return 'tcp_sendmsg kprobe has no size in args[1]';
      this.sendmsgTraced = true;
      const held = this.held.get(tuple.key);
      if (held) held.bytesSent += size;
      else this.tally.add('sendmsg_without_connect');
      return undefined;
    }
    const state = str(sock, 'state');
    const outcome =
      state === 'TCP_SYN_SENT'
        ? Outcome.FAILED
        : state !== undefined && CONNECTED_STATES.has(state)
          ? Outcome.COMPLETED
          : Outcome.UNKNOWN;
    records.push(this.close(tuple, time, host, proc, outcome, {}));
    return undefined;
  }

  private hold(
    tuple: Tuple,
    time: HrTime,
    host: string | null,
    proc: Attrs,
    records: PipelineRecord[],
  ): void {
    const previous = this.held.get(tuple.key);
    if (previous) {
      // The same socket connecting again without a close in between: report the first as open.
      this.held.delete(tuple.key);
      records.push(this.emitHeld(previous, Outcome.OPEN));
    }
    this.held.set(tuple.key, {
      key: tuple.key,
      time: [time[0], time[1]],
      host,
      attributes: { ...proc, ...tuple.attrs },
      bytesSent: 0,
    });
    if (this.held.size > this.maxOpen) {
      const oldest = this.held.values().next().value!;
      this.held.delete(oldest.key);
      this.tally.add('connections_evicted');
      records.push(this.emitHeld(oldest, Outcome.OPEN));
    }
  }

  private close(
    tuple: Tuple,
    time: HrTime,
    host: string | null,
    proc: Attrs,
    outcome: OutcomeValue,
    bytes: Attrs,
  ): PipelineRecord {
    const held = this.held.get(tuple.key);
    if (!held) {
      this.tally.add('close_without_connect');
      return buildRecord(
        EventName.CONNECTION,
        time,
        { ...proc, ...tuple.attrs, ...bytes, [ConnectionAttr.OUTCOME]: outcome },
        this.resource(host),
      );
    }
    this.held.delete(tuple.key);
    const sentFromKprobes: Attrs =
      this.sendmsgTraced && bytes[ConnectionAttr.BYTES_SENT] === undefined
        ? { [ConnectionAttr.BYTES_SENT]: held.bytesSent, [ProvenanceAttr.BYTES_KIND]: BytesKind.PAYLOAD }
        : {};
    return buildRecord(
      EventName.CONNECTION,
      held.time,
      {
        ...held.attributes,
        ...sentFromKprobes,
        ...bytes,
        [ConnectionAttr.DURATION_MS]: Math.max(0, hrDiffMs(held.time, time)),
        [ConnectionAttr.OUTCOME]: outcome,
      },
      this.resource(held.host),
    );
  }

  private emitHeld(held: HeldConnection, outcome: OutcomeValue): PipelineRecord {
    const sent: Attrs = this.sendmsgTraced
      ? { [ConnectionAttr.BYTES_SENT]: held.bytesSent, [ProvenanceAttr.BYTES_KIND]: BytesKind.PAYLOAD }
      : {};
    return buildRecord(
      EventName.CONNECTION,
      held.time,
      { ...held.attributes, ...sent, [ConnectionAttr.OUTCOME]: outcome },
      this.resource(held.host),
    );
  }

  private resource(host: string | null) {
    return host !== null ? this.options.resourceFor(host) : this.options.defaultResource;
  }
}

/** Builds the Tetragon format with a non-default bound. */
export function createTetragonFormat(formatOptions: TetragonFormatOptions = {}): SensorFormat {
  return {
    name: 'tetragon',
    description:
      'Tetragon JSON export: process_exec/exit as process records; tcp_connect/sendmsg/close kprobes and process_connect/close as connection records.',
    sourceFormats: [TETRAGON_SOURCE_FORMAT],
    recognize(input) {
      if (typeof input === 'string')
        return (
          input.trimStart().startsWith('{') &&
          /"process_(?:exec|exit|kprobe|connect|close|tracepoint|lsm|uprobe)"\s*:/.test(input)
        );
      return EVENT_KEYS.some((k) => isObject(input[k])) || OTHER_EVENT_KEYS.some((k) => isObject(input[k]));
    },
    createParser(options) {
      return new TetragonParser(options, formatOptions);
    },
  };
}

/** Tetragon's JSON export with the default bound. */
export const tetragonFormat: SensorFormat = createTetragonFormat();
