/**
 * auditd raw logs (`/var/log/audit/audit.log`, RAW or ENRICHED `log_format`): `connect` syscalls become connection
 * records and successful `execve`/`execveat` syscalls become process records.
 *
 * One audit event is several record lines that share a serial (`msg=audit(1700000000.123:4567)`): SYSCALL, then
 * SOCKADDR / EXECVE / CWD / PATH, PROCTITLE, EOE. Lines of different events may interleave (several CPUs log at
 * once), so open events are kept by serial until their EOE arrives, or until a line of the same node arrives whose
 * serial or time is far enough past theirs (older kernels and some forwarders drop EOE), or until the bound on open
 * events evicts the oldest (counted as `events_evicted`; what it held is still emitted).
 *
 * What auditd cannot say, and so is never written: bytes (it sees the syscall, not the traffic), the source port
 * (connect has not bound one yet when the record is written), and TCP vs UDP (the SYSCALL record does not carry the
 * socket type). `network.transport` is `tcp` only when the result proves a stream socket: EINPROGRESS, ECONNREFUSED
 * and ETIMEDOUT are returned by connect() on TCP sockets only (a UDP connect() sends nothing, so it cannot be refused
 * or time out). A successful connect() is left without a transport: glibc's getaddrinfo() connects UDP sockets to
 * every candidate address to sort them (RFC 6724), so exit=0 connects to port 80 or 443 are often not TCP at all.
 *
 * Outcome: exit=0 and EINPROGRESS are `unknown` (the attempt started; auditd never sees whether it was answered or
 * how it ended), ECONNREFUSED, ENETUNREACH, EHOSTUNREACH, ETIMEDOUT and other errors are `failed`. EALREADY and
 * EISCONN are a second connect() on a socket whose first attempt was already recorded: counted, not emitted; so is a
 * connect() that returns 0 on a socket (same pid, fd and destination) whose earlier connect() returned EINPROGRESS.
 *
 * User: `process.user.id` is the effective uid (`euid`), the id the kernel checks permissions with, as the schema
 * defines the attribute; `process.owner` is the ENRICHED name of that uid (`EUID="root"`).
 */
import type { HrTime } from '@opentelemetry/api';
import { ConnectionAttr, EventName, NetworkAttr, type PipelineRecord } from '@egressguard/schema';

import type {
  ParseError,
  ParseOutput,
  ParserOptions,
  ParserSnapshot,
  SensorFormat,
  SensorParser,
} from '../format.ts';
import { hexToBytes, parseAuditLine, type AuditRecordLine } from '../internal/audit-fields.ts';
import { secondsAndFraction } from '../internal/event-time.ts';
import { auditdParserState, parseParserState, type AuditdParserState } from '../internal/parser-state.ts';
import { buildRecord } from '../internal/record-builder.ts';
import { Tally } from '../internal/tally.ts';
import { connectResult, InProgressConnects, isRepeatedConnectExit } from './internal/auditd-connect.ts';
import { AUDITD_SOURCE_FORMAT, auditdProcessAttributes, decodeSockaddr } from './internal/auditd-records.ts';

export { AUDITD_SOURCE_FORMAT };

/** Options of {@link createAuditdFormat}. */
export interface AuditdFormatOptions {
  /** Open (not yet complete) events kept at most; the oldest is completed early past this. Default 1024. */
  readonly maxOpenEvents?: number;
  /** An open event completes when a line of the same node with a serial this much higher arrives. Default 256. */
  readonly completeAfterSerials?: number;
  /** An open event completes when a line of the same node this much later (event time) arrives. Default 2000. */
  readonly completeAfterMs?: number;
}

/** Syscall numbers by audit arch (`arch=` in hex, AUDIT_ARCH_* from linux/audit.h). */
const SYSCALLS: Readonly<Record<string, { readonly connect: number; readonly exec: readonly number[] }>> = {
  // AUDIT_ARCH_X86_64: arch/x86/entry/syscalls/syscall_64.tbl: 42 connect, 59 execve, 322 execveat.
  c000003e: { connect: 42, exec: [59, 322] },
  // AUDIT_ARCH_AARCH64: include/uapi/asm-generic/unistd.h: 203 connect, 221 execve, 281 execveat.
  c00000b7: { connect: 203, exec: [221, 281] },
};

/** Record types that belong to a syscall event and that this parser reads. */
const KEPT_TYPES = new Set(['SYSCALL', 'SOCKADDR', 'EXECVE', 'PROCTITLE']);

interface KeptLine {
  readonly text: string;
  readonly line: number;
}

interface OpenEvent {
  readonly key: string;
  readonly node: string | undefined;
  readonly serial: number;
  readonly time: HrTime;
  readonly timeMs: number;
  syscall: AuditRecordLine | undefined;
  syscallLine: number;
  sockaddr: AuditRecordLine | undefined;
  sockaddrLine: number;
  execve: AuditRecordLine[];
  proctitle: AuditRecordLine | undefined;
  readonly lines: KeptLine[];
}

