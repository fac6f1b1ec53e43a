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
  UNTYPED_STATE,
  ConfigError,
  EventTimeWatermark,
  type ProcessorContext,
  type ProcessorDescription,
  type ProcessorSnapshot,
  type StateSize,
} from '@egressguard/core';
import {
  AttributionAttr,
  ConnectionAttr,
  EventName,
  FlowAttr,
  HttpAttr,
  NetworkAttr,
  PipelineRecord,
  ProcessAttr,
  ProvenanceAttr,
  ResourceAttr,
  createResource,
  eventTimeMs,
  hostName,
  isEventTimeInRange,
  msToHrTime,
  type RecordAttributes,
  type RecordResource,
  type RecordScope,
} from '@egressguard/schema';

import { MAX_WINDOWS_PER_CONNECTION, type HttpFlowAggregatorConfig } from './config.ts';
import { AddressClassifier } from './internal/address-classifier.ts';
import { connectionFacts, httpEvidence, markInferred } from './internal/connection-facts.ts';
import { hash32 } from './internal/distinct-counter.ts';
import { FlowAggregate, type FlowAggregateJSON, type FlowBounds } from './internal/flow-aggregate.ts';
import { carriedAttributes, flowKey, overflowKey, type KeyOptions } from './internal/flow-key.ts';
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

/** The snapshot format version this aggregator writes and reads. */
export const SNAPSHOT_VERSION = 1;

interface Flow {
  readonly key: string;
  readonly overflow: boolean;
  readonly group: WindowGroup;
  /** The last revision emitted, -1 before the first emission. */
  revision: number;
  /** Interim updates emitted while the window was open. */
  interims: number;
  /** Changed since the last emission. */
  dirty: boolean;
  readonly resource: RecordResource;
  readonly scope: RecordScope;
  readonly carried: RecordAttributes;
  readonly agg: FlowAggregate;
}

interface WindowGroup {
  readonly start: number;
  readonly end: number;
  /** The host's watermark has passed the end: changes are emitted as corrections. */
  due: boolean;
  readonly flows: Map<string, Flow>;
  overflow: Flow | undefined;
}

interface HostState {
  readonly name: string;
  readonly watermark: EventTimeWatermark;
  /** Largest real event time seen (the watermark may run ahead of it on the idle timer). */
  maxEventMs: number;
  /** Processing time of the host's last record. */
  lastArrivalMs: number;
  readonly groups: Map<number, WindowGroup>;
  /** The watermark value at which {@link HttpFlowAggregator.advance} has something to do. */
  nextCheckMs: number;
}

interface FlowSnapshot {
  readonly host: string;
  readonly start: number;
  readonly key: string;
  readonly overflow: boolean;
  readonly revision: number;
  /** Absent in snapshots written before interim updates existed: 0. */
  readonly interims?: number;
  readonly dirty: boolean;
  readonly resource: number;
  readonly scope: number;
  readonly carried: RecordAttributes;
  readonly agg: FlowAggregateJSON;
}

interface HostSnapshot {
  readonly name: string;
  readonly watermarkMaxMs: number | null;
  readonly maxEventMs: number | null;
  readonly lastArrivalMs: number;
}

interface ResourceSnapshot {
  readonly attributes: RecordAttributes;
  readonly schemaUrl?: string;
}

