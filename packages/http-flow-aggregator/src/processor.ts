/**
 * The HTTP-flow aggregator: turns `egressguard.connection` records into one `egressguard.http_flow` record per key
 * (host and process identity by default) and event-time window.
 *
 * Event time and lateness: each host has its own watermark (hosts' clocks and delivery delays differ, and all state
 * is per host). A window is emitted (revision 0) when its host's watermark passes its end; a late record that
 * arrives within `allowed_lateness_ms` after that updates the window and a correction (revision 1, 2, …) carrying
 * the full updated aggregates is emitted at the end of the batch; a record whose window is final is counted as
 * `late_dropped` and reported, never silently lost. Emissions happen inside `process` as the watermark moves, on
 * the idle timer (when configured) and on flush and shutdown.
 */
import {
  BaseProcessor,
  ConfigError,
  EventTimeWatermark,
  type ProcessorContext,
  type ProcessorDescription,
  type StateSize,
} from '@egressguard/core';
import {
  AttributionAttr,
  ConnectionAttr,
  EventName,
  FlowAttr,
  HttpAttr,
  NetworkAttr,
  ProcessAttr,
  ProvenanceAttr,
  ResourceAttr,
  eventTimeMs,
  hostName,
  isEventTimeInRange,
  type PipelineRecord,
  type RecordAttributes,
} from '@egressguard/schema';

import { MAX_WINDOWS_PER_CONNECTION, type HttpFlowAggregatorConfig } from './config.ts';
import { AddressClassifier } from './internal/address-classifier.ts';
import { connectionFacts, httpEvidence, markInferred } from './internal/connection-facts.ts';
import { hash32 } from './internal/distinct-counter.ts';
import { FlowAggregate, type FlowBounds } from './internal/flow-aggregate.ts';
import { carriedAttributes, flowKey, overflowKey, type KeyOptions } from './internal/flow-key.ts';
import { flowRecord, interimRecord, wantsInterim } from './internal/flow-record.ts';
import { flowBytes, type Flow, type HostState, type WindowGroup } from './internal/flow-state.ts';
import { readState, writeState } from './internal/snapshot.ts';
import { httpFlowAggregatorState, type HttpFlowAggregatorState } from './internal/state.ts';
import { BatchTrouble } from './internal/trouble.ts';
import { WindowAssigner } from './internal/window-assigner.ts';

/** What the aggregator is, reads and writes. */
export const httpFlowAggregatorDescription: ProcessorDescription = {
  type: 'http_flow_aggregator',
  description:
    'Aggregates HTTP connections per host, process identity and event-time window into egressguard.http_flow ' +
    'records: outcomes, bytes, internal/external split, distinct destinations and beacon regularity.',
  stability: 'alpha',
  reads: {
    events: [EventName.CONNECTION],
    attributes: [
      ResourceAttr.HOST_NAME,
      ProcessAttr.EXECUTABLE_PATH,
      ProcessAttr.EXECUTABLE_NAME,
      ProcessAttr.PID,
      ProcessAttr.CONTAINER_ID,
      NetworkAttr.DESTINATION_ADDRESS,
      NetworkAttr.DESTINATION_PORT,
      NetworkAttr.PROTOCOL_NAME,
      HttpAttr.REQUEST_METHOD,
      HttpAttr.RESPONSE_STATUS_CODE,
      HttpAttr.URL_FULL,
      ConnectionAttr.OUTCOME,
      ConnectionAttr.BYTES_SENT,
      ConnectionAttr.BYTES_RECEIVED,
      ProvenanceAttr.BYTES_KIND,
      AttributionAttr.METHOD,
    ],
  },
  writes: {
    events: [EventName.HTTP_FLOW],
    attributes: [...Object.values(FlowAttr), NetworkAttr.PROTOCOL_NAME, HttpAttr.PROTOCOL_INFERRED],
  },
};

