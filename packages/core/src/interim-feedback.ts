/**
 * Interim updates' way back: a stage that makes interim updates of open windows (the HTTP-flow aggregator) notes
 * where each came from, and a stage that consumes them (the ratio detector) can tell that source that the rest of the
 * window's updates can fire nothing, so that they are not made. In one process only: a record that crossed a process
 * boundary (OTLP) or was copied has no source, and declining it does nothing.
 *
 * The note is kept beside the record (a weak map), not on it: nothing is exported, and a record that is let go takes
 * its note with it.
 */
import type { ReadonlyPipelineRecord } from '@egressguard/schema';

/**
 * What made an interim update: it stops making updates of the same key and window when declined, and says whether
 * it was still making them (updates made before the decline reached it may be declined again).
 */
export interface InterimSource {
  declineInterims(): boolean;
}

const sources = new WeakMap<ReadonlyPipelineRecord, InterimSource>();

/** Notes that `record`, an interim update, was made by `source`. */
export function noteInterimSource(record: ReadonlyPipelineRecord, source: InterimSource): void {
  sources.set(record, source);
}

/**
 * Tells the source of `record` (an interim update) that the rest of its window's updates are of no use; `true` when
 * that stopped updates still being made, `false` when they were already declined or the record has no source (made
 * in another process, or copied).
 */
export function declineInterims(record: ReadonlyPipelineRecord): boolean {
  return sources.get(record)?.declineInterims() ?? false;
}
