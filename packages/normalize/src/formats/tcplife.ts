/**
 * Output of `tcplife`: bcc's `tools/tcplife.py` (default columns, `-t`/`-T` time columns, `-w` wide, `-s` CSV) and
 * bpftrace's `tools/tcplife.bt`, plus a bytes variant of the bpftrace script (columns `TX_B`/`RX_B`), as
 * egressguard's own tracer prints it (the sock:inet_sock_set_state tracepoint, active opens only) with two more
 * columns: `START_UNIX`, the Unix time of the SYN in seconds with microseconds, and `EST`, 1 when the connection
 * reached ESTABLISHED and 0 when it was refused or timed out.
 *
 * tcplife prints one line per TCP session when it closes: the pid and comm cached when the socket entered SYN_SENT
 * (an active open) or LAST_ACK, else the task current at close ("best effort, and may be wrong", says the tool);
 * both addresses and ports; `tcp_sock->bytes_acked` and `bytes_received` divided by 1024 (`TX_KB`, `RX_KB`); and the
 * lifespan in ms (`MS`). It reports passive (server-side) sessions as well as active ones and does not say which is
 * which.
 */
import {
  BytesKind,
  ConnectionAttr,
  NetworkAttr,
  Outcome,
  ProcessAttr,
  ProvenanceAttr,
  msToHrTime,
  type OutcomeValue,
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
import { markerUnixMs } from './internal/unix-ms-marker.ts';

/** `egressguard.source.format` of tcplife records. */
export const TCPLIFE_SOURCE = 'tcplife';

/**
 * A line `# egressguard-clock <unix_ms>` in a tcplife file gives the wall time at that point (for example written by
 * `echo "# egressguard-clock $(date +%s%3N)"` just before starting the tool): it dates the `-T` (HH:MM:SS) and `-t`
 * (seconds since the first event) columns, which have no date.
 */
export const TCPLIFE_CLOCK_MARKER = '# egressguard-clock';

/** Options of the tcplife parser. */
export interface TcplifeFormatOptions {
  /**
   * Wall time (Unix ms) when tracing started, for files without a {@link TCPLIFE_CLOCK_MARKER} line: `-T` times are
   * placed on the day of this time (rolling over midnight), `-t` offsets are added to it. Default: none.
   */
  readonly referenceUnixMs?: number;
  /**
   * UTC offset, in minutes, of the clock that printed `-T` times (tcplife calls `strftime` in the tracing host's
   * local zone). Default: the time zone of the process running the parser.
   */
  readonly utcOffsetMinutes?: number;
  /**
   * The traced host's `net.ipv4.ip_local_port_range`, used to tell the client side from the server side.
   * Default: `{ low: 32768, high: 60999 }` (Linux's default).
   */
  readonly ephemeralPortRange?: PortRange;
}

const DEFAULT_COLUMNS = ['PID', 'COMM', 'LADDR', 'LPORT', 'RADDR', 'RPORT', 'TX_KB', 'RX_KB', 'MS'];
const KNOWN = new Set([
  'TIME',
  'TIME(s)',
  'PID',
  'COMM',
  'IP',
  'LADDR',
  'LPORT',
  'RADDR',
  'RPORT',
  'TX_KB',
  'RX_KB',
  'TX_B',
  'RX_B',
  'TX_BYTES',
  'RX_BYTES',
  'MS',
  'START_UNIX',
  'EST',
]);
const DAY_MS = 86_400_000;
const HMS = /^(\d{2}):(\d{2}):(\d{2})$/;

interface Layout {
  readonly columns: readonly string[];
  readonly csv: boolean;
  readonly comm: number;
  readonly bytesUnit: 'kib' | 'bytes';
}

function layoutOf(columns: readonly string[], csv: boolean): Layout | string {
  for (const c of columns) if (!KNOWN.has(c)) return `header: unknown column ${c}`;
  for (const c of ['PID', 'COMM', 'LADDR', 'LPORT', 'RADDR', 'RPORT', 'MS']) {
    if (!columns.includes(c)) return `header: column ${c} missing`;
  }
  const kib = columns.includes('TX_KB') && columns.includes('RX_KB');
  const bytes =
    (columns.includes('TX_B') && columns.includes('RX_B')) ||
    (columns.includes('TX_BYTES') && columns.includes('RX_BYTES'));
  if (kib === bytes) return 'header: expected TX_KB and RX_KB, or TX_B and RX_B';
  return { columns, csv, comm: columns.indexOf('COMM'), bytesUnit: kib ? 'kib' : 'bytes' };
}

function headerColumns(line: string): { columns: string[]; csv: boolean } | undefined {
  const trimmed = line.trim();
  const csv = trimmed.includes(',');
  const columns = csv ? trimmed.split(',') : trimmed.split(/\s+/);
  return columns.includes('PID') && columns.includes('COMM') && columns.includes('LADDR')
    ? { columns, csv }
    : undefined;
}

function port(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,5}$/.test(text)) return undefined;
  const n = Number(text);
  return n <= 65535 ? n : undefined;
}

