/**
 * The held state to and from its snapshot ({@link HttpFlowAggregatorState}): resources and scopes written once and
 * referred to by index, every flow with its host, window start and aggregates. Reading checks what the schema cannot:
 * the window shape it was written with, that each flow's host, resource and scope exist, and that its key is a key.
 */
import { attributesToState } from '@egressguard/core';
import { createResource, type RecordResource, type RecordScope } from '@egressguard/schema';

import { FlowAggregate, type FlowBounds } from './flow-aggregate.ts';
import { flowIdOfKey, isKeyText } from './flow-key.ts';
import { Flow, type HostState, type WindowGroup } from './flow-state.ts';
import type { FlowState, HttpFlowAggregatorState } from './state.ts';
import type { WindowAssigner } from './window-assigner.ts';

/** The snapshot of the given hosts and their flows. */
export function writeState(
  hosts: Iterable<HostState>,
  assigner: WindowAssigner,
  bounds: FlowBounds,
): HttpFlowAggregatorState {
  const resources: RecordResource[] = [];
  const scopes: RecordScope[] = [];
  const indexOf = <T>(list: T[], item: T) => {
    const i = list.indexOf(item);
    return i === -1 ? list.push(item) - 1 : i;
  };
  const hostStates: HttpFlowAggregatorState['hosts'] = [];
  const flows: FlowState[] = [];
  for (const hs of hosts) {
    hostStates.push({
      name: hs.name,
      watermarkMaxMs: hs.watermark.toJSON().maxEventMs,
      maxEventMs: Number.isFinite(hs.maxEventMs) ? hs.maxEventMs : null,
      lastArrivalMs: hs.lastArrivalMs,
    });
    for (const group of hs.groups.values()) {
      const all = group.overflow ? [...group.flows.values(), group.overflow] : [...group.flows.values()];
      for (const flow of all) {
        flows.push({
          host: hs.name,
          start: group.start,
          key: flow.keyIn(group),
          overflow: group.overflow === flow,
          revision: flow.revision,
          interims: flow.interims,
          dirty: flow.dirty,
          resource: indexOf(resources, flow.resource),
          scope: indexOf(scopes, flow.scope),
          // As every snapshot carries attributes: a 64-bit integer (bigint) as its decimal string, bytes as base64.
          carried: attributesToState(flow.carried),
          agg: flow.aggregateJSON(bounds, group),
        });
      }
    }
  }
  return {
    windowMs: assigner.windowMs,
    hopMs: assigner.hopMs,
    hosts: hostStates,
    resources: resources.map((r) => ({
      attributes: attributesToState(r.attributes),
      ...(r.schemaUrl ? { schemaUrl: r.schemaUrl } : {}),
    })),
    scopes: scopes.map((s) => ({ ...s }) as HttpFlowAggregatorState['scopes'][number]),
    flows,
  };
}

/** Where restored hosts and flows go: the processor's own host and group creation. */
export interface RestoreTarget {
  /** A new host state (no eviction while restoring). */
  host(name: string): HostState;
  /** The host's group of the window starting at `start`, created when absent. */
  group(hs: HostState, start: number): WindowGroup;
}

/**
 * Rebuilds the hosts (through `target`) and the flows of a validated snapshot; returns the flows, each already in
 * the group returned with it. Throws, naming `owner`, on a snapshot of another window shape or a flow referring to
 * nothing.
 */
export function readState(
  state: HttpFlowAggregatorState,
  owner: string,
  assigner: WindowAssigner,
  bounds: FlowBounds,
  target: RestoreTarget,
): { readonly flow: Flow; readonly group: WindowGroup }[] {
  const where = `${owner}: cannot restore snapshot`;
  if (state.windowMs !== assigner.windowMs || state.hopMs !== assigner.hopMs) {
    throw new Error(
      `${where}: it was written with windows of ${state.windowMs} ms every ${state.hopMs} ms, this aggregator uses ${assigner.windowMs} ms every ${assigner.hopMs} ms`,
    );
  }
  const resources = state.resources.map((r) => createResource(r.attributes, r.schemaUrl));
  const hosts = new Map<string, HostState>();
  for (const h of state.hosts) {
    const hs = target.host(h.name);
    hs.watermark.restore({ maxEventMs: h.watermarkMaxMs });
    hs.maxEventMs = h.maxEventMs ?? Number.NEGATIVE_INFINITY;
    hs.lastArrivalMs = h.lastArrivalMs;
    hosts.set(h.name, hs);
  }
  const flows: { flow: Flow; group: WindowGroup }[] = [];
  for (const f of state.flows) {
    const hs = hosts.get(f.host);
    const resource = resources[f.resource];
    const scope = state.scopes[f.scope] as RecordScope | undefined;
    if (!hs || !resource || !scope)
      throw new Error(`${where}: flow ${f.key} refers to an unknown host, resource or scope`);
    // Every key this aggregator writes is JSON text; a flow names its key by it, or by the identity in it.
    if (!isKeyText(f.key)) throw new Error(`${where}: flow ${f.key} has a key that is not a key's JSON text`);
    const group = target.group(hs, f.start);
    const id = f.overflow ? f.key : flowIdOfKey(f.key, f.host);
    const flow = Flow.restored(id, resource, scope, f.carried, FlowAggregate.fromJSON(f.agg, bounds));
    flow.revision = f.revision;
    flow.interims = f.interims ?? 0;
    flow.dirty = f.dirty;
    if (f.overflow) group.overflow = flow;
    else group.flows.set(id, flow);
    flows.push({ flow, group });
  }
  return flows;
}
