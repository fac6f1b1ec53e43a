/**
 * Per-record trouble of a batch (no host, no or impossible event time, a clock far ahead, too late): counted per
 * reason while the batch runs and reported once per reason at its end, every record counted.
 */
import { ResourceAttr } from '@egressguard/schema';

/** Why a connection record was passed on without aggregation, or aggregated without moving the watermark. */
export type TroubleReason =
  'missing_host' | 'missing_event_time' | 'event_time_out_of_range' | 'future_event_time' | 'late_dropped';

const TROUBLE_TEXT: Readonly<Record<TroubleReason, string>> = {
  missing_host: `no resource attribute ${ResourceAttr.HOST_NAME}: passed on, not aggregated`,
  missing_event_time: 'neither time nor observed time is set: passed on, not aggregated',
  event_time_out_of_range:
    'event time outside 1970-01-01..2200-01-01 or not a number: passed on, not aggregated',
  future_event_time:
    'dated more than max_clock_skew_ms ahead of processing time: aggregated, but not moving the watermark',
  late_dropped:
    'arrived after their window was final (watermark past window end plus allowed_lateness_ms): not aggregated',
};

/** The trouble of one batch, by reason. */
export class BatchTrouble {
  private readonly counts = new Map<TroubleReason, number>();

  note(reason: TroubleReason): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1);
  }

  /**
   * Reports each reason once (`report` counts that one record) and counts the batch's other records of it.
   */
  reportTo(
    report: (reason: string, message: string) => void,
    count: (reason: string, n: number) => void,
  ): void {
    for (const [reason, n] of this.counts) {
      report(reason, `${n} connection record(s) in this batch: ${TROUBLE_TEXT[reason]}`);
      if (n > 1) count(reason, n - 1);
    }
  }
}
