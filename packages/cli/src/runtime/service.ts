/**
 * The OTLP stage behind `egressguard run`: receivers append what they accept to a write-ahead log, the pipelines
 * process the log in order, their output goes into each exporter's sending queue, and checkpoints of every stage's
 * state (with the log offset they cover) let a restart after a crash resume where the last one ended.
 *
 * Durability (`service.state.write_ahead_log.enabled`, the default): a request is answered 200 only once its
 * records are on disk in the log (group commit: concurrent requests share one `fdatasync`). The pipelines take the
 * entries in log order, one at a time. Every `checkpoint_interval_ms` and at shutdown, between two entries:
 * 1. every pipeline's snapshot is taken, covering the entries processed so far (offset N);
 * 2. every sending queue is synced: the outputs of those entries are on disk in the queues;
 * 3. the checkpoint (snapshots + N) is written atomically;
 * 4. the log segments wholly before N are deleted.
 * A restart restores the checkpoint and replays the log from N: state comes back as it was, and what the replayed
 * entries produce may be exported a second time (at least once). Detection ids are stable, so a repeat carries
 * the same `egressguard.detection.id`.
 *
 * Back-pressure: when the log is full (the pipelines are behind, typically because a sending queue is full during
 * a backend outage and nothing can be checkpointed) the receiver answers 503 with Retry-After: nothing is accepted
 * that cannot be kept. A pipeline never drops its output for want of queue room: it waits for room, and the log
 * holds what arrives meanwhile.
 *
 * Without the log, a request is answered once its records went through the chain into the queues (the log's
 * bound then does not apply: the receiver's in-flight limit bounds the work), and a crash loses what the last
 * checkpoint does not cover.
 *
 * Shutdown (SIGTERM/SIGINT): stop accepting, process what the log holds, flush the pipelines (open windows
 * included) into the queues, checkpoint, drain the queues.
 */
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

import {
  CheckpointStore,
  reportError,
  WriteAheadLog,
  type Checkpoint,
  type PipelineSnapshot,
  type StageBalance,
} from '@egressguard/core';
import { OtlpGrpcReceiver, OtlpHttpReceiver, SaturatedError } from '@egressguard/otlp';
import { ResourceAttr, cloneRecord, createResource, type PipelineRecord } from '@egressguard/schema';

import { parseHostPort, type OtlpReceiverConfig } from '../config/components.ts';
import type { ResolvedConfig } from '../config/load-config.ts';
import { createHostReceiver, isHostReceiverType, type HostReceiver } from '../host-receivers/index.ts';
import { createQueuedExporter, type ExporterStreams, type QueuedExporter } from './exporters.ts';
import { decodeIntakeEntry, encodeIntakeEntry } from './intake-log.ts';
import { buildPipeline, restorePipeline, stateFile, type BuiltPipeline } from './pipelines.ts';

/** Options of {@link Service}. */
export interface ServiceOptions {
  /** Overrides the listening address of the (single) receiver, `host:port`. */
  readonly listen?: string;
  /** Streams of the `stdout` exporter. */
  readonly streams: ExporterStreams;
  /** Writes one diagnostic line (to stderr in the CLI). */
  readonly log: (line: string) => void;
  /** Sees every record that leaves a pipeline, before the sending queues (`watch` prints detections from here). */
  readonly observe?: (records: readonly PipelineRecord[]) => void;
  /** Longest shutdown waits for room in a full sending queue before it leaves the rest to the log, ms. Default 10 s. */
  readonly shutdownWaitMs?: number;
}

/** A receiver's bound address. */
export interface BoundReceiver {
  readonly id: string;
  /** `http` or `grpc`. */
  readonly protocol: 'http' | 'grpc';
  readonly host: string;
  readonly port: number;
}

/** Counters of the write-ahead log and the checkpoints. */
export interface DurabilityCounters {
  /** Whether requests are acknowledged only once logged. */
  readonly writeAheadLog: boolean;
  /** Entries appended since start; log bytes kept; appends refused as full; disk flushes (group commits). */
  readonly log?: { appended: number; bytes: number; full: number; syncs: number; segments: number };
  /** Entries (and their records) replayed from the log at start. */
  readonly replayed: { entries: number; records: number };
  /** Checkpoints written and failed; the offset the last one covers. */
  readonly checkpoints: { written: number; failed: number; offset: number };
  /** Log entries processed by the pipelines (the next offset to process). */
  readonly processedOffset: number;
}

