/**
 * The `pid` rule: the process table (fed by exec and exit records), by the record's pid within the process's
 * lifetime. A pid the table does not know yet may wait for its exec (`join.wait_ms` > 0).
 */
import { AttributionMethod, ProcessAttr, get } from '@egressguard/schema';

import { AttributionReason, fillFromEntry, isoMs, tableConfidence } from '../attribution.ts';
import type { ProcessTable } from '../process-table.ts';
import type { Attempt, Attribution, Rule, RuleQuery } from './rule.ts';

export class PidRule implements Rule {
  readonly name = 'pid';
  private readonly table: ProcessTable;
  private readonly waitsForExec: boolean;

  constructor(table: ProcessTable, waitMs: number) {
    this.table = table;
    this.waitsForExec = waitMs > 0;
  }

  attribute(q: RuleQuery, attempt: Attempt): Attribution | undefined {
    if (q.pid === undefined) return undefined;
    const creation = isoMs(get(q.record.attributes, ProcessAttr.CREATION_TIME));
    const found = this.table.lookup(q.host, q.pid, q.timeMs, creation);
    if (found.kind === 'found') {
      fillFromEntry(q.record, found.entry);
      return { method: AttributionMethod.EVENT, confidence: tableConfidence(found) };
    }
    if (found.kind === 'gone') attempt.failure ??= AttributionReason.PROCESS_GONE;
    else attempt.tablePending = this.waitsForExec;
    return undefined;
  }
}
