/**
 * The `egressguard.http_flow` records built from a held flow: the window record (a revision of the window) and the
 * interim update of an open window.
 */
import { EventName, FlowAttr, PipelineRecord, msToHrTime, type RecordAttributes } from '@egressguard/schema';

import type { Flow } from './flow-state.ts';

/** Whether a connection just added to an open window's keyed flow makes an interim update of it. */
export function wantsInterim(
  flow: Flow,
  interim: { readonly enabled: boolean; readonly min_connections: number; readonly max_per_window: number },
): boolean {
  return (
    interim.enabled &&
    !flow.overflow &&
    flow.agg.connections >= interim.min_connections &&
    flow.interims < interim.max_per_window
  );
}

/** The window record of a flow's next revision; the flow is then clean. */
export function flowRecord(flow: Flow, nowMs: number): PipelineRecord {
  flow.revision++;
  flow.dirty = false;
  return httpFlow(flow, nowMs, { [FlowAttr.REVISION]: flow.revision, [FlowAttr.OVERFLOW]: flow.overflow });
}

/**
 * An interim update of an open window: its aggregates so far, marked, with the time of the connection that made
 * it. It changes nothing of the window's own emission (revision, dirty): the window record still follows when the
 * watermark passes its end. No revision attribute: an interim is not a version of the window record.
 */
export function interimRecord(flow: Flow, triggerMs: number, nowMs: number): PipelineRecord {
  flow.interims++;
  return httpFlow(flow, nowMs, {
    [FlowAttr.OVERFLOW]: false,
    [FlowAttr.INTERIM]: true,
    [FlowAttr.INTERIM_TRIGGER]: Math.floor(triggerMs),
  });
}

/** A flow record of the window: dated at its start, observed when emitted, with `marks` before the aggregates. */
function httpFlow(flow: Flow, nowMs: number, marks: RecordAttributes): PipelineRecord {
  const { start, end } = flow.group;
  return new PipelineRecord({
    hrTime: msToHrTime(start),
    hrTimeObserved: msToHrTime(nowMs),
    eventName: EventName.HTTP_FLOW,
    attributes: {
      ...flow.carried,
      [FlowAttr.KEY]: flow.key,
      [FlowAttr.WINDOW_START]: start,
      [FlowAttr.WINDOW_END]: end,
      ...marks,
      ...flow.agg.attributes(),
    },
    resource: flow.resource,
    instrumentationScope: flow.scope,
  });
}
