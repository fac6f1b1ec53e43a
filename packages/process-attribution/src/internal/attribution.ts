/**
 * What the rules and the processor share: the confidence of each way of attributing, the reasons a record stays
 * unattributed, and how a found process is copied into a record (only ever adding, never overwriting).
 */
import type { PipelineRecord } from '@egressguard/schema';
import {
  AttributionAttr,
  AttributionMethod,
  ProcessAttr,
  get,
  setIfAbsent,
  type RecordAttributes,
} from '@egressguard/schema';

import type { ProcessEntry, ProcessLookup } from './process-table.ts';
import { executableName, type ProcfsProcess, type ProcfsReader } from './procfs-reader.ts';

/**
 * The confidence each way of attributing a record carries (`egressguard.attribution.confidence`).
 * - `EVENT`: the sensor's own event carried the pid and executable.
 * - `TABLE_EXACT`: the process table matched pid and creation time.
 * - `TABLE_LIFETIME`: the process table matched the pid, the record's time inside the process's lifetime.
 * - `TABLE_SLACK`: as above, but only within the configured clock slack of the lifetime's edges.
 * - `JOIN_FIVE_TUPLE`: another sensor's record of the same 5-tuple, within the tolerance, named one process.
 * - `JOIN_DESTINATION`: only host, destination and time matched (the partner had no source port), one process.
 * - `PROCFS`: `/proc/<pid>` of a process that started before the record's time.
 * - `SOCKET`: the live socket of the 5-tuple, held by one process that started before the record's time.
 */
export const ATTRIBUTION_CONFIDENCE = {
  EVENT: 1,
  TABLE_EXACT: 1,
  TABLE_LIFETIME: 0.95,
  TABLE_SLACK: 0.8,
  JOIN_FIVE_TUPLE: 0.9,
  JOIN_DESTINATION: 0.6,
  PROCFS: 0.9,
  SOCKET: 0.85,
} as const;

/** Values of `egressguard.attribution.reason`. */
export const AttributionReason = {
  AMBIGUOUS: 'ambiguous',
  NO_MATCH: 'no_match',
  KERNEL_THREAD: 'kernel_thread',
  NO_EXECUTABLE: 'no_executable',
  PROCESS_GONE: 'process_gone',
} as const;
export type Reason = (typeof AttributionReason)[keyof typeof AttributionReason];

/** The attributes a process contributes to a connection record. */
export const PROCESS_KEYS = [
  ProcessAttr.PID,
  ProcessAttr.PARENT_PID,
  ProcessAttr.EXECUTABLE_PATH,
  ProcessAttr.EXECUTABLE_NAME,
  ProcessAttr.COMMAND_LINE,
  ProcessAttr.OWNER,
  ProcessAttr.USER_ID,
  ProcessAttr.CREATION_TIME,
  ProcessAttr.CONTAINER_ID,
  ProcessAttr.EXECUTABLE_SHA256,
  ProcessAttr.EXECUTABLE_DELETED,
] as const;

/** The confidence of a process-table match: exact start time, within the lifetime, or only within the slack. */
export function tableConfidence(found: Extract<ProcessLookup, { kind: 'found' }>): number {
  if (found.exact) return ATTRIBUTION_CONFIDENCE.TABLE_EXACT;
  return found.inSlack ? ATTRIBUTION_CONFIDENCE.TABLE_SLACK : ATTRIBUTION_CONFIDENCE.TABLE_LIFETIME;
}

/** A record's pid when it names a process: pid 0 (the idle task) and negative values do not. */
export function processPid(attrs: RecordAttributes): number | undefined {
  const pid = get(attrs, ProcessAttr.PID);
  return pid !== undefined && pid > 0 ? pid : undefined;
}

export function isoMs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

export function copyAbsent(record: PipelineRecord, attributes: RecordAttributes): void {
  const target = record.attributes;
  for (const key in attributes) {
    if (target[key] === undefined && attributes[key] !== undefined) target[key] = attributes[key];
  }
}

export function fillFromEntry(record: PipelineRecord, entry: ProcessEntry): void {
  copyAbsent(record, entry.attributes);
  setIfAbsent(record, ProcessAttr.PID, entry.pid);
}

