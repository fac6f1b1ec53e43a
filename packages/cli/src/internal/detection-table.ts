/**
 * The detections table of the replay summary: one row per detection, with what an analyst reads first: the host,
 * the process, the window, the connections, the bytes each way and why it fired.
 */
import {
  DetectionAttr,
  FlowAttr,
  NoveltyAttr,
  ProcessAttr,
  getDouble,
  getString,
  getStringArray,
  hostName,
  type ReadonlyPipelineRecord,
} from '@egressguard/schema';

import { formatBytes, formatCount, renderTable } from './text-table.ts';

function num(record: ReadonlyPipelineRecord, ...keys: string[]): number | undefined {
  for (const key of keys) {
    const value = getDouble(record.attributes, key);
    if (value !== undefined) return value;
  }
  return undefined;
}

function str(record: ReadonlyPipelineRecord, ...keys: string[]): string | undefined {
  for (const key of keys) {
    const value = getString(record.attributes, key);
    if (value !== undefined) return value;
  }
  return undefined;
}

/** `2025-11-30 00:00:00–00:10:00Z`: the window in UTC, the end's date omitted when it is the start's. */
export function formatWindow(startMs: number | undefined, endMs: number | undefined): string {
  if (startMs === undefined || endMs === undefined) return '-';
  const start = new Date(startMs).toISOString().slice(0, 19).replace('T', ' ');
  const endIso = new Date(endMs).toISOString().slice(0, 19).replace('T', ' ');
  const end = endIso.slice(0, 10) === start.slice(0, 10) ? endIso.slice(11) : endIso;
  return `${start}–${end}Z`;
}

/** The process of a detection: executable path (or name), with the pid when known. */
function processOf(record: ReadonlyPipelineRecord): string {
  const exe = str(
    record,
    ProcessAttr.EXECUTABLE_PATH,
    ProcessAttr.EXECUTABLE_NAME,
    NoveltyAttr.IDENTITY,
    FlowAttr.KEY,
  );
  const pid = num(record, ProcessAttr.PID);
  if (exe === undefined) return pid === undefined ? '-' : `pid ${pid}`;
  return pid === undefined ? exe : `${exe} (${pid})`;
}

/** Why the detection fired: its reason text, else the thresholds that fired. */
function whyOf(record: ReadonlyPipelineRecord): string {
  const reason = str(record, DetectionAttr.REASON);
  if (reason !== undefined) return reason;
  const fired = getStringArray(record.attributes, DetectionAttr.FIRED);
  return fired && fired.length > 0 ? fired.join(', ') : '-';
}

const evidence = (name: string) => `${DetectionAttr.EVIDENCE_PREFIX}${name}`;

/** Renders detections as a table; `limit` rows at most, then a line saying how many more there were. */
export function formatDetectionTable(
  detections: readonly ReadonlyPipelineRecord[],
  total = detections.length,
  limit = 50,
): string {
  if (total === 0) return 'No detections.';
  const rows = detections
    .slice(0, limit)
    .map((d) => [
      hostName(d) ?? '-',
      processOf(d),
      formatWindow(
        num(d, DetectionAttr.WINDOW_START, FlowAttr.WINDOW_START),
        num(d, DetectionAttr.WINDOW_END, FlowAttr.WINDOW_END),
      ),
      formatCount(num(d, evidence('connections'), evidence('external_connections'), FlowAttr.CONNECTIONS)),
      formatBytes(
        num(
          d,
          evidence('bytes_sent'),
          evidence('external_bytes_sent'),
          FlowAttr.EXTERNAL_BYTES_SENT,
          FlowAttr.BYTES_SENT,
        ),
      ),
      formatBytes(
        num(
          d,
          evidence('bytes_received'),
          evidence('external_bytes_received'),
          FlowAttr.EXTERNAL_BYTES_RECEIVED,
          FlowAttr.BYTES_RECEIVED,
        ),
      ),
      whyOf(d),
    ]);
  const table = renderTable(
    [
      { header: 'HOST', maxWidth: 24 },
      { header: 'PROCESS', maxWidth: 48 },
      { header: 'WINDOW (UTC)' },
      { header: 'CONNS', right: true },
      { header: 'BYTES OUT', right: true },
      { header: 'BYTES IN', right: true },
      { header: 'WHY' },
    ],
    rows,
  );
  const more =
    total > rows.length
      ? `\n… and ${formatCount(total - rows.length)} more detections (in the output records).`
      : '';
  return `${table}${more}`;
}
