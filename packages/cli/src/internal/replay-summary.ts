/**
 * The readable summary `replay` writes to stderr: records in and out, what each stage did (dropped with reasons,
 * late records), input problems, problems the stages reported, then the detections and the blind spots.
 */
import type { ProcessorCounters } from '@egressguard/core';

import type { ReplayResult } from '../runtime/replay.ts';
import { coverageRows, formatCoverageRows } from './coverage-table.ts';
import { formatDetectionTable } from './detection-table.ts';
import { formatCount, renderTable } from './text-table.ts';

/** Problems the stages reported during the run, counted by component and reason. */
export type ReportedCounts = ReadonlyMap<string, { count: number; first: string }>;

function sum(
  values: Readonly<Record<string, number>>,
  filter: (name: string) => boolean = () => true,
): number {
  return Object.entries(values).reduce((n, [k, v]) => (filter(k) ? n + v : n), 0);
}

function reasons(values: Readonly<Record<string, number>>): string {
  const parts = Object.entries(values)
    .filter(([, v]) => v > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${formatCount(v)}`);
  return parts.length === 0 ? '' : parts.join(', ');
}

const isLate = (name: string) => /late/.test(name);

function stageTable(stages: Readonly<Record<string, ProcessorCounters>>): string {
  const ids = Object.keys(stages);
  if (ids.length === 0) return '  (no processors: records pass through unchanged)';
  const rows = ids.map((id) => {
    const c = stages[id];
    const otherEvents = Object.fromEntries(Object.entries(c.events).filter(([k]) => !isLate(k)));
    return [
      id,
      formatCount(c.recordsIn),
      formatCount(c.recordsOut + c.recordsEmitted),
      formatCount(sum(c.dropped)),
      formatCount(sum(c.events, isLate)),
      [reasons(c.dropped), reasons(otherEvents)].filter(Boolean).join('; '),
    ];
  });
  return renderTable(
    [
      { header: 'STAGE' },
      { header: 'IN', right: true },
      { header: 'OUT', right: true },
      { header: 'DROPPED', right: true },
      { header: 'LATE', right: true },
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
      (result.revisionCount > 0 ? ` (${formatCount(result.revisionCount)} revisions)` : ''),
  );
  const rejected = sum(result.rejected);
  if (rejected > 0) {
    out.push(`input: ${formatCount(rejected)} unreadable (${reasons(result.rejected)}); first:`);
    for (const p of result.problems) out.push(`  ${p.file}:${p.line}: ${p.detail}`);
  }
  for (const [id, stages] of Object.entries(result.stages)) {
    out.push('', `pipeline ${id}:`, stageTable(stages));
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
      formatCoverageRows(coverageRows(result.coverage, result.malformed)),
    );
  }
  return `${out.join('\n')}\n`;
}
