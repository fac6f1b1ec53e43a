/**
 * The OTLP stage behind `egressguard run`: receivers feed pipelines, pipelines feed bounded export queues, state is
 * restored at start and saved periodically and at shutdown.
 *
 * Back-pressure: when an exporter's queue is full the receiver's `onRecords` rejects with `SaturatedError`, so the
 * client (a Collector's otlphttp exporter) gets 503 with Retry-After and retries: nothing is accepted that cannot
 * be queued. Shutdown (SIGTERM/SIGINT): stop accepting, flush the pipelines (open windows included) into the
 * queues, save state, drain the queues: everything already accepted is exported.
 */
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';

import { reportError } from '@egressguard/core';
import { OtlpHttpReceiver, SaturatedError } from '@egressguard/otlp';
import { ResourceAttr, cloneRecord, createResource, type PipelineRecord } from '@egressguard/schema';

import { parseHostPort, type OtlpReceiverConfig } from '../config/components.ts';
import type { ResolvedConfig } from '../config/load-config.ts';
import { createHostReceiver, isHostReceiverType, type HostReceiver } from '../host-receivers/index.ts';
import { createQueuedExporter, type ExporterStreams, type QueuedExporter } from './exporters.ts';
import { buildPipeline, restorePipeline, savePipeline, type BuiltPipeline } from './pipelines.ts';

/** Options of {@link Service}. */
export interface ServiceOptions {
  /** Overrides the listening address of the (single) receiver, `host:port`. */
  readonly listen?: string;
  /** Streams of the `stdout` exporter. */
  readonly streams: ExporterStreams;
  /** Writes one diagnostic line (to stderr in the CLI). */
  readonly log: (line: string) => void;
  /** Sees every record that leaves a pipeline, before the export queues (`watch` prints detections from here). */
  readonly observe?: (records: readonly PipelineRecord[]) => void;
}

/** A receiver's bound address. */
export interface BoundReceiver {
  readonly id: string;
  readonly host: string;
  readonly port: number;
}

/** Seconds a saturated client is asked to wait before retrying. */
const RETRY_AFTER_SECONDS = 1;

interface RunningPipeline extends BuiltPipeline {
  readonly exporters: readonly QueuedExporter[];
}

/** The running OTLP stage. */
export class Service {
  private readonly config: ResolvedConfig;
  private readonly options: ServiceOptions;
  private readonly exporters = new Map<string, QueuedExporter>();
  private readonly pipelines: RunningPipeline[] = [];
  private readonly receivers: { id: string; receiver: OtlpHttpReceiver | HostReceiver }[] = [];
  /**
   * Records admitted by `accept` and still in the chain, per exporter: requests overlap while a stage awaits, and
   * each must see the room the others already took.
   */
  private readonly reserved = new Map<QueuedExporter, number>();
  private snapshotTimer: NodeJS.Timeout | undefined;
  /** Set once every pipeline's state is restored: before that, saving would overwrite a snapshot not yet read. */
  private restored = false;
  private stopped: Promise<void> | undefined;
  /** Whether the last snapshot save (the one at shutdown, once stopped) failed for some pipeline. */
  private lastSaveFailed = false;

  constructor(config: ResolvedConfig, options: ServiceOptions) {
    this.config = config;
    this.options = options;
  }

  /** Builds everything, restores state, starts the receivers; returns their bound addresses. */
  async start(): Promise<BoundReceiver[]> {
    const { config } = this;
    const receiverIds = [...new Set(config.pipelines.flatMap((p) => p.receivers))];
    if (this.options.listen !== undefined && receiverIds.length !== 1) {
      throw new Error(
        `egressguard: --listen needs exactly one receiver in the pipelines; the configuration uses ${receiverIds.length}`,
      );
    }
    for (const p of config.pipelines) {
      const exporters = p.exporters.map((id) => this.exporter(id));
      const built = buildPipeline(config, p, (records) => this.deliver(exporters, records, false));
      this.pipelines.push({ ...built, exporters });
    }
    try {
      mkdirSync(config.state.path, { recursive: true });
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      const why = code === 'EEXIST' || code === 'ENOTDIR' ? 'a file is in the way' : 'it cannot be created';
      throw new Error(
        `egressguard: state directory ${config.state.path} (service.state.directory) cannot be used: ${why}`,
        { cause },
      );
    }
    for (const p of this.pipelines) {
      if (restorePipeline(p, config.state.path))
        this.options.log(`egressguard: pipeline ${p.config.id}: state restored from ${config.state.path}`);
    }
    this.restored = true;
    const bound: BoundReceiver[] = [];
    for (const id of receiverIds) {
      const component = config.receivers.get(id)!;
      if (isHostReceiverType(component.type)) {
        await this.startHostReceiver(id, component.type, component.config);
        continue;
      }
      const receiverConfig = component.config as OtlpReceiverConfig;
      const http = receiverConfig.protocols.http;
      const address = parseHostPort(this.options.listen ?? http.endpoint);
      if (!address) throw new Error(`egressguard: --listen ${this.options.listen}: must be host:port`);
      const targets = this.pipelines.filter((p) => p.config.receivers.includes(id));
      const receiver = new OtlpHttpReceiver({
        host: address.host,
        port: address.port,
        maxBodyBytes: http.max_request_body_size,
        maxInFlightRequests: http.max_in_flight_requests,
        ...(http.auth ? { bearerToken: http.auth.bearer_token } : {}),
        ...(http.tls ? { tls: { certFile: http.tls.cert_file, keyFile: http.tls.key_file } } : {}),
        onRecords: (records: PipelineRecord[]) => this.accept(targets, records),
      });
      let at;
      try {
        at = await receiver.start();
      } catch (cause) {
        const where = address.host.includes(':')
          ? `[${address.host}]:${address.port}`
          : `${address.host}:${address.port}`;
        throw new Error(`egressguard: receiver ${id} cannot listen on ${where}`, { cause });
      }
      this.receivers.push({ id, receiver });
      bound.push({ id, host: at.host, port: at.port });
    }
    this.snapshotTimer = setInterval(() => void this.saveState(), config.state.snapshot_interval_ms);
    this.snapshotTimer.unref();
    return bound;
  }

