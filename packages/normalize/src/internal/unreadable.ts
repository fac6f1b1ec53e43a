/**
 * `egressguard.unreadable_input` records: the input lines a reader or the `normalize` processor could not read,
 * counted per batch, host (the stream's resource) and source format, so that the blind-spot report downstream sees
 * them as records. One record for many lines, never one per line.
 */
import {
  EventName,
  PipelineRecord,
  ProvenanceAttr,
  UnreadableInputAttr,
  msToHrTime,
  type RecordResource,
} from '@egressguard/schema';

import type { SensorFormat } from '../format.ts';
import { NORMALIZE_SCOPE } from './record-builder.ts';

/** The source format unreadable lines of `format` are counted under: the one its records carry first. */
export function unreadableSourceFormat(format: SensorFormat | undefined): string | undefined {
  return format === undefined ? undefined : (format.sourceFormats[0] ?? format.name);
}

/** Counts unreadable lines of one batch by resource and source format, then makes their records. */
export class UnreadableTally {
  private readonly counts = new Map<
    string,
    { resource: RecordResource; sourceFormat: string | undefined; count: number }
  >();

  /** Counts `n` unreadable lines of the stream of `resource`, read as `sourceFormat` (`undefined`: none known). */
  add(resource: RecordResource, sourceFormat: string | undefined, n = 1): void {
    const key = `${sourceFormat ?? ''}\u0000${JSON.stringify(resource.attributes)}`;
    const entry = this.counts.get(key);
    if (entry) entry.count += n;
    else this.counts.set(key, { resource, sourceFormat, count: n });
  }

  /** One record per resource and source format counted since the last call, observed at `nowMs`; then empty. */
  take(nowMs: number): PipelineRecord[] {
    const out: PipelineRecord[] = [];
    for (const { resource, sourceFormat, count } of this.counts.values()) {
      out.push(
        new PipelineRecord({
          hrTimeObserved: msToHrTime(nowMs),
          eventName: EventName.UNREADABLE_INPUT,
          attributes: {
            ...(sourceFormat === undefined ? {} : { [ProvenanceAttr.SOURCE_FORMAT]: sourceFormat }),
            [UnreadableInputAttr.COUNT]: count,
          },
          resource,
          instrumentationScope: NORMALIZE_SCOPE,
        }),
      );
    }
    this.counts.clear();
    return out;
  }
}
