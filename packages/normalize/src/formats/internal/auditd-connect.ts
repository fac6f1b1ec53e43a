/**
 * What the `exit=` of an auditd connect() record says: the outcome and, when the result proves a stream socket, the
 * transport; and whether the record repeats a connect() already recorded (EALREADY, EISCONN, or a connect() that
 * returns 0 on a socket whose earlier connect() returned EINPROGRESS).
 */
import { Outcome, type OutcomeValue } from '@egressguard/schema';

import type { Tally } from '../../internal/tally.ts';

// errno values (asm-generic/errno.h, the same on x86_64 and aarch64), negated as auditd writes `exit=`.
const EINPROGRESS = -115;
/** How many EINPROGRESS attempts are remembered to recognise their completing second connect(). */
const MAX_IN_PROGRESS = 4096;
/** How long after EINPROGRESS a successful connect() on the same socket is taken as its completion. */
const IN_PROGRESS_COMPLETION_MS = 120_000;
const EALREADY = -114;
const EISCONN = -106;
const ECONNREFUSED = -111;
const ETIMEDOUT = -110;
const EINTR = -4;

/** Whether `exit` is a second connect() on a socket whose first attempt was already recorded. */
export function isRepeatedConnectExit(exit: number): boolean {
  return exit === EALREADY || exit === EISCONN;
}

/**
 * The outcome of a connect() by its `exit`: 0, EINTR and EINPROGRESS are `unknown` (the attempt started; auditd
 * never sees whether it was answered), other errors `failed`. `tcp` only when the result proves a stream socket
 * (EINPROGRESS, ECONNREFUSED and ETIMEDOUT happen at connect() only on TCP).
 */
export function connectResult(exit: number): {
  readonly outcome: OutcomeValue;
  readonly transport: string | undefined;
} {
  if (exit === 0 || exit === EINTR || !Number.isFinite(exit))
    return { outcome: Outcome.UNKNOWN, transport: undefined };
  if (exit === EINPROGRESS) return { outcome: Outcome.UNKNOWN, transport: 'tcp' };
  return {
    outcome: Outcome.FAILED,
    transport: exit === ECONNREFUSED || exit === ETIMEDOUT ? 'tcp' : undefined,
  };
}

/**
 * Connect attempts that returned EINPROGRESS, by node, pid, fd and destination, with their time; bounded (the oldest
 * forgotten past {@link MAX_IN_PROGRESS}, counted as `in_progress_evicted`). A non-blocking connect returns
 * EINPROGRESS; some runtimes (Perl's IO::Socket with a timeout) then call connect() again on the same socket, which
 * returns 0 once the handshake is done. That is the same connection.
 */
export class InProgressConnects {
  private readonly attempts = new Map<string, number>();
  private readonly tally: Tally;

  constructor(tally: Tally) {
    this.tally = tally;
  }

  /** Notes the attempt; true when it is the completing connect() of an attempt already recorded. */
  isCompletion(attempt: string, exit: number, timeMs: number): boolean {
    if (exit === EINPROGRESS) {
      this.attempts.delete(attempt);
      this.attempts.set(attempt, timeMs);
      if (this.attempts.size > MAX_IN_PROGRESS) {
        this.attempts.delete(this.attempts.keys().next().value!);
        this.tally.add('in_progress_evicted');
      }
      return false;
    }
    if (exit !== 0) return false;
    const started = this.attempts.get(attempt);
    if (started === undefined || timeMs - started > IN_PROGRESS_COMPLETION_MS) return false;
    this.attempts.delete(attempt);
    return true;
  }
}
