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
  noteInterimSource,
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
} from '@egressguard/schema';

import { MAX_WINDOWS_PER_CONNECTION, type HttpFlowAggregatorConfig } from './config.ts';
import { AddressClassifier } from './internal/address-classifier.ts';
import { ConnectionFacts, httpEvidence, markInferred } from './internal/connection-facts.ts';
import type { FlowBounds } from './internal/flow-aggregate.ts';
import { flowId, type KeyOptions } from './internal/flow-key.ts';
import { flowRecord, interimRecord, wantsInterim } from './internal/flow-record.ts';
import type { Flow, WindowGroup } from './internal/flow-state.ts';
import { HeldFlows } from './internal/held-flows.ts';
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

/** Approximate bytes of a host's state beyond its name: the object, its watermark, its map of groups. */
const HOST_BYTES = 400;
/** Approximate bytes of a window group with an empty map of flows. */
const GROUP_BYTES = 300;

/** The aggregator. Create it through {@link httpFlowAggregatorFactory} or directly with a parsed config. */
export class HttpFlowAggregator extends BaseProcessor<HttpFlowAggregatorState> {
  private readonly config: HttpFlowAggregatorConfig;
  private readonly httpPorts: ReadonlySet<number>;
  private readonly classifier: AddressClassifier;
  private readonly assigner: WindowAssigner;
  private readonly keyOptions: KeyOptions;
  private readonly bounds: FlowBounds;
  private readonly heldFlows: HeldFlows;
  private readonly pendingCorrections = new Map<Flow, WindowGroup>();
  /** The facts of the connection being added, overwritten by the next. */
  private readonly facts = new ConnectionFacts();
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
    this.heldFlows = new HeldFlows({
      max_keys: config.max_keys,
      out_of_order_ms: config.out_of_order_ms,
      allowed_lateness_ms: config.allowed_lateness_ms,
      windowMs: this.assigner.windowMs,
      bounds: this.bounds,
      keyOptions: this.keyOptions,
      now: () => this.context.now(),
      count: (name) => this.stats.count(name),
      report: (reason, message) => this.report(reason, message),
    });
    if (config.idle_flush_ms > 0) {
      this.timer = setInterval(() => this.onIdleTick(), config.idle_flush_ms);
      this.timer.unref();
    }
  }

  protected processBatch(batch: PipelineRecord[]): PipelineRecord[] {
    const out: PipelineRecord[] = [];
    const trouble = new BatchTrouble();
    // Processing time, read once per batch: it only dates arrivals for the idle timer and bounds the clock skew,
    // both of them seconds to minutes; a batch takes milliseconds.
    const now = this.context.now();
    for (const record of batch) {
      if (record.eventName !== EventName.CONNECTION) {
        out.push(record);
        continue;
      }
      try {
        this.processConnection(record, now, out, trouble);
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

  private processConnection(
    record: PipelineRecord,
    now: number,
    out: PipelineRecord[],
    trouble: BatchTrouble,
  ): void {
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
    const hs = this.heldFlows.host(host);
    hs.lastArrivalMs = now;
    const skew = this.config.max_clock_skew_ms;
    if (skew > 0 && timeMs > now + skew) {
      // A clock far ahead: letting this time drive the watermark would finalise every window up to it, and every
      // later, correctly dated record of the host would be dropped as too late.
      trouble.note('future_event_time');
    } else {
      if (timeMs > hs.maxEventMs) hs.maxEventMs = timeMs;
      hs.watermark.observe(timeMs);
      if (hs.watermark.value >= hs.nextCheckMs) this.heldFlows.advance(hs, out);
    }

    const facts = this.facts.read(record, timeMs, http, this.classifier);
    let id: string | undefined;
    let added = 0;
    // The groups whose flow of this connection makes an interim update (an overflow flow makes none).
    let interims: WindowGroup[] | undefined;
    const assigner = this.assigner;
    const last = assigner.lastStart(timeMs);
    for (let k = assigner.perInstant - 1; k >= 0; k--) {
      const start = assigner.start(last, k, timeMs);
      if (start === undefined) continue;
      const end = start + assigner.windowMs;
      if (hs.watermark.isFinal(end)) {
        trouble.note('late_dropped');
        continue;
      }
      id ??= flowId(record, host, facts, this.keyOptions);
      const group = this.heldFlows.group(hs, start);
      const flow = this.heldFlows.flowFor(group, id, record);
      flow.add(facts, this.bounds, group);
      flow.dirty = true;
      if (group.due) this.pendingCorrections.set(flow, group);
      else if (wantsInterim(flow, group, this.config.interim)) (interims ??= []).push(group);
      added++;
    }
    if (this.config.connections === 'drop') this.stats.drop(added > 0 ? 'aggregated' : 'too_late');
    else out.push(record);
    // After the connection: a reader of the output sees the connection, then the window it changed.
    if (interims)
      for (const group of interims) out.push(this.emitInterim(group.flows.get(id!)!, group, timeMs));
  }

  private emitCorrections(out: PipelineRecord[]): void {
    for (const [flow, group] of this.pendingCorrections) if (flow.dirty) out.push(this.emit(flow, group));
    this.pendingCorrections.clear();
  }

  private emit(flow: Flow, group: WindowGroup): PipelineRecord {
    return flowRecord(flow, group, this.context.now(), this.bounds);
  }

  private emitInterim(flow: Flow, group: WindowGroup, triggerMs: number): PipelineRecord {
    this.stats.count('interim_updates');
    const record = interimRecord(flow, group, triggerMs, this.context.now(), this.bounds);
    noteInterimSource(record, flow);
    return record;
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
      for (const hs of this.heldFlows.hosts.values()) {
        const idleMs = now - hs.lastArrivalMs;
        if (hs.groups.size === 0 || idleMs < this.config.idle_flush_ms || !Number.isFinite(hs.maxEventMs))
          continue;
        hs.watermark.observe(hs.maxEventMs + idleMs);
        if (hs.watermark.value >= hs.nextCheckMs) this.heldFlows.advance(hs, out);
      }
      this.emitLater(out);
    } catch (cause) {
      this.report('idle_flush_failed', 'the idle timer could not close windows', cause);
    }
  }

  protected override flushState(): PipelineRecord[] {
    const out: PipelineRecord[] = [];
    for (const hs of this.heldFlows.hosts.values()) {
      for (const start of [...hs.groups.keys()].sort((a, b) => a - b))
        this.heldFlows.emitChanged(hs.groups.get(start)!, out);
    }
    this.pendingCorrections.clear();
    return out;
  }

  protected override close(): void {
    if (this.timer) clearInterval(this.timer);
  }

  protected override stateSize(): StateSize {
    let bytes = 0;
    for (const hs of this.heldFlows.hosts.values()) {
      bytes += HOST_BYTES + hs.name.length;
      for (const group of hs.groups.values()) {
        // The group, its map and the map's table (about 40 bytes a flow at the table's usual fill), its log.
        bytes += GROUP_BYTES + 40 * group.flows.size + group.log.bytes;
        for (const flow of group.flows.values()) bytes += flow.bytes;
        if (group.overflow) bytes += group.overflow.bytes;
      }
    }
    return {
      entries: this.heldFlows.keyedFlows + this.heldFlows.overflowFlows,
      bytes,
      maxEntries: this.config.max_keys,
    };
  }

  protected override snapshotState(): HttpFlowAggregatorState {
    return writeState(this.heldFlows.hosts.values(), this.assigner, this.bounds);
  }

  protected override restoreState(state: HttpFlowAggregatorState): void {
    this.heldFlows.clear();
    this.pendingCorrections.clear();
    const flows = readState(state, this.context.id, this.assigner, this.bounds, {
      // No eviction while restoring: the flows that keep these hosts come after them in the snapshot.
      host: (name) => this.heldFlows.host(name, false),
      group: (hs, start) => this.heldFlows.group(hs, start),
    });
    for (const { flow, group } of flows) {
      if (group.overflow === flow) this.heldFlows.overflowFlows++;
      else this.heldFlows.keyedFlows++;
      if (group.due && flow.dirty) this.pendingCorrections.set(flow, group);
    }
  }
}