class AuditdParser implements SensorParser {
  private readonly options: ParserOptions;
  private readonly maxOpen: number;
  private readonly serialGap: number;
  private readonly timeGapMs: number;
  private readonly open = new Map<string, OpenEvent>();
  private readonly tally = new Tally();
  private readonly inProgress = new InProgressConnects(this.tally);

  constructor(options: ParserOptions, formatOptions: AuditdFormatOptions) {
    this.options = options;
    this.maxOpen = formatOptions.maxOpenEvents ?? 1024;
    this.serialGap = formatOptions.completeAfterSerials ?? 256;
    this.timeGapMs = formatOptions.completeAfterMs ?? 2000;
  }

  push(input: string | Readonly<Record<string, unknown>>, line: number): ParseOutput {
    const records: PipelineRecord[] = [];
    const errors: ParseError[] = [];
    if (typeof input !== 'string') {
      errors.push({ line, reason: 'auditd input must be a text line, got an object' });
      return { records, errors };
    }
    const text = input.replace(/\r$/, '');
    if (text.trim() === '') return { records, errors };
    this.ingest(text, line, records, errors, true);
    return { records, errors };
  }

  end(): ParseOutput {
    const records: PipelineRecord[] = [];
    const errors: ParseError[] = [];
    for (const event of [...this.open.values()]) this.complete(event, records, errors);
    return { records, errors };
  }

  counters(): Readonly<Record<string, number>> {
    return { ...this.tally.view(), open_events: this.open.size };
  }

  snapshot(): ParserSnapshot {
    const snap: AuditdParserState = {
      version: 1,
      open: [...this.open.values()].map((e) => e.lines.map((l) => ({ ...l }))),
    };
    return snap;
  }

  restore(snapshot: ParserSnapshot): void {
    const snap = parseParserState(auditdParserState, snapshot, 'auditd parser');
    this.open.clear();
    const sink: PipelineRecord[] = [];
    const errors: ParseError[] = [];
    for (const lines of snap.open) {
      for (const kept of lines) this.ingest(kept.text, kept.line, sink, errors, false);
    }
  }

  private ingest(
    text: string,
    line: number,
    records: PipelineRecord[],
    errors: ParseError[],
    completeOthers: boolean,
  ): void {
    const parsed = parseAuditLine(text);
    if ('kind' in parsed) {
      if (parsed.kind === 'no_timestamp') {
        // The kernel writes records it cannot name as `type=UNKNOWN[n] msg=?`: a record, not a broken line.
        this.tally.add('records_without_timestamp');
        return;
      }
      errors.push({
        line,
        reason: 'not an auditd record: expected "type=<TYPE> msg=audit(<seconds>.<millis>:<serial>):"',
      });
      return;
    }
    const time = secondsAndFraction(parsed.seconds, parsed.fraction);
    const timeMs = time[0] * 1000 + time[1] / 1e6;
    if (completeOthers) this.completeStale(parsed, timeMs, records, errors);

    const key = `${parsed.node ?? ''}|${parsed.seconds}.${parsed.fraction}:${parsed.serial}`;
    if (parsed.type === 'EOE') {
      const event = this.open.get(key);
      if (event) this.complete(event, records, errors);
      return;
    }
    if (!KEPT_TYPES.has(parsed.type)) {
      this.tally.add('records_other_types');
      return;
    }
    let event = this.open.get(key);
    if (!event) {
      event = {
        key,
        node: parsed.node,
        serial: parsed.serial,
        time,
        timeMs,
        syscall: undefined,
        syscallLine: line,
        sockaddr: undefined,
        sockaddrLine: line,
        execve: [],
        proctitle: undefined,
        lines: [],
      };
      this.open.set(key, event);
      if (this.open.size > this.maxOpen) {
        const oldest = this.open.values().next().value!;
        this.tally.add('events_evicted');
        this.complete(oldest, records, errors);
      }
    }
    event.lines.push({ text, line });
    switch (parsed.type) {
      case 'SYSCALL':
        event.syscall = parsed;
        event.syscallLine = line;
        break;
      case 'SOCKADDR':
        event.sockaddr = parsed;
        event.sockaddrLine = line;
        break;
      case 'EXECVE':
        event.execve.push(parsed);
        break;
      case 'PROCTITLE':
        event.proctitle = parsed;
        break;
    }
  }