/** The aggregator. Create it through {@link httpFlowAggregatorFactory} or directly with a parsed config. */
export class HttpFlowAggregator extends BaseProcessor<ProcessorSnapshot> {
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
    super(context, UNTYPED_STATE);
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
    const trouble = new Map<string, number>();
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
    this.reportTrouble(trouble);
    return out;
  }

  private processConnection(
    record: PipelineRecord,
    out: PipelineRecord[],
    trouble: Map<string, number>,
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
      note(trouble, host === undefined ? 'missing_host' : 'missing_event_time');
      out.push(record);
      return;
    }
    if (!isEventTimeInRange(timeMs)) {
      // A corrupt or misread time (2^64 ns, negative, NaN) would drive the watermark to the end of time or make the
      // window arithmetic meaningless; such a record is passed on, never aggregated.
      note(trouble, 'event_time_out_of_range');
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
      note(trouble, 'future_event_time');
    } else {
      if (timeMs > hs.maxEventMs) hs.maxEventMs = timeMs;
      hs.watermark.observe(timeMs);
      if (hs.watermark.value >= hs.nextCheckMs) this.advance(hs, out);
    }

    const facts = connectionFacts(record, timeMs, http, this.classifier);
    let key: string | undefined;
    let added = 0;
    let interims: Flow[] | undefined;
    const interim = this.config.interim;
    for (const start of this.assigner.startsFor(timeMs)) {
      const end = start + this.assigner.windowMs;
      if (hs.watermark.isFinal(end)) {
        note(trouble, 'late_dropped');
        continue;
      }
      key ??= flowKey(record, host, facts.destination, this.keyOptions);
      const flow = this.flowFor(hs, start, end, key, record);
      flow.agg.add(facts);
      flow.dirty = true;
      if (flow.group.due) this.pendingCorrections.add(flow);
      else if (
        interim.enabled &&
        !flow.overflow &&
        flow.agg.connections >= interim.min_connections &&
        flow.interims < interim.max_per_window
      )
        (interims ??= []).push(flow);
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

  private flowFor(hs: HostState, start: number, end: number, key: string, record: PipelineRecord): Flow {
    let group = hs.groups.get(start);
    if (!group) {
      group = { start, end, due: hs.watermark.isDue(end), flows: new Map(), overflow: undefined };
      hs.groups.set(start, group);
      hs.nextCheckMs = Math.min(hs.nextCheckMs, this.checkpoint(group));
    }
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
    flow.revision++;
    flow.dirty = false;
    const { start, end } = flow.group;
    return new PipelineRecord({
      // The flow's event time is its window start; its observed time is when it was emitted.
      hrTime: msToHrTime(start),
      hrTimeObserved: msToHrTime(this.context.now()),
      eventName: EventName.HTTP_FLOW,
      attributes: {
        ...flow.carried,
        [FlowAttr.KEY]: flow.key,
        [FlowAttr.WINDOW_START]: start,
        [FlowAttr.WINDOW_END]: end,
        [FlowAttr.REVISION]: flow.revision,
        [FlowAttr.OVERFLOW]: flow.overflow,
        ...flow.agg.attributes(),
      },
      resource: flow.resource,
      instrumentationScope: flow.scope,
    });
  }

  /**
   * An interim update of an open window: its aggregates so far, marked, with the time of the connection that made
   * it. It changes nothing of the window's own emission (revision, dirty): the window record still follows when the
   * watermark passes its end. No revision attribute: an interim is not a version of the window record.
   */
  private emitInterim(flow: Flow, triggerMs: number): PipelineRecord {
    flow.interims++;
    this.stats.count('interim_updates');
    const { start, end } = flow.group;
    return new PipelineRecord({
      hrTime: msToHrTime(start),
      hrTimeObserved: msToHrTime(this.context.now()),
      eventName: EventName.HTTP_FLOW,
      attributes: {
        ...flow.carried,
        [FlowAttr.KEY]: flow.key,
        [FlowAttr.WINDOW_START]: start,
        [FlowAttr.WINDOW_END]: end,
        [FlowAttr.OVERFLOW]: false,
        [FlowAttr.INTERIM]: true,
        [FlowAttr.INTERIM_TRIGGER]: Math.floor(triggerMs),
        ...flow.agg.attributes(),
      },
      resource: flow.resource,
      instrumentationScope: flow.scope,
    });
  }

  /** Reports each kind of per-record trouble once per batch, counting every record. */
  private reportTrouble(trouble: Map<string, number>): void {
    for (const [reason, n] of trouble) {
      this.report(reason, `${n} connection record(s) in this batch: ${TROUBLE_TEXT[reason] ?? reason}`);
      if (n > 1) this.stats.count(reason, n - 1);
    }
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

  protected override snapshotState(): ProcessorSnapshot {
    const resources: RecordResource[] = [];
    const scopes: RecordScope[] = [];
    const indexOf = <T>(list: T[], item: T) => {
      const i = list.indexOf(item);
      return i === -1 ? list.push(item) - 1 : i;
    };
    const hosts: HostSnapshot[] = [];
    const flows: FlowSnapshot[] = [];
    for (const hs of this.hosts.values()) {
      hosts.push({
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
            key: flow.key,
            overflow: flow.overflow,
            revision: flow.revision,
            interims: flow.interims,
            dirty: flow.dirty,
            resource: indexOf(resources, flow.resource),
            scope: indexOf(scopes, flow.scope),
            carried: flow.carried,
            agg: flow.agg.toJSON(),
          });
        }
      }
    }
    return {
      version: SNAPSHOT_VERSION,
      windowMs: this.assigner.windowMs,
      hopMs: this.assigner.hopMs,
      hosts,
      resources: resources.map((r): ResourceSnapshot => ({
        attributes: { ...r.attributes },
        ...(r.schemaUrl ? { schemaUrl: r.schemaUrl } : {}),
      })),
      scopes: scopes.map((s) => ({ ...s })),
      flows,
    };
  }

  protected override restoreState(snapshot: ProcessorSnapshot): void {
    const where = `${this.context.id}: cannot restore snapshot`;
    if (snapshot.version !== SNAPSHOT_VERSION) {
      throw new Error(
        `${where}: version ${String(snapshot.version)} is not supported (this version reads ${SNAPSHOT_VERSION})`,
      );
    }
    const s = snapshot as unknown as {
      windowMs: number;
      hopMs: number;
      hosts: HostSnapshot[];
      resources: ResourceSnapshot[];
      scopes: RecordScope[];
      flows: FlowSnapshot[];
    };
    if (
      !Array.isArray(s.hosts) ||
      !Array.isArray(s.flows) ||
      !Array.isArray(s.resources) ||
      !Array.isArray(s.scopes)
    ) {
      throw new Error(`${where}: hosts, flows, resources and scopes must be arrays`);
    }
    if (s.windowMs !== this.assigner.windowMs || s.hopMs !== this.assigner.hopMs) {
      throw new Error(
        `${where}: it was written with windows of ${s.windowMs} ms every ${s.hopMs} ms, this aggregator uses ${this.assigner.windowMs} ms every ${this.assigner.hopMs} ms`,
      );
    }
    const resources = s.resources.map((r) => createResource(r.attributes, r.schemaUrl));
    this.hosts.clear();
    this.pendingCorrections.clear();
    this.keyedFlows = 0;
    this.overflowFlows = 0;
    for (const h of s.hosts) {
      // No eviction while restoring: the flows that keep these hosts come after them in the snapshot.
      const hs = this.hostState(h.name, false);
      hs.watermark.restore({ maxEventMs: h.watermarkMaxMs });
      hs.maxEventMs = h.maxEventMs ?? Number.NEGATIVE_INFINITY;
      hs.lastArrivalMs = h.lastArrivalMs;
    }
    for (const f of s.flows) {
      const hs = this.hosts.get(f.host);
      const resource = resources[f.resource];
      const scope = s.scopes[f.scope];
      if (!hs || !resource || !scope)
        throw new Error(`${where}: flow ${f.key} refers to an unknown host, resource or scope`);
      let group = hs.groups.get(f.start);
      if (!group) {
        const end = f.start + this.assigner.windowMs;
        group = { start: f.start, end, due: hs.watermark.isDue(end), flows: new Map(), overflow: undefined };
        hs.groups.set(f.start, group);
        hs.nextCheckMs = Math.min(hs.nextCheckMs, this.checkpoint(group));
      }
      const flow: Flow = {
        key: f.key,
        overflow: f.overflow,
        group,
        revision: f.revision,
        interims: f.interims ?? 0,
        dirty: f.dirty,
        resource,
        scope,
        carried: f.carried,
        agg: FlowAggregate.fromJSON(f.agg, this.bounds),
      };
      if (f.overflow) {
        group.overflow = flow;
        this.overflowFlows++;
      } else {
        group.flows.set(f.key, flow);
        this.keyedFlows++;
      }
      if (group.due && flow.dirty) this.pendingCorrections.add(flow);
    }
  }
}

const TROUBLE_TEXT: Readonly<Record<string, string>> = {
  missing_host: `no resource attribute ${ResourceAttr.HOST_NAME}: passed on, not aggregated`,
  missing_event_time: 'neither time nor observed time is set: passed on, not aggregated',
  event_time_out_of_range:
    'event time outside 1970-01-01..2200-01-01 or not a number: passed on, not aggregated',
  future_event_time:
    'dated more than max_clock_skew_ms ahead of processing time: aggregated, but not moving the watermark',
  late_dropped:
    'arrived after their window was final (watermark past window end plus allowed_lateness_ms): not aggregated',
};

function note(trouble: Map<string, number>, reason: string): void {
  trouble.set(reason, (trouble.get(reason) ?? 0) + 1);
}

function flowBytes(flow: Flow): number {
  let carried = 0;
  for (const [k, v] of Object.entries(flow.carried))
    carried += 32 + 2 * k.length + (typeof v === 'string' ? 2 * v.length : 16);
  return 160 + 2 * flow.key.length + carried + flow.agg.bytes;
}
