/** The `procfs` rule: `/proc/<pid>` on this host, for a record with a pid of a process still running. */
import { AttributionMethod } from '@egressguard/schema';

import { ATTRIBUTION_CONFIDENCE, AttributionReason, fillFromProcfs, liveProcess } from '../attribution.ts';
import type { ProcfsReader } from '../procfs-reader.ts';
import type { Attempt, Attribution, Rule, RuleQuery } from './rule.ts';

export class ProcfsRule implements Rule {
  readonly name = 'procfs';
  private readonly procfs: ProcfsReader | undefined;
  private readonly lifetimeSlackMs: number;

  constructor(procfs: ProcfsReader | undefined, lifetimeSlackMs: number) {
    this.procfs = procfs;
    this.lifetimeSlackMs = lifetimeSlackMs;
  }

  attribute(q: RuleQuery, attempt: Attempt): Attribution | undefined {
    if (q.pid === undefined || !q.local || !this.procfs) return undefined;
    const live = liveProcess(this.procfs, this.lifetimeSlackMs, q.pid, q.timeMs, q.record);
    if (live === 'reused' || live === undefined) {
      attempt.failure ??= AttributionReason.PROCESS_GONE;
      return undefined;
    }
    fillFromProcfs(q.record, live);
    return { method: AttributionMethod.PROCFS, confidence: ATTRIBUTION_CONFIDENCE.PROCFS, live };
  }
}
