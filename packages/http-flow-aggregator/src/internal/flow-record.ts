/**
 * The `egressguard.http_flow` records built from a held flow: the window record (a revision of the window) and the
 * interim update of an open window.
 */
import {
  EventName,
  FlowAttr,
  PipelineRecord,
  attributeDictionaryMaker,
  msToHrTime,
  type RecordAttributes,
} from '@egressguard/schema';

import type { FlowBounds } from './flow-aggregate.ts';
import type { Flow, WindowGroup } from './flow-state.ts';

/** Whether a connection just added to an open window's keyed flow makes an interim update of it. */
export function wantsInterim(
  flow: Flow,
  group: WindowGroup,
  interim: { readonly enabled: boolean; readonly min_connections: number; readonly max_per_window: number },
): boolean {
  return (
    interim.enabled &&
    flow.connections >= interim.min_connections &&
    group.overflow !== flow &&
    flow.mayUpdate(interim.max_per_window)
  );
}

/** The window record of the next revision of a flow of `group`; the flow is then clean. */
export function flowRecord(
  flow: Flow,
  group: WindowGroup,
  nowMs: number,
  bounds: FlowBounds,
): PipelineRecord {
  flow.revision++;
  flow.dirty = false;
  const attributes = windowAttributes(flow, group);
  attributes[FlowAttr.REVISION] = flow.revision;
  attributes[FlowAttr.OVERFLOW] = group.overflow === flow;
  return httpFlow(flow, group, nowMs, attributes, bounds, false);
}

/**
 * An interim update of an open window: its aggregates so far, marked, with the time of the connection that made
 * it. It changes nothing of the window's own emission (revision, dirty): the window record still follows when the
 * watermark passes its end. No revision attribute: an interim is not a version of the window record.
 */
export function interimRecord(
  flow: Flow,
  group: WindowGroup,
  triggerMs: number,
  nowMs: number,
  bounds: FlowBounds,
): PipelineRecord {
  flow.interims++;
  const attributes = windowAttributes(flow, group);
  attributes[FlowAttr.OVERFLOW] = false;
  attributes[FlowAttr.INTERIM] = true;
  attributes[FlowAttr.INTERIM_TRIGGER] = Math.floor(triggerMs);
  return httpFlow(flow, group, nowMs, attributes, bounds, true);
}

/**
 * Flow records' attribute dictionaries: about forty attributes, and ten more from the novelty filter, written with
 * computed keys (see `attributeDictionaryMaker`; a spread of the carried attributes turned into a hash dictionary),
 * with room inside for all of them: else the novelty filter's would go to an array of their own, copied as it grows.
 */
const newFlowAttributes = attributeDictionaryMaker(64);

/**
 * The attributes every flow record begins with: the carried ones, then the key and the window. One object that the
 * marks and the aggregates are written into, in this order; a name written twice keeps its first place and takes the
 * last value, as spreading the parts into one object would.
 */
function windowAttributes(flow: Flow, group: WindowGroup): RecordAttributes {
  const attributes = newFlowAttributes(flow.carried);
  attributes[FlowAttr.KEY] = flow.keyIn(group);
  attributes[FlowAttr.WINDOW_START] = group.start;
  attributes[FlowAttr.WINDOW_END] = group.end;
  return attributes;
}

/**
 * A flow record of the window of `group`, dated at its start, observed when emitted: `attributes`, then the
 * aggregates (kept built by a flow that logs its connections when `keepAggregate`, see `Flow.writeAggregates`).
 */
function httpFlow(
  flow: Flow,
  group: WindowGroup,
  nowMs: number,
  attributes: RecordAttributes,
  bounds: FlowBounds,
  keepAggregate: boolean,
): PipelineRecord {
  flow.writeAggregates(attributes, bounds, keepAggregate, group);
  return new PipelineRecord({
    hrTime: msToHrTime(group.start),
    hrTimeObserved: msToHrTime(nowMs),
    eventName: EventName.HTTP_FLOW,
    attributes,
    resource: flow.resource,
    instrumentationScope: flow.scope,
  });
}