/** The checkpoint file in the state directory. */
export const CHECKPOINT_FILE = 'checkpoint.json';
/** The write-ahead log's directory in the state directory. */
export const LOG_DIRECTORY = 'wal';

/** Seconds a client refused for a full log is asked to wait before retrying. */
const RETRY_AFTER_SECONDS = 1;
/** How often a pipeline waiting for room in a full sending queue looks again. */
const QUEUE_POLL_MS = 50;

/** The pipelines' snapshots, by pipeline id: the state a checkpoint holds. */
type ServiceState = Record<string, PipelineSnapshot>;

interface RunningPipeline extends BuiltPipeline {
  readonly exporters: readonly QueuedExporter[];
}

/** A sending queue stayed full past the shutdown's patience: the rest stays in the log for the next start. */
class QueueStalledError extends Error {
  constructor() {
    super('sending queue stayed full');
    this.name = 'QueueStalledError';
  }
}

/** The running OTLP stage. */
export class Service {
  private readonly config: ResolvedConfig;
  private readonly options: ServiceOptions;
  private readonly exporters = new Map<string, QueuedExporter>();
  private readonly pipelines: RunningPipeline[] = [];
  private readonly targets = new Map<string, RunningPipeline[]>();
  private readonly receivers: {
    id: string;
    receiver: OtlpHttpReceiver | OtlpGrpcReceiver | HostReceiver;
  }[] = [];
  private wal: WriteAheadLog | undefined;
  private checkpoints: CheckpointStore<ServiceState> | undefined;
  /** The chain of work on the pipelines (entries, replay, checkpoints), strictly in order. */
  private work: Promise<unknown> = Promise.resolve();
  /** The next log offset to process: every entry before it went through the pipelines into the queues. */
  private processed = 0;
  private checkpointQueued = false;
  private checkpointTimer: NodeJS.Timeout | undefined;
  /** Set once state is restored: before that, a checkpoint would overwrite one not yet read. */
  private restored = false;
  /** Once set, a pipeline waiting for queue room gives up at this time (shutdown). */
  private patienceEndsAt = Infinity;
  /** Set when an entry could not be processed whole: later entries must not run ahead of it. */
  private stalled = false;
  private stopped: Promise<void> | undefined;
  private lastCheckpointFailed = false;
  private logFailureReported = false;
  private readonly counts = {
    replayedEntries: 0,
    replayedRecords: 0,
    checkpointsWritten: 0,
    checkpointsFailed: 0,
    checkpointOffset: 0,
  };

  constructor(config: ResolvedConfig, options: ServiceOptions) {
    this.config = config;
    this.options = options;
  }