/** The aggregator. Create it through {@link httpFlowAggregatorFactory} or directly with a parsed config. */
export class HttpFlowAggregator extends BaseProcessor<HttpFlowAggregatorState> {
  private readonly config: HttpFlowAggregatorConfig;
  private readonly httpPorts: ReadonlySet<number>;
  private readonly classifier: AddressClassifier;
  private readonly assigner: WindowAssigner;
  private readonly keyOptions: KeyOptions;
  private readonly bounds: FlowBounds;
  private readonly hosts = new Map<string, HostState>();
  private readonly pendingCorrections = new Set<Flow>();
  /** Keyed flows held (overflow flows excluded): what `max_keys` bounds. */
  private keyedFlows = 0;
  private overflowFlows = 0;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(config: HttpFlowAggregatorConfig, context: ProcessorContext) {
    super(context, httpFlowAggregatorState);
    this.config = config;
    const w = config.windowing;
    const hopMs = w.type === 'hopping' ? w.hop_ms : w.window_ms;
    if (w.type === 'hopping') {
      if (hopMs > w.window_ms) {
        throw new ConfigError([
          {
            path: 'windowing.hop_ms',
            message: `must be at most window_ms (${w.window_ms}); larger hops leave gaps between windows`,
          },
        ]);
      }
      if (Math.ceil(w.window_ms / hopMs) > MAX_WINDOWS_PER_CONNECTION) {
        throw new ConfigError([
          {
            path: 'windowing.hop_ms',
            message: `window_ms / hop_ms must be at most ${MAX_WINDOWS_PER_CONNECTION} (each connection would enter ${Math.ceil(w.window_ms / hopMs)} windows)`,
          },
        ]);
      }
    }
    this.assigner = new WindowAssigner(w.window_ms, hopMs);
    this.httpPorts = new Set(config.http_ports);
    this.classifier = new AddressClassifier({
      ranges: config.internal_ranges,
      includeDefaults: config.default_internal_ranges,
    });
    this.keyOptions = {
      includeDestination: config.key.include_destination,
      attributes: config.key.attributes,
    };
    this.bounds = {
      maxExactDestinations: config.max_exact_destinations,
      maxByteSamples: config.max_byte_samples,
      maxStartTimes: config.max_start_times,
    };
    if (config.idle_flush_ms > 0) {
      this.timer = setInterval(() => this.onIdleTick(), config.idle_flush_ms);
      this.timer.unref();
    }
  }

  protected processBatch(batch: PipelineRecord[]): PipelineRecord[] {
    const out: PipelineRecord[] = [];
    const trouble = new BatchTrouble();
    for (const record of batch) {
      if (record.eventName !== EventName.CONNECTION) {
        out.push(record);
        continue;
      }
      try {
        this.processConnection(record, out, trouble);
      } catch (cause) {
        this.report(
          'malformed_record',
          'a connection record could not be aggregated and passed on as it was',
          cause,
        );
        out.push(record);
      }
    }
    this.emitCorrections(out);
    trouble.reportTo(
      (reason, message) => this.report(reason, message),
      (reason, n) => this.stats.count(reason, n),
    );
    return out;
  }

  private processConnection(record: PipelineRecord, out: PipelineRecord[], trouble: BatchTrouble): void {
    const http = httpEvidence(record, this.httpPorts);
    if (http === 'none') {
      this.stats.count('not_http');
      out.push(record);
      return;
    }
    if (http === 'inferred') markInferred(record);
    const host = hostName(record);
    const timeMs = eventTimeMs(record);
    if (host === undefined || timeMs === undefined) {
      trouble.note(host === undefined ? 'missing_host' : 'missing_event_time');
      out.push(record);
      return;
    }
    if (!isEventTimeInRange(timeMs)) {
      // A corrupt or misread time (2^64 ns, negative, NaN) would drive the watermark to the end of time or make the
      // window arithmetic meaningless; such a record is passed on, never aggregated.
      trouble.note('event_time_out_of_range');
      out.push(record);
      return;
    }
    const hs = this.hostState(host);
    const now = this.context.now();
    hs.lastArrivalMs = now;
    const skew = this.config.max_clock_skew_ms;
    if (skew > 0 && timeMs > now + skew) {
      // A clock far ahead: letting this time drive the watermark would finalise every window up to it, and every
      // later, correctly dated record of the host would be dropped as too late.
      trouble.note('future_event_time');
    } else {
      if (timeMs > hs.maxEventMs) hs.maxEventMs = timeMs;
      hs.watermark.observe(timeMs);
      if (hs.watermark.value >= hs.nextCheckMs) this.advance(hs, out);
    }

    const facts = connectionFacts(record, timeMs, http, this.classifier);
    let key: string | undefined;
    let added = 0;
    let interims: Flow[] | undefined;
    for (const start of this.assigner.startsFor(timeMs)) {
      const end = start + this.assigner.windowMs;
      if (hs.watermark.isFinal(end)) {
        trouble.note('late_dropped');
        continue;
      }
      key ??= flowKey(record, host, facts.destination, this.keyOptions);
      const flow = this.flowFor(hs, start, key, record);
      flow.agg.add(facts);
      flow.dirty = true;
      if (flow.group.due) this.pendingCorrections.add(flow);
      else if (wantsInterim(flow, this.config.interim)) (interims ??= []).push(flow);
      added++;
    }
    if (this.config.connections === 'drop') this.stats.drop(added > 0 ? 'aggregated' : 'too_late');
    else out.push(record);
    // After the connection: a reader of the output sees the connection, then the window it changed.
    if (interims) for (const flow of interims) out.push(this.emitInterim(flow, timeMs));
  }