  /** Completes open events of the same node that the new line is far enough past. */
  private completeStale(
    current: AuditRecordLine,
    timeMs: number,
    records: PipelineRecord[],
    errors: ParseError[],
  ): void {
    if (this.open.size === 0) return;
    // Deleting the entry being visited is safe while iterating a Map.
    for (const event of this.open.values()) {
      if (event.node !== current.node) continue;
      if (current.serial - event.serial >= this.serialGap || timeMs - event.timeMs >= this.timeGapMs) {
        this.tally.add('events_completed_without_eoe');
        this.complete(event, records, errors);
      }
    }
  }

  private complete(event: OpenEvent, records: PipelineRecord[], errors: ParseError[]): void {
    this.open.delete(event.key);
    const syscall = event.syscall;
    if (!syscall) {
      this.tally.add('events_without_syscall');
      return;
    }
    const f = syscall.fields;
    const arch = f.get('arch')?.text.toLowerCase();
    const number = Number(f.get('syscall')?.text);
    const table = arch !== undefined ? SYSCALLS[arch] : undefined;
    // ENRICHED logs name the syscall (`SYSCALL=connect`), which also covers arches without a table here.
    const name = syscall.enriched.get('SYSCALL');
    const isConnect = table ? number === table.connect : name === 'connect';
    const isExec = table ? table.exec.includes(number) : name === 'execve' || name === 'execveat';
    if (!table && name === undefined) {
      this.tally.add('events_unsupported_arch');
      return;
    }
    if (isConnect) this.connect(event, syscall, records, errors);
    else if (isExec) this.exec(event, syscall, records);
    else this.tally.add('events_other_syscalls');
  }

  private connect(
    event: OpenEvent,
    syscall: AuditRecordLine,
    records: PipelineRecord[],
    errors: ParseError[],
  ): void {
    if (!event.sockaddr) {
      this.tally.add('connect_without_sockaddr');
      return;
    }
    const saddr = event.sockaddr.fields.get('saddr');
    const bytes = saddr && !saddr.quoted ? hexToBytes(saddr.text) : undefined;
    if (!bytes || bytes.length < 2) {
      errors.push({ line: event.sockaddrLine, reason: 'SOCKADDR saddr is missing or not hex' });
      return;
    }
    const decoded = decodeSockaddr(bytes);
    if ('error' in decoded) {
      errors.push({ line: event.sockaddrLine, reason: decoded.error });
      return;
    }
    if ('ignored' in decoded) {
      this.tally.add(decoded.ignored);
      return;
    }
    const { destination, port } = decoded;
    const exit = Number(syscall.fields.get('exit')?.text);
    const attempt = `${event.node ?? ''}|${syscall.fields.get('pid')?.text ?? ''}|${syscall.fields.get('a0')?.text ?? ''}|${destination.address}|${port}`;
    if (isRepeatedConnectExit(exit) || this.inProgress.isCompletion(attempt, exit, event.timeMs)) {
      this.tally.add('repeated_connect');
      return;
    }
    const { outcome, transport } = connectResult(exit);
    records.push(
      buildRecord(
        EventName.CONNECTION,
        event.time,
        {
          ...auditdProcessAttributes(syscall, undefined, event.proctitle, event.serial),
          [NetworkAttr.TRANSPORT]: transport,
          [NetworkAttr.TYPE]: destination.type,
          [NetworkAttr.DESTINATION_ADDRESS]: destination.address,
          [NetworkAttr.DESTINATION_PORT]: port,
          [ConnectionAttr.OUTCOME]: outcome,
        },
        this.resourceOf(event),
      ),
    );
  }

  private exec(event: OpenEvent, syscall: AuditRecordLine, records: PipelineRecord[]): void {
    const success = syscall.fields.get('success')?.text;
    if (success === 'no' || Number(syscall.fields.get('exit')?.text) < 0) {
      // Shells try execve() in every PATH directory: failed attempts are not process starts.
      this.tally.add('failed_exec');
      return;
    }
    records.push(
      buildRecord(
        EventName.PROCESS_EXEC,
        event.time,
        auditdProcessAttributes(syscall, event.execve, event.proctitle, event.serial),
        this.resourceOf(event),
      ),
    );
  }

  private resourceOf(event: OpenEvent) {
    return event.node !== undefined ? this.options.resourceFor(event.node) : this.options.defaultResource;
  }
}

/** Builds the auditd format with non-default bounds. */
export function createAuditdFormat(formatOptions: AuditdFormatOptions = {}): SensorFormat {
  return {
    name: 'auditd',
    description:
      'auditd audit.log (RAW or ENRICHED): connect() syscalls as connection records, execve()/execveat() as process records.',
    sourceFormats: [AUDITD_SOURCE_FORMAT],
    recognize(input) {
      return typeof input === 'string' && /^(?:node=\S+ )?type=[A-Z_0-9[\]]+ msg=/.test(input);
    },
    createParser(options) {
      return new AuditdParser(options, formatOptions);
    },
  };
}

/** auditd raw logs with the default bounds. */
export const auditdFormat: SensorFormat = createAuditdFormat();
