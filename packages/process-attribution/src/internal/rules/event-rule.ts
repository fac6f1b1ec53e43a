/**
 * The sensor's own event: a record that carries a pid and names its executable (path or name) is attributed by
 * method `event` before any configured rule; the table or /proc only fill what the sensor left out. A record that
 * names only the comm (tcplife, ss) of a pid the table does not know yet waits for the exec that gives the path.
 */
import { AttributionMethod, ProcessAttr, get } from '@egressguard/schema';

import { ATTRIBUTION_CONFIDENCE, fillFromEntry, fillFromProcfs, isoMs, liveProcess } from '../attribution.ts';
import type { ProcessTable } from '../process-table.ts';
import type { ProcfsReader } from '../procfs-reader.ts';
import type { Attempt, Attribution, Rule, RuleQuery } from './rule.ts';

export class EventRule implements Rule {
  readonly name = 'event';
  private readonly table: ProcessTable;
  /** /proc, when the `procfs` rule is configured. */
  private readonly procfs: ProcfsReader | undefined;
  private readonly lifetimeSlackMs: number;
  private readonly waitsForExec: boolean;

  constructor(
    table: ProcessTable,
    procfs: ProcfsReader | undefined,
    lifetimeSlackMs: number,
    waitsForExec: boolean,
  ) {
    this.table = table;
    this.procfs = procfs;
    this.lifetimeSlackMs = lifetimeSlackMs;
    this.waitsForExec = waitsForExec;
  }

  /** Returns undefined either when the record does not name its process or when it waits (`tablePending`). */
  attribute(q: RuleQuery, attempt: Attempt): Attribution | undefined {
    const { record, host, timeMs, pid } = q;
    const attrs = record.attributes;
    if (pid === undefined) return undefined;
    const path = get(attrs, ProcessAttr.EXECUTABLE_PATH);
    if (!(path ?? get(attrs, ProcessAttr.EXECUTABLE_NAME))) return undefined;
    const found = this.table.lookup(host, pid, timeMs, isoMs(get(attrs, ProcessAttr.CREATION_TIME)));
    if (found.kind === 'found') fillFromEntry(record, found.entry);
    const liveOrReused = q.local
      ? liveProcess(this.procfs, this.lifetimeSlackMs, pid, timeMs, record)
      : undefined;
    const live = liveOrReused === 'reused' ? undefined : liveOrReused;
    if (live) fillFromProcfs(record, live);
    // Only when nothing was filled in: the path read above is still the record's.
    else if (found.kind === 'unknown' && path === undefined && this.waitsForExec) {
      attempt.tablePending = true;
      return undefined;
    }
    return live
      ? { method: AttributionMethod.EVENT, confidence: ATTRIBUTION_CONFIDENCE.EVENT, live }
      : BY_EVENT;
  }
}

/** The attribution of a record that names its own process and was not read from /proc: one shared value. */
const BY_EVENT: Attribution = Object.freeze({
  method: AttributionMethod.EVENT,
  confidence: ATTRIBUTION_CONFIDENCE.EVENT,
});