  private hostState(name: string, evict = true): HostState {
    let hs = this.hosts.get(name);
    if (hs) return hs;
    hs = {
      name,
      watermark: new EventTimeWatermark({
        outOfOrderMs: this.config.out_of_order_ms,
        allowedLatenessMs: this.config.allowed_lateness_ms,
      }),
      maxEventMs: Number.NEGATIVE_INFINITY,
      lastArrivalMs: this.context.now(),
      groups: new Map(),
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
    if (this.hosts.size <= this.config.max_keys) return;
    for (const [name, hs] of this.hosts) {
      if (this.hosts.size <= this.config.max_keys) return;
      if (hs.groups.size === 0) {
        this.hosts.delete(name);
        this.stats.count('hosts_evicted');
      }
    }
  }

  /** The host's group of the window starting at `start`, created (and its checkpoint noted) when absent. */
  private groupFor(hs: HostState, start: number): WindowGroup {
    let group = hs.groups.get(start);
    if (!group) {
      const end = start + this.assigner.windowMs;
      group = { start, end, due: hs.watermark.isDue(end), flows: new Map(), overflow: undefined };
      hs.groups.set(start, group);
      hs.nextCheckMs = Math.min(hs.nextCheckMs, this.checkpoint(group));
    }
    return group;
  }

  private flowFor(hs: HostState, start: number, key: string, record: PipelineRecord): Flow {
    const group = this.groupFor(hs, start);
    const existing = group.flows.get(key);
    if (existing) return existing;
    if (this.keyedFlows < this.config.max_keys) {
      const flow = this.newFlow(group, key, false, record, carriedAttributes(record, this.keyOptions));
      group.flows.set(key, flow);
      this.keyedFlows++;
      return flow;
    }
    if (!group.overflow) {
      group.overflow = this.newFlow(group, overflowKey(hs.name), true, record, {});
      this.overflowFlows++;
      this.report(
        'keys_overflowed',
        `host ${hs.name}, window starting ${new Date(start).toISOString()}: max_keys (${this.config.max_keys}) reached; new keys go to the overflow flow`,
      );
    } else {
      this.stats.count('keys_overflowed');
    }
    return group.overflow;
  }

  private newFlow(
    group: WindowGroup,
    key: string,
    overflow: boolean,
    record: PipelineRecord,
    carried: RecordAttributes,
  ): Flow {
    return {
      key,
      overflow,
      group,
      revision: -1,
      interims: 0,
      dirty: true,
      resource: record.resource,
      scope: record.instrumentationScope,
      carried,
      agg: new FlowAggregate(this.bounds, hash32(`${key}\u0000${group.start}`)),
    };
  }

  /** The watermark value at which a group next needs attention: its end, or once due, its final time. */
  private checkpoint(group: WindowGroup): number {
    return group.due ? group.end + this.config.allowed_lateness_ms : group.end;
  }

  /** Emits the windows the host's watermark made due (and pending corrections of windows it made final). */
  private advance(hs: HostState, out: PipelineRecord[]): void {
    const wm = hs.watermark;
    let next = Number.POSITIVE_INFINITY;
    for (const start of [...hs.groups.keys()].sort((a, b) => a - b)) {
      const group = hs.groups.get(start)!;
      if (!group.due && wm.isDue(group.end)) {
        group.due = true;
        this.emitDirty(group, out);
      }
      if (wm.isFinal(group.end)) {
        this.emitDirty(group, out);
        this.keyedFlows -= group.flows.size;
        if (group.overflow) this.overflowFlows--;
        hs.groups.delete(start);
        continue;
      }
      next = Math.min(next, this.checkpoint(group));
    }
    hs.nextCheckMs = next;
  }

  private emitDirty(group: WindowGroup, out: PipelineRecord[]): void {
    for (const flow of group.flows.values()) if (flow.dirty) out.push(this.emit(flow));
    if (group.overflow?.dirty) out.push(this.emit(group.overflow));
  }

  private emitCorrections(out: PipelineRecord[]): void {
    for (const flow of this.pendingCorrections) if (flow.dirty) out.push(this.emit(flow));
    this.pendingCorrections.clear();
  }

  private emit(flow: Flow): PipelineRecord {
    return flowRecord(flow, this.context.now());
  }

  private emitInterim(flow: Flow, triggerMs: number): PipelineRecord {
    this.stats.count('interim_updates');
    return interimRecord(flow, triggerMs, this.context.now());
  }

  /**
   * Idle timer: a host that sent nothing for `idle_flush_ms` of processing time has its watermark moved on by the
   * processing time since its last record, as if its event clock kept running, so its windows still close.
   */
  private onIdleTick(): void {
    if (this.isShutdown) return;
    try {
      const now = this.context.now();
      const out: PipelineRecord[] = [];
      for (const hs of this.hosts.values()) {
        const idleMs = now - hs.lastArrivalMs;
        if (hs.groups.size === 0 || idleMs < this.config.idle_flush_ms || !Number.isFinite(hs.maxEventMs))
          continue;
        hs.watermark.observe(hs.maxEventMs + idleMs);
        if (hs.watermark.value >= hs.nextCheckMs) this.advance(hs, out);
      }
      this.emitLater(out);
    } catch (cause) {
      this.report('idle_flush_failed', 'the idle timer could not close windows', cause);
    }
  }

  protected override flushState(): PipelineRecord[] {
    const out: PipelineRecord[] = [];
    for (const hs of this.hosts.values()) {
      for (const start of [...hs.groups.keys()].sort((a, b) => a - b))
        this.emitDirty(hs.groups.get(start)!, out);
    }
    this.pendingCorrections.clear();
    return out;
  }

  protected override close(): void {
    if (this.timer) clearInterval(this.timer);
  }

  protected override stateSize(): StateSize {
    let bytes = 0;
    for (const hs of this.hosts.values()) {
      bytes += 160 + 2 * hs.name.length;
      for (const group of hs.groups.values()) {
        bytes += 96;
        for (const flow of group.flows.values()) bytes += flowBytes(flow);
        if (group.overflow) bytes += flowBytes(group.overflow);
      }
    }
    return { entries: this.keyedFlows + this.overflowFlows, bytes, maxEntries: this.config.max_keys };
  }

  protected override snapshotState(): HttpFlowAggregatorState {
    return writeState(this.hosts.values(), this.assigner);
  }

  protected override restoreState(state: HttpFlowAggregatorState): void {
    this.hosts.clear();
    this.pendingCorrections.clear();
    this.keyedFlows = 0;
    this.overflowFlows = 0;
    const flows = readState(state, this.context.id, this.assigner, this.bounds, {
      // No eviction while restoring: the flows that keep these hosts come after them in the snapshot.
      host: (name) => this.hostState(name, false),
      group: (hs, start) => this.groupFor(hs, start),
    });
    for (const flow of flows) {
      if (flow.overflow) this.overflowFlows++;
      else this.keyedFlows++;
      if (flow.group.due && flow.dirty) this.pendingCorrections.add(flow);
    }
  }
}
