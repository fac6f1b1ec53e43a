/**
 * The detections table of the replay summary: one row per alert, with what an analyst reads first: the host, the
 * process, when it fired, the window, the connections and the bytes each way, then why it fired on lines of their
 * own, wrapped to the terminal's width.
 */
import {
  DetectionAttr,
  FlowAttr,
  NoveltyAttr,
  ProcessAttr,
  getBool,
  getDouble,
  getString,
  getStringArray,
  hostName,
  hrTimeToMs,
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

/** `2025-11-30 09:00:03` in UTC; `-` when unknown. */
function formatInstant(ms: number | undefined): string {
  return ms === undefined ? '-' : new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** `09:00:00–09:10:00`: the window's times of day in UTC, with the date when it is not the day it fired. */
function formatWindowTimes(
  startMs: number | undefined,
  endMs: number | undefined,
  firedMs: number | undefined,
): string {
  if (startMs === undefined || endMs === undefined) return '-';
  const start = new Date(startMs).toISOString();
  const sameDay =
    firedMs !== undefined && new Date(firedMs).toISOString().slice(0, 10) === start.slice(0, 10);
  return `${sameDay ? '' : `${start.slice(0, 10)} `}${start.slice(11, 19)}–${new Date(endMs).toISOString().slice(11, 19)}`;
}

/** Words of `text` in lines of at most `width` characters (a longer word gets a line of its own). */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (current === '') current = word;
    else if (current.length + 1 + word.length <= width) current += ` ${word}`;
    else {
      lines.push(current);
      current = word;
    }
  }
  if (current !== '') lines.push(current);
  return lines;
}

/** One alert: its first emission (when it fired) and its latest revision (the numbers to show). */
interface Alert {
  readonly first: ReadonlyPipelineRecord;
  latest: ReadonlyPipelineRecord;
  revisions: number;
}

/** Detection records grouped by id, in the order they first fired: revisions update their alert, never add one. */
function alertsOf(detections: readonly ReadonlyPipelineRecord[]): Alert[] {
  const byId = new Map<string, Alert>();
  const alerts: Alert[] = [];
  for (const [i, d] of detections.entries()) {
    const id = str(d, DetectionAttr.ID) ?? `#${i}`;
    const known = byId.get(id);
    if (known) {
      known.latest = d;
      known.revisions++;
      continue;
    }
    const alert = { first: d, latest: d, revisions: 0 };
    byId.set(id, alert);
    alerts.push(alert);
  }
  return alerts;
}

/** The line under a row: score and severity, the reason, and whether the numbers are the closed window's. */
function reasonOf(alert: Alert): string {
  const d = alert.latest;
  const score = num(d, DetectionAttr.SCORE);
  const severity = d.severityText;
  const head = [score !== undefined ? `score ${score}` : undefined, severity].filter(Boolean).join(' ');
  const final = getBool(d.attributes, DetectionAttr.FINAL);
  const state =
    final === false
      ? ' [window still open: numbers so far]'
      : alert.revisions > 0
        ? ` [revised ${alert.revisions}×: the closed window's numbers]`
        : '';
  return `${head ? `${head}: ` : ''}${whyOf(d)}${state}`;
}

/**
 * Renders detections as a table that fits `width` columns (120 by default): one row per alert (revisions of a
 * detection update its row), with the reason on its own wrapped lines under the row; `limit` alerts at most, then
 * a line saying how many more there were.
 */
export function formatDetectionTable(
  detections: readonly ReadonlyPipelineRecord[],
  total = detections.length,
  limit = 50,
  width = 120,
): string {
  if (total === 0 || detections.length === 0) return 'No detections.';
  const alerts = alertsOf(detections);
  const shown = alerts.slice(0, limit);
  const rows = shown.map(({ first, latest: d }) => {
    const firedMs = first.hrTime ? hrTimeToMs(first.hrTime) : undefined;
    return [
      hostName(d) ?? '-',
      processOf(d),
      formatInstant(firedMs),
      formatWindowTimes(
        num(d, DetectionAttr.WINDOW_START, FlowAttr.WINDOW_START),
        num(d, DetectionAttr.WINDOW_END, FlowAttr.WINDOW_END),
        firedMs,
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
    ];
  });
  const table = renderTable(
    [
      { header: 'HOST', maxWidth: 12 },
      { header: 'PROCESS', maxWidth: 38 },
      { header: 'FIRED (UTC)' },
      { header: 'WINDOW (UTC)' },
      { header: 'CONNS', right: true },
      { header: 'BYTES OUT', right: true },
      { header: 'BYTES IN', right: true },
    ],
    rows,
  ).split('\n');
  const indent = '    ';
  const body = shown.flatMap((alert, i) => [
    table[i + 2],
    ...wrap(reasonOf(alert), width - indent.length).map((l) => `${indent}${l}`),
  ]);
  const notKept = total - detections.length;
  const more = [
    alerts.length > shown.length ? `… and ${formatCount(alerts.length - shown.length)} more detections` : '',
    notKept > 0 ? `… and ${formatCount(notKept)} more detection records not kept for this summary` : '',
  ].filter(Boolean);
  return [table[0], table[1], ...body, ...more.map((m) => `${m} (in the output records).`)].join('\n');
}