  /** The running host receivers (`ebpf`, `auditd`, `procfs`), by id. */
  hostReceivers(): ReadonlyMap<string, HostReceiver> {
    return new Map(
      this.receivers.flatMap((r) =>
        r.receiver instanceof OtlpHttpReceiver ? [] : [[r.id, r.receiver] as const],
      ),
    );
  }

  /** A receiver that reads this host: its records carry this host's name, and go through `accept` as OTLP's do. */
  private async startHostReceiver(id: string, type: string, receiverConfig: unknown): Promise<void> {
    const targets = this.pipelines.filter((p) => p.config.receivers.includes(id));
    const receiver = createHostReceiver(type, receiverConfig, {
      id,
      stateDirectory: this.config.state.path,
      resource: createResource({ [ResourceAttr.HOST_NAME]: hostname() }),
      onRecords: (records) => this.accept(targets, records),
      log: this.options.log,
    });
    await receiver.start();
    this.receivers.push({ id, receiver });
  }

  /** Counters of the export queues and the pipelines' stages. */
  counters(): { exporters: Record<string, unknown>; pipelines: Record<string, unknown> } {
    return {
      exporters: Object.fromEntries([...this.exporters].map(([id, e]) => [id, e.queue.counters()])),
      pipelines: Object.fromEntries(this.pipelines.map((p) => [p.config.id, p.pipeline.counters()])),
    };
  }

  /** Whether the last state save failed (after {@link stop}: the save at shutdown); each failure was reported. */
  stateSaveFailed(): boolean {
    return this.lastSaveFailed;
  }

  /** Stops accepting, flushes the pipelines, saves state and drains the queues. Idempotent. */
  stop(): Promise<void> {
    this.stopped ??= this.shutdown();
    return this.stopped;
  }

  private async shutdown(): Promise<void> {
    clearInterval(this.snapshotTimer);
    // Receivers first: in-flight requests finish (their records reach the queues), new ones are refused.
    await Promise.all(this.receivers.map((r) => r.receiver.stop()));
    for (const p of this.pipelines) {
      const flushed = await p.pipeline.shutdown();
      this.deliver(p.exporters, flushed, false);
    }
    // State is saved before the drain: a drain against a slow backend can outlast a supervisor's patience, and the
    // baseline must not be lost to a SIGKILL that follows.
    await this.saveState();
    for (const e of this.exporters.values()) await e.queue.drain();
    for (const e of this.exporters.values()) await e.queue.shutdown();
    for (const e of this.exporters.values()) await e.close();
  }

  private async saveState(): Promise<void> {
    if (!this.restored) return;
    let failed = false;
    for (const p of this.pipelines) {
      try {
        await savePipeline(p, this.config.state.path);
      } catch (cause) {
        failed = true;
        reportError({
          component: `pipeline ${p.config.id}`,
          reason: 'snapshot_write_failed',
          message: `state not saved to ${this.config.state.path}`,
          cause,
        });
      }
    }
    this.lastSaveFailed = failed;
  }

  private exporter(id: string): QueuedExporter {
    let e = this.exporters.get(id);
    if (!e) {
      e = createQueuedExporter(this.config.exporters.get(id)!, this.config.queue, this.options.streams);
      this.exporters.set(id, e);
    }
    return e;
  }

  /** The receiver's `onRecords`: through each pipeline the receiver feeds, into its exporters' queues. */
  private async accept(targets: readonly RunningPipeline[], records: PipelineRecord[]): Promise<void> {
    // Refuse before processing when a queue could not take the batch: the client retries and the stateful stages
    // never see a batch twice. (A stage may still emit more than it got; `deliver` catches that case.)
    const max = this.config.queue.max_queue_records;
    const exporters = [...new Set(targets.flatMap((t) => t.exporters))];
    const room = (e: QueuedExporter) =>
      max - e.queue.counters().queued - (this.reserved.get(e) ?? 0) >= records.length;
    if (!exporters.every(room)) throw new SaturatedError('export queue full', RETRY_AFTER_SECONDS);
    for (const e of exporters) this.reserved.set(e, (this.reserved.get(e) ?? 0) + records.length);
    try {
      for (let i = 0; i < targets.length; i++) {
        const target = targets[i];
        // Processors change records in place: each pipeline but the last gets its own copies (the Collector's fan-out).
        const batch = i === targets.length - 1 ? records : records.map(cloneRecord);
        const out = await target.pipeline.process(batch);
        this.deliver(target.exporters, out, true);
      }
    } finally {
      for (const e of exporters) this.reserved.set(e, this.reserved.get(e)! - records.length);
    }
  }

  private deliver(
    exporters: readonly QueuedExporter[],
    records: PipelineRecord[],
    fromRequest: boolean,
  ): void {
    if (records.length === 0) return;
    this.options.observe?.(records);
    let refused = false;
    for (const e of exporters) if (!e.queue.enqueue(records)) refused = true;
    // A batch the queue refused mid-request is reported to the client as saturation so that it retries; records
    // emitted by a timer have no client and are counted as dropped by the queue itself.
    if (refused && fromRequest) throw new SaturatedError('export queue full', RETRY_AFTER_SECONDS);
  }
}
