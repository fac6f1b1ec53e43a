/**
 * The one interface every attribution rule implements. The processor tries the configured rules in order on each
 * connection record; the first that attributes it wins. A rule that does not attribute may leave why in the
 * attempt (a failure reason, a candidate count, or that a partner or an exec may still arrive).
 */
import type { PipelineRecord } from '@egressguard/schema';

import type { AttributionRule } from '../../config.ts';
import type { Reason } from '../attribution.ts';
import type { ProcfsProcess } from '../procfs-reader.ts';

/** The connection record a rule is asked about, with what the processor already derived from it. */
export interface RuleQuery {
  readonly record: PipelineRecord;
  readonly host: string;
  /** The record's event time (or its host's latest one when it had none). */
  readonly timeMs: number;
  /** The record's pid when it names a process. */
  readonly pid: number | undefined;
  /** Whether the record is of this host and recent enough for /proc to be about it. */
  readonly local: boolean;
}

/** How the rules left a record that none attributed (so far). */
export interface Attempt {
  failure: Reason | undefined;
  candidates: number | undefined;
  /** The join found nothing yet and a partner may still arrive. */
  joinPending: boolean;
  /** The table knows nothing of the record's pid yet and its exec may still arrive. */
  tablePending: boolean;
}

/** A rule's success: the process's attributes are already copied into the record. */
export interface Attribution {
  readonly method: string;
  readonly confidence: number;
  /** The live process read from /proc, when the rule read one (for the kernel-thread mark and hashing). */
  readonly live?: ProcfsProcess;
}

/** One attribution method. */
export interface Rule {
  /** The configured rule it implements, or `event` for the sensor's own naming, always tried first. */
  readonly name: AttributionRule | 'event';
  /** Attributes the record, or returns undefined after noting in `attempt` why not. */
  attribute(query: RuleQuery, attempt: Attempt): Attribution | undefined;
}

/** A fresh attempt: nothing tried yet. */
export function newAttempt(failure?: Reason, candidates?: number): Attempt {
  return { failure, candidates, joinPending: false, tablePending: false };
}

/** `attempt` made fresh again, as {@link newAttempt} makes one: for an attempt reused from record to record. */
export function resetAttempt(attempt: Attempt): Attempt {
  attempt.failure = undefined;
  attempt.candidates = undefined;
  attempt.joinPending = false;
  attempt.tablePending = false;
  return attempt;
}