  /** Builds everything, restores state, starts replaying the log and the receivers; returns their addresses. */
  async start(): Promise<BoundReceiver[]> {
    const { config } = this;
    const receiverIds = [...new Set(config.pipelines.flatMap((p) => p.receivers))];
    if (this.options.listen !== undefined && receiverIds.length !== 1) {
      throw new Error(
        `egressguard: --listen needs exactly one receiver in the pipelines; the configuration uses ${receiverIds.length}`,
      );
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
    for (const p of config.pipelines) {
      const exporters: QueuedExporter[] = [];
      for (const id of p.exporters) exporters.push(await this.exporter(id));
      const built = buildPipeline(config, p, (records) => this.enqueue(exporters, records));
      this.pipelines.push({ ...built, exporters });
    }
    for (const id of receiverIds)
      this.targets.set(
        id,
        this.pipelines.filter((p) => p.config.receivers.includes(id)),
      );

    const from = this.restore();
    this.restored = true;
    const wal = config.state.write_ahead_log;
    if (wal.enabled) {
      this.wal = await WriteAheadLog.open({
        directory: join(config.state.path, LOG_DIRECTORY),
        maxBytes: wal.max_bytes,
        segmentBytes: wal.segment_bytes,
        minNextOffset: from,
      });
      const end = this.wal.nextOffset;
      if (end > from) {
        this.options.log(`egressguard: replaying write-ahead log entries ${from} to ${end - 1}`);
        // A replay that fails (an entry that cannot be read back) stops the processing: later entries wait in the
        // log rather than being processed without the state the failed ones would have built.
        this.schedule(() => this.replay(from, end)).catch((cause: unknown) => this.reportStall(cause, from));
      }
    }
    this.processed = from;

    const bound: BoundReceiver[] = [];
    for (const id of receiverIds) {
      const component = config.receivers.get(id)!;
      if (isHostReceiverType(component.type)) {
        await this.startHostReceiver(id, component.type, component.config);
        continue;
      }
      const { http, grpc } = (component.config as OtlpReceiverConfig).protocols;
      // Both protocols hand their records to the same acceptance path.
      const onRecords = (records: PipelineRecord[]) => this.accept(id, records);
      // --listen moves the HTTP endpoint, or the gRPC one when only gRPC is served.
      const listen = this.options.listen;
      if (http) {
        const address = parseHostPort(listen ?? http.endpoint);
        if (!address) throw new Error(`egressguard: --listen ${listen}: must be host:port`);
        const receiver = new OtlpHttpReceiver({
          host: address.host,
          port: address.port,
          maxBodyBytes: http.max_request_body_size,
          maxInFlightRequests: http.max_in_flight_requests,
          ...(http.auth ? { bearerToken: http.auth.bearer_token } : {}),
          ...(http.tls ? { tls: { certFile: http.tls.cert_file, keyFile: http.tls.key_file } } : {}),
          onRecords,
        });
        bound.push(await this.startReceiver(id, 'http', receiver, address));
      }
      if (grpc) {
        const address = parseHostPort(http || listen === undefined ? grpc.endpoint : listen);
        if (!address) throw new Error(`egressguard: --listen ${listen}: must be host:port`);
        const receiver = new OtlpGrpcReceiver({
          host: address.host,
          port: address.port,
          maxBodyBytes: grpc.max_recv_msg_size_mib * 1024 * 1024,
          maxInFlightRequests: grpc.max_in_flight_requests,
          ...(grpc.auth ? { bearerToken: grpc.auth.bearer_token } : {}),
          ...(grpc.tls ? { tls: { certFile: grpc.tls.cert_file, keyFile: grpc.tls.key_file } } : {}),
          onRecords,
        });
        bound.push(await this.startReceiver(id, 'grpc', receiver, address));
      }
    }
    this.checkpointTimer = setInterval(() => this.requestCheckpoint(), config.state.checkpoint_interval_ms);
    this.checkpointTimer.unref();
    return bound;
  }

  /** The running host receivers (`ebpf`, `auditd`, `procfs`), by id. */
  hostReceivers(): ReadonlyMap<string, HostReceiver> {
    return new Map(
      this.receivers.flatMap((r) =>
        r.receiver instanceof OtlpHttpReceiver || r.receiver instanceof OtlpGrpcReceiver
          ? []
          : [[r.id, r.receiver] as const],
      ),
    );
  }

  /** A receiver that reads this host: its records carry this host's name and go through `accept` as OTLP's do. */
  private async startHostReceiver(id: string, type: string, receiverConfig: unknown): Promise<void> {
    const receiver = createHostReceiver(type, receiverConfig, {
      id,
      stateDirectory: this.config.state.path,
      resource: createResource({ [ResourceAttr.HOST_NAME]: hostname() }),
      onRecords: (records) => this.accept(id, records),
      log: this.options.log,
    });
    await receiver.start();
    this.receivers.push({ id, receiver });
  }

  private async startReceiver(
    id: string,
    protocol: 'http' | 'grpc',
    receiver: OtlpHttpReceiver | OtlpGrpcReceiver,
    address: { host: string; port: number },
  ): Promise<BoundReceiver> {
    let at;
    try {
      at = await receiver.start();
    } catch (cause) {
      const where = address.host.includes(':')
        ? `[${address.host}]:${address.port}`
        : `${address.host}:${address.port}`;
      const name = protocol === 'grpc' ? `${id} (grpc)` : id;
      throw new Error(`egressguard: receiver ${name} cannot listen on ${where}`, { cause });
    }
    this.receivers.push({ id, receiver });
    return { id, protocol, host: at.host, port: at.port };
  }

  /**
   * Counters of the sending queues, the pipelines' stages, the log and the checkpoints, and each stage's record
   * balance as its pipeline counted it (in, out, added, dropped, held, lost), by pipeline id then stage id.
   */
  counters(): {
    exporters: Record<string, unknown>;
    pipelines: Record<string, unknown>;
    balance: Record<string, Record<string, StageBalance>>;
    durability: DurabilityCounters;
  } {
    const log = this.wal?.counters();
    return {
      exporters: Object.fromEntries([...this.exporters].map(([id, e]) => [id, e.queue.counters()])),
      pipelines: Object.fromEntries(this.pipelines.map((p) => [p.config.id, p.pipeline.counters()])),
      balance: Object.fromEntries(this.pipelines.map((p) => [p.config.id, p.pipeline.balance()])),
      durability: {
        writeAheadLog: this.wal !== undefined,
        ...(log
          ? {
              log: {
                appended: log.appended,
                bytes: log.bytes,
                full: log.full,
                syncs: log.syncs,
                segments: log.segments,
              },
            }
          : {}),
        replayed: { entries: this.counts.replayedEntries, records: this.counts.replayedRecords },
        checkpoints: {
          written: this.counts.checkpointsWritten,
          failed: this.counts.checkpointsFailed,
          offset: this.counts.checkpointOffset,
        },
        processedOffset: this.processed,
      },
    };
  }

  /** Whether the last checkpoint (after {@link stop}: the one at shutdown) failed; each failure was reported. */
  stateSaveFailed(): boolean {
    return this.lastCheckpointFailed;
  }

  /** Stops accepting, processes what the log holds, flushes the pipelines, checkpoints, drains the queues. */
  stop(): Promise<void> {
    this.stopped ??= this.shutdown();
    return this.stopped;
  }

  private async shutdown(): Promise<void> {
    clearInterval(this.checkpointTimer);
    // Receivers first: requests in flight finish (their entries are logged and scheduled), new ones are refused.
    await Promise.all(this.receivers.map((r) => r.receiver.stop()));
    const patience = this.options.shutdownWaitMs ?? 10_000;
    this.patienceEndsAt = Date.now() + patience;
    // Queues send what they hold now, without waiting for full batches: a pipeline waiting for room gets it sooner.
    for (const e of this.exporters.values()) void e.queue.drain(patience);
    // Everything logged goes through the chain, unless a queue stays full: then the rest waits in the log.
    await this.idle();
    if (this.restored && !this.stalled) {
      await this.schedule(async () => {
        // State before the flush, in case the flush's output cannot be queued: the open windows then stay in the
        // checkpoint instead of being lost, and the next start goes on with them.
        const before = await this.snapshots();
        let flushed = true;
        try {
          for (const p of this.pipelines) await this.enqueue(p.exporters, await p.pipeline.shutdown());
        } catch (error) {
          if (!(error instanceof QueueStalledError)) throw error;
          flushed = false;
          this.options.log(
            'egressguard: a sending queue stayed full: open windows were not flushed; they stay in the checkpoint for the next start',
          );
        }
        await this.writeCheckpoint(flushed ? await this.snapshots() : before);
      }).catch((cause: unknown) => {
        reportError({
          component: 'service',
          reason: 'shutdown_failed',
          message: 'final checkpoint not taken',
          cause,
        });
        this.lastCheckpointFailed = true;
      });
    } else if (this.stalled) {
      // An entry stopped half-way: state now holds part of it, so no checkpoint may be taken. The last checkpoint and
      // the log after it hold everything; the next start replays it.
      this.options.log(
        `egressguard: a sending queue stayed full: log entries from offset ${this.processed} are kept for the next start`,
      );
    }
    await this.wal?.close();
    for (const p of this.pipelines) await p.pipeline.shutdown();
    for (const e of this.exporters.values()) await e.queue.drain(patience);
    for (const e of this.exporters.values()) await e.queue.shutdown();
    for (const e of this.exporters.values()) await e.close();
  }

  /** Restores the checkpoint (or the per-pipeline snapshots of an earlier version); returns the offset to replay from. */
  private restore(): number {
    this.checkpoints = new CheckpointStore<ServiceState>(join(this.config.state.path, CHECKPOINT_FILE));
    const checkpoint: Checkpoint<ServiceState> | undefined = this.checkpoints.load();
    if (checkpoint === undefined) {
      for (const p of this.pipelines) {
        if (restorePipeline(p, this.config.state.path))
          this.options.log(
            `egressguard: pipeline ${p.config.id}: state restored from ${stateFile(this.config.state.path, p.config.id)}`,
          );
      }
      return 0;
    }
    for (const p of this.pipelines) {
      const snapshot = checkpoint.state[p.config.id];
      if (snapshot === undefined) continue;
      try {
        p.pipeline.restore(snapshot);
      } catch (cause) {
        throw new Error(
          `egressguard: cannot restore pipeline ${p.config.id} from ${this.checkpoints.path}: ${(cause as Error).message}; move it aside to start from an empty state`,
          { cause },
        );
      }
    }
    this.counts.checkpointOffset = checkpoint.offset;
    this.options.log(
      `egressguard: state restored from ${this.checkpoints.path} (log offset ${checkpoint.offset}, written ${checkpoint.written})`,
    );
    return checkpoint.offset;
  }

  private async exporter(id: string): Promise<QueuedExporter> {
    let e = this.exporters.get(id);
    if (!e) {
      e = await createQueuedExporter(
        this.config.exporters.get(id)!,
        this.config.state.path,
        this.options.streams,
      );
      this.exporters.set(id, e);
    }
    return e;
  }

  /** The receiver's `onRecords`: resolves once the records are durable (or, without the log, queued). */
  private async accept(receiverId: string, records: PipelineRecord[]): Promise<void> {
    if (records.length === 0) return;
    const targets = this.targets.get(receiverId)!;
    // A queue that is full now will not take this request's output soon: refusing at once keeps the log for the
    // requests already in it, and the client keeps its data. (The check is a hint, not a promise: the pipelines are
    // behind the log, and the log's own bound is the one that holds.)
    for (const t of targets)
      for (const e of t.exporters)
        if (!e.queue.fits(e.queue.estimateBytes(records)))
          throw new SaturatedError(`sending queue of exporter ${e.id} full`, RETRY_AFTER_SECONDS);
    if (!this.wal) {
      await this.schedule(() => this.processEntry(targets, records));
      return;
    }
    const append = this.wal.tryAppend(encodeIntakeEntry(receiverId, records));
    if (append === undefined)
      throw new SaturatedError('write-ahead log full: the pipelines are behind', RETRY_AFTER_SECONDS);
    // Scheduled now, in offset order; it runs only once the entry is durable, and not at all if it cannot be
    // (the client then gets an error and retries).
    void this.schedule(async () => {
      try {
        await append.durable;
      } catch {
        return;
      }
      await this.processEntry(targets, records);
      this.processed = append.offset + 1;
    }).catch((cause: unknown) => this.reportStall(cause, append.offset));
    try {
      await append.durable;
    } catch (cause) {
      // Not on disk, so not acknowledged: 503 makes OTLP clients keep the data and retry (a 500 they would drop).
      if (!this.logFailureReported) {
        this.logFailureReported = true;
        reportError({
          component: 'service',
          reason: 'log_write_failed',
          message: `requests are refused until a restart: the write-ahead log in ${join(this.config.state.path, LOG_DIRECTORY)} cannot be written`,
          cause,
        });
      }
      throw new SaturatedError('write-ahead log cannot be written', RETRY_AFTER_SECONDS);
    }
  }

  /** Replays the log entries `from` ≤ offset < `end` (written before this start) through the pipelines. */
  private async replay(from: number, end: number): Promise<void> {
    for await (const entry of this.wal!.entries(from)) {
      if (entry.offset >= end) break;
      const { receiverId, records, unreadable } = decodeIntakeEntry(entry.payload);
      if (unreadable > 0)
        reportError({
          component: 'service',
          reason: 'replay_unreadable',
          message: `write-ahead log entry ${entry.offset}: ${unreadable} records could not be read back`,
        });
      const targets = this.targets.get(receiverId);
      if (targets === undefined) {
        reportError({
          component: 'service',
          reason: 'replay_receiver_unknown',
          message: `write-ahead log entry ${entry.offset} came from receiver ${receiverId}, which the configuration no longer has: ${records.length} records skipped`,
        });
      } else {
        await this.processEntry(targets, records);
      }
      this.processed = entry.offset + 1;
      this.counts.replayedEntries++;
      this.counts.replayedRecords += records.length;
    }
  }

  /** Runs one entry's records through each pipeline its receiver feeds, into the pipelines' queues. */
  private async processEntry(targets: readonly RunningPipeline[], records: PipelineRecord[]): Promise<void> {
    if (this.stalled) throw new QueueStalledError();
    for (let i = 0; i < targets.length; i++) {
      const target = targets[i];
      // Processors change records in place: each pipeline but the last gets its own copies (the Collector's fan-out).
      const batch = i === targets.length - 1 ? records : records.map(cloneRecord);
      await this.enqueue(target.exporters, await target.pipeline.process(batch));
    }
  }

  /**
   * Hands records to every exporter's queue, waiting while a queue is full: the pipeline stops, the log holds what
   * arrives meanwhile, and the receiver answers 503 once the log is full. Throws {@link QueueStalledError} when a
   * queue stays full past the shutdown's patience.
   */
  private async enqueue(exporters: readonly QueuedExporter[], records: PipelineRecord[]): Promise<void> {
    if (records.length === 0) return;
    this.options.observe?.(records);
    for (const e of exporters) {
      const bytes = e.queue.estimateBytes(records);
      while (!(e.queue.fits(bytes) && e.queue.tryEnqueue(records))) {
        if (Date.now() >= this.patienceEndsAt) {
          this.stalled = true;
          throw new QueueStalledError();
        }
        await new Promise((resolve) => setTimeout(resolve, QUEUE_POLL_MS));
      }
    }
  }

  private reportStall(cause: unknown, offset: number): void {
    if (cause instanceof QueueStalledError) return;
    this.stalled = true;
    reportError({
      component: 'service',
      reason: 'entry_failed',
      message: `write-ahead log entry ${offset} could not be processed; later entries wait for the next start`,
      cause,
    });
  }

  private requestCheckpoint(): void {
    if (this.checkpointQueued || !this.restored || this.stalled) return;
    this.checkpointQueued = true;
    void this.schedule(async () => {
      this.checkpointQueued = false;
      if (this.stalled) return;
      await this.writeCheckpoint(await this.snapshots());
    }).catch(() => undefined);
  }

  private async snapshots(): Promise<ServiceState> {
    const state: ServiceState = {};
    for (const p of this.pipelines) state[p.config.id] = await p.pipeline.snapshot();
    return state;
  }

  /**
   * Writes a checkpoint of `state`, which covers the entries before {@link processed}: first the queues are synced
   * (the outputs of those entries must be durable before the log that could regenerate them is cut), then the
   * checkpoint file, then the covered log segments are deleted.
   */
  private async writeCheckpoint(state: ServiceState): Promise<void> {
    const offset = this.processed;
    try {
      for (const e of this.exporters.values()) await e.queue.sync();
      this.checkpoints!.save(offset, state);
    } catch (cause) {
      this.counts.checkpointsFailed++;
      this.lastCheckpointFailed = true;
      reportError({
        component: 'service',
        reason: 'checkpoint_write_failed',
        message: `state not saved to ${this.config.state.path}`,
        cause,
      });
      return;
    }
    this.counts.checkpointsWritten++;
    this.counts.checkpointOffset = offset;
    this.lastCheckpointFailed = false;
    try {
      await this.wal?.truncate(offset);
    } catch (cause) {
      reportError({
        component: 'service',
        reason: 'log_truncate_failed',
        message: `write-ahead log segments before ${offset} not deleted (they are kept and skipped at the next start)`,
        cause,
      });
    }
  }

  /** Runs `work` after everything scheduled before it. */
  private schedule<T>(work: () => Promise<T>): Promise<T> {
    const run = this.work.then(work);
    this.work = run.catch(() => undefined);
    return run;
  }

  /** Resolves once everything scheduled so far has run. */
  private async idle(): Promise<void> {
    let seen: Promise<unknown>;
    do {
      seen = this.work;
      await seen;
    } while (seen !== this.work);
  }
}
