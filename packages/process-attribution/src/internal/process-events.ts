/**
 * Feeds the process table from process exec and exit records: the lifetimes the `pid` rule (and the join, to fill
 * what a partner left out) looks records up in.
 */
import type { PipelineRecord } from '@egressguard/schema';
import { EventName, ProcessAttr, get } from '@egressguard/schema';

import { PROCESS_KEYS, isoMs, processPid } from './attribution.ts';
import { processAttributesOf, type ProcessTable } from './process-table.ts';
import { executableName } from './procfs-reader.ts';

/** What learning a record did: nothing to say, a record that could not be used, or the exit of an unknown pid. */
export type Learned =
  | { readonly kind: 'ok' }
  | { readonly kind: 'malformed'; readonly message: string }
  | { readonly kind: 'exit_of_unknown_process' };

const OK: Learned = { kind: 'ok' };

/** Adds an exec's process to the table, or closes an exit's lifetime; other records are left alone. */
export function learnProcessEvent(
  table: ProcessTable,
  record: PipelineRecord,
  host: string,
  timeMs: number | undefined,
): Learned {
  const attrs = record.attributes;
  switch (record.eventName) {
    case EventName.PROCESS_EXEC: {
      const pid = processPid(attrs);
      const startMs = isoMs(get(attrs, ProcessAttr.CREATION_TIME)) ?? timeMs;
      if (pid === undefined || startMs === undefined) {
        return {
          kind: 'malformed',
          message: `process exec record without ${pid === undefined ? ProcessAttr.PID : 'a time'} ignored`,
        };
      }
      const identity = processAttributesOf(attrs, PROCESS_KEYS);
      // Derived once here rather than for every connection the process makes.
      identity[ProcessAttr.CREATION_TIME] ??= new Date(startMs).toISOString();
      const path = get(identity, ProcessAttr.EXECUTABLE_PATH);
      if (path !== undefined) identity[ProcessAttr.EXECUTABLE_NAME] ??= executableName(path);
      table.addExec(host, pid, startMs, identity);
      return OK;
    }
    case EventName.PROCESS_EXIT: {
      const pid = processPid(attrs);
      const exitMs = isoMs(get(attrs, ProcessAttr.EXIT_TIME)) ?? timeMs;
      if (pid === undefined || exitMs === undefined) {
        return {
          kind: 'malformed',
          message: `process exit record without ${pid === undefined ? ProcessAttr.PID : 'a time'} ignored`,
        };
      }
      if (!table.addExit(host, pid, exitMs, isoMs(get(attrs, ProcessAttr.CREATION_TIME)))) {
        return { kind: 'exit_of_unknown_process' };
      }
      return OK;
    }
    default:
      return OK;
  }
}
