/**
 * Interim updates' way back: a stage that makes interim updates of open windows (the HTTP-flow aggregator) notes
 * where each came from, and a stage that consumes them (the ratio detector) can tell that source that the window's
 * next updates can fire nothing, so that they are not made: all the rest of them, or those before an event time. In
 * one process only: a record that crossed a process boundary (OTLP) or was copied has no source, and declining it
 * does nothing.
 *
 * A stage between them that knows until when its answer for the update's process holds (the novelty filter, of its
 * learning period) notes that beside the update too, for the consumer to decline until then.
 *
 * The notes are kept beside the record (weak maps), not on it: nothing is exported, and a record that is let go takes
 * its notes with it.
 */
import type { ReadonlyPipelineRecord } from '@egressguard/schema';

/**
 * What made an interim update: it stops making updates of the same key and window when declined, and says whether
 * it was still making them (updates made before the decline reached it may be declined again).
 */
export interface InterimSource {
  /**
   * No more updates of this window, or (`untilMs` finite) none whose window's last connection is before `untilMs`
   * (event time, ms): the updates made once a connection at or past it is added are made again.
   */
  declineInterims(untilMs: number): boolean;
}

const sources = new WeakMap<ReadonlyPipelineRecord, InterimSource>();
const learningEnds = new WeakMap<ReadonlyPipelineRecord, number>();

/** Notes that `record`, an interim update, was made by `source`. */
export function noteInterimSource(record: ReadonlyPipelineRecord, source: InterimSource): void {
  sources.set(record, source);
}

/**
 * Tells the source of `record` (an interim update) that its window's updates are of no use: all the rest of them
 * (`untilMs` infinite, the default) or those whose window's last connection is before `untilMs`. `true` when that
 * stopped updates still being made, `false` when they were already declined or the record has no source (made in
 * another process, or copied).
 */
export function declineInterims(record: ReadonlyPipelineRecord, untilMs = Number.POSITIVE_INFINITY): boolean {
  return sources.get(record)?.declineInterims(untilMs) ?? false;
}

/**
 * Notes, beside a flow record the noting stage marked as within the learning period, the event time (ms) the period
 * ends, when the rest of that stage's answer for the record's process (its custom verdict, its allowlisting) cannot
 * change for the updates of the same window before then. Only the stage that wrote the record's answer notes it.
 */
export function noteLearningEnd(record: ReadonlyPipelineRecord, endMs: number): void {
  learningEnds.set(record, endMs);
}

/** The learning period's end noted beside `record` ({@link noteLearningEnd}), or `undefined`. */
export function learningEndOf(record: ReadonlyPipelineRecord): number | undefined {
  return learningEnds.get(record);
}
