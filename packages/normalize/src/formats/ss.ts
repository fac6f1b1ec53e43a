/**
 * `ss -tinp` polls (iproute2), with or without header (`-H`), one line per socket (`-O`) or the info on a
 * TAB-indented second line, with `-e` items (`ino:`) and with `-a` listeners: per socket, its process from
 * `users:(…)` and the kernel's cumulative `bytes_acked` / `bytes_received` counters.
 *
 * ss shows only the sockets alive at the moment of a poll: a connection that opens and closes between two polls is
 * never seen, and the bytes a socket moves after the last poll that saw it are missed. Those are blind spots of the
 * sensor, not of the parser.
 */
import { execFile } from 'node:child_process';

import {
  BytesKind,
  ConnectionAttr,
  NetworkAttr,
  Outcome,
  ProcessAttr,
  ProvenanceAttr,
  msToHrTime,
  type PipelineRecord,
} from '@egressguard/schema';

import type { ParseError, ParseOutput, ParserOptions, SensorFormat, SensorParser } from '../format.ts';
import { Tally } from '../internal/tally.ts';
import { connectionRecord, ipNetworkType } from './internal/connection-record.ts';
import {
  LINUX_EPHEMERAL_PORTS,
  checkPortRange,
  directionFromPorts,
  type PortRange,
} from './internal/port-direction.ts';
import {
  addInfo,
  headerColumns,
  parseSocketLine,
  ssTokens,
  type SsSocket,
} from './internal/ss-socket-line.ts';
import { markerUnixMs } from './internal/unix-ms-marker.ts';

/** `egressguard.source.format` of ss records. */
export const SS_SOURCE = 'ss';

/**
 * The poll-boundary line the poller writes before each poll's output: `# egressguard-ss-poll <unix_ms>`, the wall
 * time at which `ss` ran. The line `### <ISO 8601 time>` (as simple capture scripts write) is read the same way;
 * a header line (`State Recv-Q …`) after sockets also starts a new poll, of unknown time. A file with no marker is
 * one poll.
 */
export const SS_POLL_MARKER = '# egressguard-ss-poll';

/**
 * The arguments {@link pollSs} gives `ss`: TCP (`-t`), all states so listeners tell inbound from outbound (`-a`),
 * numeric ports (`-n`), TCP info with the byte counters (`-i`), processes (`-p`), inodes (`-e`), no header (`-H`).
 */
export const SS_POLL_ARGS: readonly string[] = ['-t', '-a', '-n', '-i', '-p', '-e', '-H'];

/** Options of the ss parser. */
export interface SsFormatOptions {
  /**
   * The polled host's `net.ipv4.ip_local_port_range`, used to tell client sockets from server sockets when a poll
   * lists no listening sockets (ss run without `-a`). Default: `{ low: 32768, high: 60999 }` (Linux's default).
   */
  readonly ephemeralPortRange?: PortRange;
}

/**
 * States of a socket that may carry a connection this host opened. LISTEN is a listener; SYN-RECV is the passive
 * side of a handshake; TIME-WAIT and CLOSED are kernel leftovers without process or counters.
 */
const CONNECTION_STATES = new Set([
  'ESTAB',
  'SYN-SENT',
  'FIN-WAIT-1',
  'FIN-WAIT-2',
  'CLOSE-WAIT',
  'LAST-ACK',
  'CLOSING',
]);

interface Tracked {
  readonly key: string;
  readonly socket: SsSocket;
  readonly firstMs: number | undefined;
  lastMs: number | undefined;
  established: boolean;
  sent: number | undefined;
  received: number | undefined;
  latest: SsSocket;
}

interface Poll {
  readonly timeMs: number | undefined;
  readonly sockets: SsSocket[];
}

function counter(socket: SsSocket, key: string, hasInfo: boolean): number | undefined {
  const text = socket.items.get(key);
  if (text === undefined) return hasInfo ? 0 : undefined; // ss prints a counter only when it is not zero
  return /^\d+$/.test(text) && Number.isSafeInteger(Number(text)) ? Number(text) : undefined;
}

/** Whether `-i` info is present: ss always prints `rto:` or `mss:`/`cwnd:` for a TCP socket it has info for. */
function hasTcpInfo(socket: SsSocket): boolean {
  return (
    socket.items.has('rto') ||
    socket.items.has('cwnd') ||
    socket.items.has('mss') ||
    socket.items.has('bytes_acked')
  );
}

function socketKey(socket: SsSocket): string {
  const ino = socket.items.get('ino');
  const base = `${socket.local.address}|${socket.local.port}|${socket.peer.address}|${socket.peer.port}`;
  return ino !== undefined && ino !== '0' ? `${base}|${ino}` : base;
}

/**
 * The parser. Counters: `inbound_lines_ignored` (socket lines of connections the peer opened), `listening_lines`,
 * `other_state_lines` (TIME-WAIT, SYN-RECV, …), `shared_sockets` (several processes hold the socket: the first
 * listed is used), `counter_resets` (a 4-tuple whose counters went down: a new socket, closed the old one),
 * `polls`, `polls_without_time`.
 */