function count(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * The parser. Counters: `inbound_ignored` (sessions the ports say the remote side opened),
 * `direction_unknown_ignored` (equal ports), `lines_without_time` (no clock marker or reference to date them:
 * their records carry only the time the parser read them as observed time).
 */
class TcplifeParser implements SensorParser {
  readonly #options: ParserOptions;
  readonly #ephemeral: PortRange;
  readonly #utcOffsetMinutes: number | undefined;
  readonly #tally = new Tally();
  #layout: Layout;
  #reference: number | undefined;
  #last: number | undefined;

  constructor(options: ParserOptions, format: TcplifeFormatOptions) {
    this.#options = options;
    this.#ephemeral = format.ephemeralPortRange ?? LINUX_EPHEMERAL_PORTS;
    this.#utcOffsetMinutes = format.utcOffsetMinutes;
    this.#reference = format.referenceUnixMs;
    this.#last = format.referenceUnixMs;
    this.#layout = layoutOf(DEFAULT_COLUMNS, false) as Layout;
  }

  counters(): Readonly<Record<string, number>> {
    return this.#tally.view();
  }

  push(input: string | Readonly<Record<string, unknown>>, line: number): ParseOutput {
    const records: PipelineRecord[] = [];
    const errors: ParseError[] = [];
    if (typeof input !== 'string')
      return { records, errors: [{ line, reason: 'tcplife input is text, got an object' }] };
    const text = input.trimEnd();
    if (text.trim() === '') return { records, errors };
    if (text.startsWith(TCPLIFE_CLOCK_MARKER)) {
      const ms = markerUnixMs(text, TCPLIFE_CLOCK_MARKER);
      if (ms === undefined) return { records, errors: [{ line, reason: 'clock marker: not Unix ms' }] };
      this.#reference = ms;
      this.#last = ms;
      return { records, errors };
    }
    // bpftrace's "Attaching N probes...", comments, and a terminal's ^C are not data.
    if (
      text.startsWith('#') ||
      text.startsWith('Attaching') ||
      text.startsWith('^C') ||
      text.startsWith('Tracing')
    ) {
      return { records, errors };
    }
    const header = headerColumns(text);
    if (header) {
      const layout = layoutOf(header.columns, header.csv);
      if (typeof layout === 'string') errors.push({ line, reason: layout });
      else this.#layout = layout;
      return { records, errors };
    }
    const result = this.#row(text);
    if (typeof result === 'string') errors.push({ line, reason: result });
    else if (result) records.push(result);
    return { records, errors };
  }

  end(): ParseOutput {
    return { records: [], errors: [] };
  }

  #fields(text: string): Map<string, string> | string {
    const { columns, csv, comm } = this.#layout;
    const parts = csv ? text.split(',') : text.trim().split(/\s+/);
    const after = columns.length - comm - 1;
    // COMM may contain spaces (or commas in CSV): it is whatever lies between the fixed columns on either side.
    if (parts.length < columns.length - 1) {
      return `row has ${parts.length} fields, the header names ${columns.length}`;
    }
    const values = new Map<string, string>();
    for (let i = 0; i < comm; i++) values.set(columns[i] ?? '', parts[i] ?? '');
    values.set('COMM', parts.slice(comm, parts.length - after).join(csv ? ',' : ' '));
    for (let i = 0; i < after; i++)
      values.set(columns[comm + 1 + i] ?? '', parts[parts.length - after + i] ?? '');
    return values;
  }

  #row(text: string): PipelineRecord | string | undefined {
    const v = this.#fields(text);
    if (typeof v === 'string') return v;
    const pid = count(v.get('PID'));
    if (pid === undefined) return `PID: not a number (${v.get('PID')})`;
    const laddr = v.get('LADDR') ?? '';
    const raddr = v.get('RADDR') ?? '';
    const lport = port(v.get('LPORT'));
    const rport = port(v.get('RPORT'));
    if (lport === undefined || rport === undefined) return 'LPORT or RPORT: not a port';
    if (ipNetworkType(laddr) === undefined || ipNetworkType(raddr) === undefined) {
      return 'LADDR or RADDR: not an IP address';
    }
    const kib = this.#layout.bytesUnit === 'kib';
    const tx = count(v.get(kib ? 'TX_KB' : v.has('TX_B') ? 'TX_B' : 'TX_BYTES'));
    const rx = count(v.get(kib ? 'RX_KB' : v.has('RX_B') ? 'RX_B' : 'RX_BYTES'));
    if (tx === undefined || rx === undefined) return 'TX or RX: not a count';
    const msText = v.get('MS') ?? '';
    const ms = /^\d+(\.\d+)?$/.test(msText) ? Number(msText) : undefined;
    if (ms === undefined) return `MS: not a duration (${msText})`;
    const startUnix = v.get('START_UNIX');
    if (startUnix !== undefined && !/^\d+(\.\d+)?$/.test(startUnix))
      return `START_UNIX: not Unix seconds (${startUnix})`;
    const closeMs =
      startUnix !== undefined
        ? Number(startUnix) * 1000 + ms
        : this.#closeTime(v.get('TIME'), v.get('TIME(s)'));
    if (typeof closeMs === 'string') return closeMs;
    const dir = directionFromPorts(lport, rport, this.#ephemeral);
    if (dir !== 'outbound') {
      this.#tally.add(dir === 'inbound' ? 'inbound_ignored' : 'direction_unknown_ignored');
      return undefined;
    }
    const est = v.get('EST');
    if (est !== undefined && est !== '0' && est !== '1') return `EST: not 0 or 1 (${est})`;
    let outcome: OutcomeValue;
    if (est !== undefined) outcome = est === '1' ? Outcome.COMPLETED : Outcome.FAILED;
    else if (kib) outcome = tx > 0 || rx > 0 ? Outcome.COMPLETED : Outcome.UNKNOWN;
    // On an active open bytes_acked counts the SYN once the SYN-ACK acknowledges it: 0 means no handshake.
    else outcome = tx > 0 ? Outcome.COMPLETED : Outcome.FAILED;
    const times =
      closeMs === undefined
        ? { observed: msToHrTime(Date.now()) }
        : { time: msToHrTime(closeMs - ms), observed: msToHrTime(closeMs) };
    const comm = v.get('COMM');
    return connectionRecord(this.#options.defaultResource, times, {
      [NetworkAttr.TRANSPORT]: 'tcp',
      [NetworkAttr.TYPE]: ipNetworkType(raddr),
      [NetworkAttr.SOURCE_ADDRESS]: laddr,
      [NetworkAttr.SOURCE_PORT]: lport,
      [NetworkAttr.DESTINATION_ADDRESS]: raddr,
      [NetworkAttr.DESTINATION_PORT]: rport,
      [ConnectionAttr.BYTES_SENT]: kib ? tx * 1024 : tx,
      [ConnectionAttr.BYTES_RECEIVED]: kib ? rx * 1024 : rx,
      [ConnectionAttr.DURATION_MS]: ms,
      [ConnectionAttr.OUTCOME]: outcome,
      [ProcessAttr.PID]: pid,
      [ProcessAttr.EXECUTABLE_NAME]: comm === '' ? undefined : comm,
      [ProvenanceAttr.SOURCE_FORMAT]: TCPLIFE_SOURCE,
      [ProvenanceAttr.BYTES_KIND]: kib ? BytesKind.ACKED_KIB : BytesKind.ACKED,
    });
  }

  /** The close time in Unix ms, undefined when nothing dates the line, or a reason when a time column is bad. */
  #closeTime(hms: string | undefined, seconds: string | undefined): number | string | undefined {
    if (hms !== undefined) {
      const m = HMS.exec(hms);
      if (!m) return `TIME: not HH:MM:SS (${hms})`;
      if (this.#last === undefined) {
        this.#tally.add('lines_without_time');
        return undefined;
      }
      const tod = (Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3])) * 1000;
      let t = this.#dayStart(this.#last) + tod;
      // The clock only moves forward: place the time on the day that puts it nearest the previous line's.
      if (t < this.#last - DAY_MS / 2) t += DAY_MS;
      else if (t > this.#last + DAY_MS / 2) t -= DAY_MS;
      this.#last = Math.max(this.#last, t);
      return t;
    }
    if (seconds !== undefined) {
      if (!/^\d+(\.\d+)?$/.test(seconds)) return `TIME(s): not seconds (${seconds})`;
      if (this.#reference === undefined) {
        this.#tally.add('lines_without_time');
        return undefined;
      }
      return this.#reference + Number(seconds) * 1000;
    }
    if (this.#reference === undefined) this.#tally.add('lines_without_time');
    return undefined;
  }

  /** Midnight, in Unix ms, of the day containing `ms` on the printing host's clock. */
  #dayStart(ms: number): number {
    if (this.#utcOffsetMinutes === undefined) {
      const d = new Date(ms);
      return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
    }
    const offset = this.#utcOffsetMinutes * 60_000;
    return Math.floor((ms + offset) / DAY_MS) * DAY_MS - offset;
  }
}

