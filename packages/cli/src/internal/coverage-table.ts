/**
 * The blind-spot table of the replay summary, from the coverage report's `egressguard.coverage` records alone: per
 * host and source format, how many connections lacked a process, bytes or HTTP semantics, and how many input lines
 * could not be read.
 */
import {
  CoverageAttr,
  ProvenanceAttr,
  getInt,
  getString,
  hostName,
  type ReadonlyPipelineRecord,
} from '@egressguard/schema';

import { formatCount, renderTable } from './text-table.ts';

/** One row: the blind spots of one host and source over the replay. */
export interface CoverageRow {
  readonly host: string;
  readonly source: string;
  readonly connections: number;
  readonly withProcess: number;
  readonly withBytes: number;
  readonly withHttp: number;
  readonly malformed: number;
}

/**
 * Folds coverage records into one row per host and source. A report re-emitted for the same period (a revision)
 * replaces the earlier one; different periods add up.
 */
export function coverageRows(records: readonly ReadonlyPipelineRecord[]): CoverageRow[] {
  const latest = new Map<string, ReadonlyPipelineRecord>();
  for (const r of records) {
    const a = r.attributes;
    const key = [
      hostName(r) ?? '',
      getString(a, ProvenanceAttr.SOURCE_FORMAT) ?? '',
      getInt(a, CoverageAttr.PERIOD_START) ?? '',
      getInt(a, CoverageAttr.PERIOD_END) ?? '',
    ].join('\u0000');
    latest.set(key, r);
  }
  const rows = new Map<string, CoverageRow>();
  for (const r of latest.values()) {
    const a = r.attributes;
    const host = hostName(r) ?? '(no host.name)';
    const source = getString(a, ProvenanceAttr.SOURCE_FORMAT) ?? '(unknown)';
    const key = `${host}\u0000${source}`;
    const prev = rows.get(key);
    const n = (k: string) => getInt(a, k) ?? 0;
    rows.set(key, {
      host,
      source,
      connections: (prev?.connections ?? 0) + n(CoverageAttr.CONNECTIONS),
      withProcess: (prev?.withProcess ?? 0) + n(CoverageAttr.WITH_PROCESS),
      withBytes: (prev?.withBytes ?? 0) + n(CoverageAttr.WITH_BYTES),
      withHttp: (prev?.withHttp ?? 0) + n(CoverageAttr.WITH_HTTP),
      malformed: (prev?.malformed ?? 0) + n(CoverageAttr.MALFORMED),
    });
  }
  return [...rows.values()].sort((x, y) => x.host.localeCompare(y.host) || x.source.localeCompare(y.source));
}

function lacking(total: number, have: number): string {
  const missing = Math.max(0, total - have);
  if (total === 0) return '-';
  return `${formatCount(missing)} (${((missing / total) * 100).toFixed(0)}%)`;
}

/** Renders the blind-spot table. */
export function formatCoverageRows(rows: readonly CoverageRow[]): string {
  if (rows.length === 0)
    return 'No coverage report (no coverage_report processor in the chain, or no connections).';
  return renderTable(
    [
      { header: 'HOST', maxWidth: 24 },
      { header: 'SOURCE' },
      { header: 'CONNECTIONS', right: true },
      { header: 'NO PROCESS', right: true },
      { header: 'NO BYTES', right: true },
      { header: 'NO HTTP', right: true },
      { header: 'MALFORMED', right: true },
    ],
    rows.map((r) => [
      r.host,
      r.source,
      formatCount(r.connections),
      lacking(r.connections, r.withProcess),
      lacking(r.connections, r.withBytes),
      lacking(r.connections, r.withHttp),
      formatCount(r.malformed),
    ]),
  );
}
