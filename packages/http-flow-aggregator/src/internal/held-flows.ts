/**
 * The flows the aggregator holds, per host and window group: creating hosts, groups and flows under the `max_keys`
 * bound (one overflow flow per host and window past it), forgetting idle hosts, and moving a host's groups on as its
 * watermark passes their end (emitted) and their lateness bound (final, forgotten).
 */
import { EventTimeWatermark } from '@egressguard/core';
import type { PipelineRecord } from '@egressguard/schema';

import { ConnectionLog, LogFormat } from './connection-log.ts';
import type { FlowBounds } from './flow-aggregate.ts';
import { carriedAttributes, overflowKey, type KeyOptions } from './flow-key.ts';
import { flowRecord } from './flow-record.ts';
import { Flow, type HostState, type WindowGroup } from './flow-state.ts';

/** What the held flows need from the processor: its bounds and settings, clock and counters. */
export interface HeldFlowsOptions {
  readonly max_keys: number;
  readonly out_of_order_ms: number;
  readonly allowed_lateness_ms: number;
  readonly windowMs: number;
  readonly bounds: FlowBounds;
  readonly keyOptions: KeyOptions;
  now(): number;
  count(name: string): void;
  report(reason: string, message: string): void;
}

/** Every host's watermark and held window groups. */
export class HeldFlows {
  readonly hosts = new Map<string, HostState>();
  /** Keyed flows held (overflow flows excluded): what `max_keys` bounds. */
  keyedFlows = 0;
  overflowFlows = 0;
  private readonly options: HeldFlowsOptions;
  /** How its groups' connection logs write their entries. */
  private readonly logFormat: LogFormat;

  constructor(options: HeldFlowsOptions) {
    this.options = options;
    this.logFormat = new LogFormat(options.windowMs);
  }

  /** Forgets every host and flow. */
  clear(): void {
    this.hosts.clear();
    this.keyedFlows = 0;
    this.overflowFlows = 0;
  }

  /** The host's state, created when new (evicting idle hosts beyond the bound unless `evict` is false). */
  host(name: string, evict = true): HostState {
    let hs = this.hosts.get(name);
    if (hs) return hs;
    hs = {
      name,
      watermark: new EventTimeWatermark({
        outOfOrderMs: this.options.out_of_order_ms,
        allowedLatenessMs: this.options.allowed_lateness_ms,
      }),
      maxEventMs: Number.NEGATIVE_INFINITY,
      lastArrivalMs: this.options.now(),
      groups: new Map(),
      lastGroup: undefined,
      nextCheckMs: Number.POSITIVE_INFINITY,
    };
    this.hosts.set(name, hs);
    if (evict) this.evictIdleHosts();
    return hs;
  }

  /**
   * Hosts with no window held keep only their watermark (so a very late record is still known to be too late);
   * beyond `max_keys` hosts the oldest of those are forgotten.
   */
  private evictIdleHosts(): void {
    if (this.hosts.size <= this.options.max_keys) return;
    for (const [name, hs] of this.hosts) {
      if (this.hosts.size <= this.options.max_keys) return;
      if (hs.groups.size === 0) {
        this.hosts.delete(name);
        this.options.count('hosts_evicted');
      }
    }
  }

  /** The host's group of the window starting at `start`, created (and its checkpoint noted) when absent. */
  group(hs: HostState, start: number): WindowGroup {
    const last = hs.lastGroup;
    if (last !== undefined && last.start === start) return last;
    let group = hs.groups.get(start);
    if (!group) {
      const end = start + this.options.windowMs;
      group = {
        host: hs.name,
        start,
        end,
        due: hs.watermark.isDue(end),
        flows: new Map(),
        overflow: undefined,
        log: new ConnectionLog(this.logFormat),
      };
      hs.groups.set(start, group);
      hs.nextCheckMs = Math.min(hs.nextCheckMs, this.checkpoint(group));
    }
    hs.lastGroup = group;
    return group;
  }

  /**
   * The flow named `id` (see `flowId`) in `group` (see {@link group}): created, or the overflow flow past
   * `max_keys`.
   */
  flowFor(group: WindowGroup, id: string, record: PipelineRecord): Flow {
    const existing = group.flows.get(id);
    if (existing) return existing;
    if (this.keyedFlows < this.options.max_keys) {
      const flow = Flow.create(
        id,
        record.resource,
        record.instrumentationScope,
        carriedAttributes(record, this.options.keyOptions),
      );
      group.flows.set(id, flow);
      this.keyedFlows++;
      return flow;
    }
    if (!group.overflow) {
      group.overflow = Flow.create(overflowKey(group.host), record.resource, record.instrumentationScope, {});
      this.overflowFlows++;
      this.options.report(
        'keys_overflowed',
        `host ${group.host}, window starting ${new Date(group.start).toISOString()}: max_keys (${this.options.max_keys}) reached; new keys go to the overflow flow`,
      );
    } else {
      this.options.count('keys_overflowed');
    }
    return group.overflow;
  }

  /** The watermark value at which a group next needs attention: its end, or once due, its final time. */
  private checkpoint(group: WindowGroup): number {
    return group.due ? group.end + this.options.allowed_lateness_ms : group.end;
  }

  /** Emits the windows the host's watermark made due (and pending corrections of windows it made final). */
  advance(hs: HostState, out: PipelineRecord[]): void {
    const wm = hs.watermark;
    let next = Number.POSITIVE_INFINITY;
    for (const start of [...hs.groups.keys()].sort((a, b) => a - b)) {
      const group = hs.groups.get(start)!;
      if (!group.due && wm.isDue(group.end)) {
        group.due = true;
        this.emitChanged(group, out);
      }
      if (wm.isFinal(group.end)) {
        this.emitChanged(group, out);
        this.keyedFlows -= group.flows.size;
        if (group.overflow) this.overflowFlows--;
        hs.groups.delete(start);
        if (hs.lastGroup === group) hs.lastGroup = undefined;
        continue;
      }
      next = Math.min(next, this.checkpoint(group));
    }
    hs.nextCheckMs = next;
  }

  /** Emits the group's flows changed since their last emission. */
  emitChanged(group: WindowGroup, out: PipelineRecord[]): void {
    const bounds = this.options.bounds;
    for (const flow of group.flows.values())
      if (flow.dirty) out.push(flowRecord(flow, group, this.options.now(), bounds));
    if (group.overflow?.dirty) out.push(flowRecord(group.overflow, group, this.options.now(), bounds));
  }
}
