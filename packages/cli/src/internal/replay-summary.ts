/**
 * The readable summary `replay` writes to stderr: records in and out, what each stage did with records (in, out,
 * added, dropped with reasons, held, lost: for every stage in = out - added + dropped + held + lost, and lost is 0
 * unless a stage is broken), input problems, problems the stages reported, then the detections and the blind spots.
 */
import type { ProcessorCounters, StageBalance } from '@egressguard/core';

import type { ReplayResult } from '../runtime/replay.ts';
import { coverageRows, formatCoverageRows } from './coverage-table.ts';
import { formatDetectionTable } from './detection-table.ts';
import { formatCount, renderTable } from './text-table.ts';

/** Problems the stages reported during the run, counted by component and reason. */
export type ReportedCounts = ReadonlyMap<string, { count: number; first: string }>;

function sum(values: Readonly<Record<string, number>>): number {
  return Object.values(values).reduce((n, v) => n + v, 0);
}

function reasons(values: Readonly<Record<string, number>>): string {
  const parts = Object.entries(values)
    .filter(([, v]) => v > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${formatCount(v)}`);
  return parts.length === 0 ? '' : parts.join(', ');
}

function stageTable(
  counters: Readonly<Record<string, ProcessorCounters>>,
  balance: Readonly<Record<string, StageBalance>>,
): string {
  const ids = Object.keys(balance);
  if (ids.length === 0) return '  (no processors: records pass through unchanged)';
  const rows = ids.map((id) => {
    const b = balance[id];
    return [
      id,
      formatCount(b.recordsIn),
      formatCount(b.recordsOut),
      formatCount(b.added),
      formatCount(b.dropped),
      formatCount(b.held),
      formatCount(b.lost),
      [reasons(b.droppedByReason), reasons(counters[id]?.events ?? {})].filter(Boolean).join('; '),
    ];
  });
  return renderTable(
    [
      { header: 'STAGE' },
      { header: 'IN', right: true },
      { header: 'OUT', right: true },
      { header: 'ADDED', right: true },
      { header: 'DROPPED', right: true },
      { header: 'HELD', right: true },
      { header: 'LOST', right: true },
      { header: 'REASONS AND EVENTS', maxWidth: 120 },
    ],
    rows,
  )
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

/** Formats the replay summary. `detail` false leaves out the detection and blind-spot tables (`--quiet`). */
export function formatReplaySummary(result: ReplayResult, reported: ReportedCounts, detail: boolean): string {
  const out: string[] = [];
  out.push(
    `egressguard replay: ${formatCount(result.recordsIn)} records in, ${formatCount(result.recordsOut)} out, ${formatCount(result.detectionCount)} detections` +
      (result.revisionCount > 0 ? ` (${formatCount(result.revisionCount)} revisions)` : '') +
      `, ${formatCount(result.recordsLost)} lost`,
  );
  const rejected = sum(result.rejected);
  if (rejected > 0) {
    out.push(`input: ${formatCount(rejected)} unreadable (${reasons(result.rejected)}); first:`);
    for (const p of result.problems) out.push(`  ${p.file}:${p.line}: ${p.detail}`);
  }
  for (const [id, balance] of Object.entries(result.balance)) {
    out.push(
      '',
      `pipeline ${id}: in = out - added + dropped + held + lost`,
      stageTable(result.stages[id] ?? {}, balance),
    );
  }
  if (reported.size > 0) {
    out.push('', 'reported problems:');
    for (const [key, { count, first }] of reported)
      out.push(`  ${key}: ${formatCount(count)} (first: ${first})`);
  }
  if (detail) {
    out.push(
      '',
      'Detections:',
      formatDetectionTable(result.detections, result.detectionCount + result.revisionCount),
    );
    out.push(
      '',
      'Blind spots (connections lacking a process, bytes or HTTP):',
      formatCoverageRows(coverageRows(result.coverage)),
    );
  }
  return `${out.join('\n')}\n`;
}