class SsParser implements SensorParser {
  readonly #options: ParserOptions;
  readonly #ephemeral: PortRange;
  readonly #tally = new Tally();
  readonly #tracked = new Map<string, Tracked>();
  #poll: Poll | undefined;
  #last: SsSocket | undefined;

  constructor(options: ParserOptions, format: SsFormatOptions) {
    this.#options = options;
    this.#ephemeral = format.ephemeralPortRange ?? LINUX_EPHEMERAL_PORTS;
  }

  counters(): Readonly<Record<string, number>> {
    return { ...this.#tally.view(), tracked_sockets: this.#tracked.size };
  }

  push(input: string | Readonly<Record<string, unknown>>, line: number): ParseOutput {
    const records: PipelineRecord[] = [];
    const errors: ParseError[] = [];
    if (typeof input !== 'string')
      return { records, errors: [{ line, reason: 'ss input is text, got an object' }] };
    if (input.trim() === '') return { records, errors };
    if (input.startsWith(SS_POLL_MARKER)) {
      const ms = markerUnixMs(input, SS_POLL_MARKER);
      if (ms === undefined) return { records, errors: [{ line, reason: 'poll marker: not Unix ms' }] };
      this.#startPoll(ms, records);
      return { records, errors };
    }
    if (input.startsWith('###')) {
      const ms = Date.parse(input.slice(3).trim());
      if (Number.isNaN(ms))
        return { records, errors: [{ line, reason: 'poll marker: not an ISO 8601 time' }] };
      this.#startPoll(ms, records);
      return { records, errors };
    }
    if (input.startsWith('#')) return { records, errors };
    if (headerColumns(input)) {
      if (this.#poll && this.#poll.sockets.length > 0) this.#startPoll(undefined, records);
      return { records, errors };
    }
    if (input.startsWith('\t') || input.startsWith(' ')) {
      if (!this.#last)
        return { records, errors: [{ line, reason: 'info line without a socket line before it' }] };
      addInfo(this.#last, ssTokens(input));
      return { records, errors };
    }
    const socket = parseSocketLine(input);
    if (typeof socket === 'string') {
      this.#last = undefined;
      return { records, errors: [{ line, reason: socket }] };
    }
    this.#poll ??= { timeMs: undefined, sockets: [] };
    this.#poll.sockets.push(socket);
    this.#last = socket;
    return { records, errors };
  }

  end(): ParseOutput {
    const records: PipelineRecord[] = [];
    this.#finishPoll(records);
    for (const t of this.#tracked.values()) records.push(this.#record(t, Outcome.OPEN));
    this.#tracked.clear();
    return { records, errors: [] };
  }

  #startPoll(timeMs: number | undefined, out: PipelineRecord[]): void {
    this.#finishPoll(out);
    this.#poll = { timeMs, sockets: [] };
  }

  /** Compares a complete poll with the sockets tracked so far: updates the live ones, closes the vanished ones. */
  #finishPoll(out: PipelineRecord[]): void {
    const poll = this.#poll;
    this.#poll = undefined;
    this.#last = undefined;
    if (!poll) return;
    this.#tally.add('polls');
    const timeMs = poll.timeMs ?? Date.now();
    if (poll.timeMs === undefined) this.#tally.add('polls_without_time');
    const listeners = new Set<string>();
    for (const s of poll.sockets)
      if (s.state === 'LISTEN') listeners.add(`${s.local.address}|${s.local.port}`);
    const seen = new Set<string>();
    for (const s of poll.sockets) {
      if (s.state === 'LISTEN') {
        this.#tally.add('listening_lines');
        continue;
      }
      if (s.netid !== undefined && s.netid !== 'tcp') continue;
      if (s.state !== undefined && !CONNECTION_STATES.has(s.state)) {
        this.#tally.add('other_state_lines');
        continue;
      }
      if (!this.#outbound(s, listeners)) {
        this.#tally.add('inbound_lines_ignored');
        continue;
      }
      const key = socketKey(s);
      seen.add(key);
      const info = hasTcpInfo(s);
      const sent = counter(s, 'bytes_acked', info);
      const received = counter(s, 'bytes_received', info);
      let t = this.#tracked.get(key);
      if (t && ((sent ?? 0) < (t.sent ?? 0) || (received ?? 0) < (t.received ?? 0))) {
        // Cumulative counters never go down on one socket: the 4-tuple was reused by a new one.
        this.#tally.add('counter_resets');
        out.push(this.#record(t, t.established ? Outcome.COMPLETED : Outcome.FAILED));
        this.#tracked.delete(key);
        t = undefined;
      }
      if (!t) {
        if (s.users.length > 1 && new Set(s.users.map((u) => u.pid)).size > 1)
          this.#tally.add('shared_sockets');
        t = {
          key,
          socket: s,
          firstMs: timeMs,
          lastMs: timeMs,
          established: false,
          sent,
          received,
          latest: s,
        };
        this.#tracked.set(key, t);
      }
      t.lastMs = timeMs;
      t.sent = sent ?? t.sent;
      t.received = received ?? t.received;
      t.latest = s;
      if (s.state !== 'SYN-SENT') t.established = true;
    }
    for (const [key, t] of this.#tracked) {
      if (seen.has(key)) continue;
      // Gone since the previous poll: it closed (or never got past SYN-SENT: the handshake failed).
      out.push(this.#record(t, t.established ? Outcome.COMPLETED : Outcome.FAILED));
      this.#tracked.delete(key);
    }
  }

  /**
   * Outbound when: the socket is in SYN-SENT (only an active open is); else, when the poll lists listeners (`-a`),
   * its local port is not one of them; else the ports decide ({@link directionFromPorts}).
   */
  #outbound(s: SsSocket, listeners: ReadonlySet<string>): boolean {
    if (s.state === 'SYN-SENT') return true;
    const lport = s.local.port;
    const rport = s.peer.port;
    if (lport === undefined || rport === undefined) return false;
    if (listeners.size > 0) {
      const wildcard = s.local.address.includes(':') ? '::' : '0.0.0.0';
      return ![`${s.local.address}|${lport}`, `${wildcard}|${lport}`, `*|${lport}`].some((k) =>
        listeners.has(k),
      );
    }
    return directionFromPorts(lport, rport, this.#ephemeral) === 'outbound';
  }

  #record(t: Tracked, outcome: string): PipelineRecord {
    const s = t.latest;
    const user = s.users[0];
    const info = hasTcpInfo(s) || t.sent !== undefined;
    const ino = s.items.get('ino');
    return connectionRecord(
      this.#options.defaultResource,
      {
        // ss never sees a connection start: the first poll that saw the socket is the closest bound (an upper one).
        time: t.firstMs === undefined ? undefined : msToHrTime(t.firstMs),
        observed: t.lastMs === undefined ? undefined : msToHrTime(t.lastMs),
      },
      {
        [NetworkAttr.TRANSPORT]: 'tcp',
        [NetworkAttr.TYPE]: ipNetworkType(s.peer.address),
        [NetworkAttr.SOURCE_ADDRESS]: s.local.address,
        [NetworkAttr.SOURCE_PORT]: s.local.port,
        [NetworkAttr.DESTINATION_ADDRESS]: s.peer.address,
        [NetworkAttr.DESTINATION_PORT]: s.peer.port,
        [ConnectionAttr.BYTES_SENT]: t.sent,
        [ConnectionAttr.BYTES_RECEIVED]: t.received,
        [ConnectionAttr.OUTCOME]: outcome,
        [ProcessAttr.PID]: user?.pid,
        [ProcessAttr.EXECUTABLE_NAME]: user?.name,
        [ProvenanceAttr.SOURCE_FORMAT]: SS_SOURCE,
        [ProvenanceAttr.SOURCE_ID]: ino !== undefined && ino !== '0' ? ino : undefined,
        [ProvenanceAttr.BYTES_KIND]: info ? BytesKind.ACKED : undefined,
      },
    );
  }
}

function looksLikeSs(input: string | Readonly<Record<string, unknown>>): boolean {
  if (typeof input !== 'string') return false;
  if (input.startsWith(SS_POLL_MARKER)) return true;
  const header = headerColumns(input);
  if (header) return /Local Address:Port/.test(input);
  const socket = parseSocketLine(input);
  return typeof socket !== 'string' && (socket.state !== undefined || socket.users.length > 0);
}

/** An ss format with its own port range. */
export function createSsFormat(options: SsFormatOptions = {}): SensorFormat {
  if (options.ephemeralPortRange) checkPortRange(options.ephemeralPortRange, 'ephemeralPortRange');
  return {
    name: 'ss',
    description:
      'ss -tinp polls (also -H, -O, -e, -a), delimited by poll markers: one record per outbound TCP socket with ' +
      'its process and acked/received byte counters, completed when it vanishes, open when still there at the end.',
    sourceFormats: [SS_SOURCE],
    recognize: looksLikeSs,
    createParser: (parserOptions: ParserOptions) => new SsParser(parserOptions, options),
  };
}

/** `ss -tinp` polls with Linux's default ephemeral range ({@link createSsFormat}). */
export const ssFormat: SensorFormat = createSsFormat();

/**
 * Runs `ss` once ({@link SS_POLL_ARGS}) and returns its output preceded by the {@link SS_POLL_MARKER} line with the
 * time it ran, ready for {@link ssFormat}. Needs Linux and iproute2; `users:` lists other users' processes only
 * when run as root. Rejects when `ss` cannot be run.
 */
export function pollSs(): Promise<string> {
  const startedMs = Date.now();
  return new Promise((resolve, reject) => {
    execFile('ss', [...SS_POLL_ARGS], { maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (error, stdout) => {
      if (error) reject(new Error(`ss ${SS_POLL_ARGS.join(' ')} failed: ${error.message}`, { cause: error }));
      else resolve(`${SS_POLL_MARKER} ${startedMs}\n${stdout}`);
    });
  });
}