export function fillFromProcfs(record: PipelineRecord, p: ProcfsProcess): void {
  setIfAbsent(record, ProcessAttr.PID, p.pid);
  setIfAbsent(record, ProcessAttr.PARENT_PID, p.ppid);
  setIfAbsent(record, ProcessAttr.CREATION_TIME, p.creationTime);
  if (p.kernelThread) {
    // No executable to name: the kernel thread is marked as such, its comm is not passed off as an executable.
    setIfAbsent(record, ProcessAttr.KERNEL_THREAD, true);
    return;
  }
  if (p.executablePath !== undefined) {
    setIfAbsent(record, ProcessAttr.EXECUTABLE_PATH, p.executablePath);
    setIfAbsent(record, ProcessAttr.EXECUTABLE_NAME, executableName(p.executablePath));
    setIfAbsent(record, ProcessAttr.EXECUTABLE_DELETED, p.executableDeleted);
  }
  setIfAbsent(record, ProcessAttr.COMMAND_LINE, p.commandLine);
  setIfAbsent(record, ProcessAttr.USER_ID, p.uid);
  setIfAbsent(record, ProcessAttr.OWNER, p.owner);
  setIfAbsent(record, ProcessAttr.CONTAINER_ID, p.containerId);
}

/**
 * The live process of a pid if it is the one the record is about: it started before the record's time (within
 * the slack; /proc's start time is precise to the clock tick on a boot time known to the second) and, when the
 * record carries a creation time, started then.
 */
export function liveProcess(
  procfs: ProcfsReader | undefined,
  lifetimeSlackMs: number,
  pid: number,
  timeMs: number,
  record: PipelineRecord,
): ProcfsProcess | 'reused' | undefined {
  const process = procfs?.read(pid);
  if (!process) return undefined;
  const slack = Math.max(lifetimeSlackMs, 1_000);
  const creation = isoMs(get(record.attributes, ProcessAttr.CREATION_TIME));
  if (creation !== undefined && Math.abs(creation - process.startMs) > slack) return 'reused';
  if (process.startMs > timeMs + slack) return 'reused';
  return process;
}

/**
 * Writes a found process's method and confidence, and marks a kernel thread or a missing executable (else names
 * the executable from its path). Returns the counter of the outcome.
 */
export function markAttributed(
  record: PipelineRecord,
  method: string,
  confidence: number,
  live: ProcfsProcess | undefined,
): string {
  setIfAbsent(record, AttributionAttr.METHOD, method);
  setIfAbsent(record, AttributionAttr.CONFIDENCE, confidence);
  const attrs = record.attributes;
  const path = get(attrs, ProcessAttr.EXECUTABLE_PATH);
  if (live?.kernelThread) setIfAbsent(record, AttributionAttr.REASON, AttributionReason.KERNEL_THREAD);
  else if (path === undefined) setIfAbsent(record, AttributionAttr.REASON, AttributionReason.NO_EXECUTABLE);
  else if (attrs[ProcessAttr.EXECUTABLE_NAME] === undefined)
    attrs[ProcessAttr.EXECUTABLE_NAME] = executableName(path);
  return ATTRIBUTED_COUNTER[method] ?? `attributed_${method}`;
}

/** Marks a record no rule attributed: method `none`, confidence 0, the reason. Returns the outcome's counter. */
export function markUnattributed(
  record: PipelineRecord,
  failure: Reason | undefined,
  candidates: number | undefined,
): string {
  const reason = failure ?? AttributionReason.NO_MATCH;
  setIfAbsent(record, AttributionAttr.METHOD, AttributionMethod.NONE);
  setIfAbsent(record, AttributionAttr.CONFIDENCE, 0);
  setIfAbsent(record, AttributionAttr.REASON, reason);
  if (candidates !== undefined) setIfAbsent(record, AttributionAttr.CANDIDATES, candidates);
  return `unattributed_${reason}`;
}

/** Counter names per method, built once. */
const ATTRIBUTED_COUNTER: Readonly<Record<string, string>> = Object.fromEntries(
  Object.values(AttributionMethod).map((m) => [m, `attributed_${m}`]),
);
