/**
 * The blind-spot report as a library: per host and source format, how many connection records arrived and how many
 * of them had a process, byte counts and real HTTP semantics. Sensors differ in what they see (auditd, Sysmon and
 * Falco see no bytes; Zeek sees no process; only Zeek's http.log sees HTTP), and what no stage could fill in is a
 * product output, not a footnote. Used by the `coverage_report` processor and by the CLI's replay summary.
 */
import {
  ConnectionAttr,
  EventName,
  HAS_PROCESS_KEYS,
  HttpAttr,
  ProvenanceAttr,
  hostName,
  type ReadonlyPipelineRecord,
  type ReadonlyRecordAttributes,
} from '@egressguard/schema';

/** One row of the report. */
export interface CoverageRow {
  readonly host: string;
  /** `egressguard.source.format` of the records (`(none)` when a record carried none). */
  readonly format: string;
  readonly connections: number;
  readonly withProcess: number;
  readonly withBytes: number;
  readonly withHttp: number;
  /** Input lines of this format that could not be read, when known (the reader knows; a pipeline stage does not). */
  readonly malformed?: number;
}

/** The host label of records whose resource has no `host.name`. */
export const UNKNOWN_HOST = '(unknown)';
/** The format label of records without `egressguard.source.format`. */
export const UNKNOWN_FORMAT = '(none)';

const BYTES_KEYS = [ConnectionAttr.BYTES_SENT, ConnectionAttr.BYTES_RECEIVED];
// Real HTTP semantics: fields only a source that parsed HTTP can write. `network.protocol.name` is left out on
// purpose: the aggregator sets it from the port alone (with egressguard.protocol.inferred).
const HTTP_KEYS = [HttpAttr.REQUEST_METHOD, HttpAttr.RESPONSE_STATUS_CODE, HttpAttr.URL_FULL];

function present(attrs: ReadonlyRecordAttributes, keys: readonly string[]): boolean {
  for (const k of keys) {
    const v = attrs[k];
    if (v !== undefined && v !== null && v !== '') return true;
  }
  return false;
}

/** What a connection record carries: a process (pid or executable), byte counts, real HTTP fields. */
export function coverageOf(record: ReadonlyPipelineRecord): {
  readonly process: boolean;
  readonly bytes: boolean;
  readonly http: boolean;
} {
  const a = record.attributes;
  return {
    process: present(a, HAS_PROCESS_KEYS),
    bytes: present(a, BYTES_KEYS),
    http: present(a, HTTP_KEYS),
  };
}

interface MutableRow {
  host: string;
  format: string;
  connections: number;
  withProcess: number;
  withBytes: number;
  withHttp: number;
  malformed: number | undefined;
}

/** Counts connection records per host and source format. */
export class CoverageTally {
  private readonly rowsByKey = new Map<string, MutableRow>();

  /** Counts one record if it is a connection record; returns whether it was counted. */
  observe(record: ReadonlyPipelineRecord): boolean {
    if (record.eventName !== EventName.CONNECTION) return false;
    const format = record.attributes[ProvenanceAttr.SOURCE_FORMAT];
    const row = this.row(
      hostName(record) ?? UNKNOWN_HOST,
      typeof format === 'string' && format !== '' ? format : UNKNOWN_FORMAT,
    );
    const c = coverageOf(record);
    row.connections++;
    if (c.process) row.withProcess++;
    if (c.bytes) row.withBytes++;
    if (c.http) row.withHttp++;
    return true;
  }

  /** Adds malformed input lines of a host and source format (from the reader's summary). */
  addMalformed(host: string, format: string, count: number): void {
    const row = this.row(host, format);
    row.malformed = (row.malformed ?? 0) + count;
  }

  /** The rows, by host then format. */
  rows(): CoverageRow[] {
    return [...this.rowsByKey.values()]
      .map((r) => ({
        host: r.host,
        format: r.format,
        connections: r.connections,
        withProcess: r.withProcess,
        withBytes: r.withBytes,
        withHttp: r.withHttp,
        ...(r.malformed !== undefined ? { malformed: r.malformed } : {}),
      }))
      .sort((a, b) => a.host.localeCompare(b.host) || a.format.localeCompare(b.format));
  }

  /** Forgets every row. */
  clear(): void {
    this.rowsByKey.clear();
  }

  private row(host: string, format: string): MutableRow {
    const key = `${host}\u0000${format}`;
    let row = this.rowsByKey.get(key);
    if (!row) {
      row = { host, format, connections: 0, withProcess: 0, withBytes: 0, withHttp: 0, malformed: undefined };
      this.rowsByKey.set(key, row);
    }
    return row;
  }
}

function percent(part: number, whole: number): string {
  if (whole === 0) return '-';
  return `${Math.round((part / whole) * 1000) / 10}%`;
}

/**
 * Renders rows as an aligned text table: host, format, connections, % with process, % with bytes, % with HTTP,
 * malformed lines (`-` where unknown or where there were no connections to take a share of).
 */
export function formatCoverageTable(rows: readonly CoverageRow[]): string {
  const header = [
    'host',
    'format',
    'connections',
    'with process',
    'with bytes',
    'with HTTP',
    'malformed lines',
  ];
  const body = rows.map((r) => [
    r.host,
    r.format,
    String(r.connections),
    percent(r.withProcess, r.connections),
    percent(r.withBytes, r.connections),
    percent(r.withHttp, r.connections),
    r.malformed === undefined ? '-' : String(r.malformed),
  ]);
  const table = [header, ...body];
  const widths = header.map((_, i) => Math.max(...table.map((row) => row[i].length)));
  // Text columns align left, numbers right.
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}