function looksLikeTcplife(input: string | Readonly<Record<string, unknown>>): boolean {
  if (typeof input !== 'string') return false;
  const header = headerColumns(input);
  return header !== undefined && typeof layoutOf(header.columns, header.csv) !== 'string';
}

/** A tcplife format with its own clock and port-range options. */
export function createTcplifeFormat(options: TcplifeFormatOptions = {}): SensorFormat {
  if (options.referenceUnixMs !== undefined && !Number.isFinite(options.referenceUnixMs)) {
    throw new RangeError(`referenceUnixMs: expected Unix ms, got ${options.referenceUnixMs}`);
  }
  if (options.utcOffsetMinutes !== undefined && Math.abs(options.utcOffsetMinutes) > 18 * 60) {
    throw new RangeError(`utcOffsetMinutes: expected -1080..1080, got ${options.utcOffsetMinutes}`);
  }
  if (options.ephemeralPortRange) checkPortRange(options.ephemeralPortRange, 'ephemeralPortRange');
  return {
    name: 'tcplife',
    description:
      'bcc/bpftrace tcplife session lines (any column variant, CSV too): pid, comm, addresses, acked bytes sent ' +
      'and received (KiB, or bytes), lifespan; outbound sessions told by their ports.',
    sourceFormats: [TCPLIFE_SOURCE],
    recognize: looksLikeTcplife,
    createParser: (parserOptions: ParserOptions) => new TcplifeParser(parserOptions, options),
  };
}

/** tcplife output with Linux's default ephemeral range and no reference time ({@link createTcplifeFormat}). */
export const tcplifeFormat: SensorFormat = createTcplifeFormat();
