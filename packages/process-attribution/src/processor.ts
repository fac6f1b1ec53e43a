/**
 * The process-attribution enricher: for every connection record, which process made it and how sure that is.
 *
 * Process exec and exit records feed a {@link ProcessTable}; connection records that carried a pid feed a
 * {@link ConnectionJoinBuffer}; then each connection record is attributed by the configured rules, first match
 * wins, and gets `egressguard.attribution.method` and `.confidence` (and `.reason`, `.candidates` when it could not
 * be attributed or not for sure). Attributes are only ever added: a sensor's own value is never overwritten.
 */
import { hostname } from 'node:os';

import { BaseProcessor, type ProcessorContext, type ProcessorDescription } from '@egressguard/core';
import type { PipelineRecord } from '@egressguard/schema';
import {
  AttributionAttr,
  AttributionMethod,
  EventName,
  NetworkAttr,
  ProcessAttr,
  ProvenanceAttr,
  eventTimeMs,
  get,
  hostName,
  setIfAbsent,
  canonicalAddress,
  type RecordAttributes,
} from '@egressguard/schema';

import type { AttributionRule, ProcessAttributionConfig } from './config.ts';
import { ConnectionJoinBuffer, type JoinCandidate } from './internal/connection-join.ts';
import { ExecutableHasher } from './internal/executable-hasher.ts';
import {
  ProcessTable,
  processAttributesOf,
  type ProcessEntry,
  type ProcessLookup,
} from './internal/process-table.ts';
import { ProcfsReader, executableName, type ProcfsProcess } from './internal/procfs-reader.ts';
import { SocketInodeResolver } from './internal/socket-inode-resolver.ts';
import { HeldRecords } from './internal/hold.ts';
import { restoreFrom, snapshotOf, type Held } from './internal/snapshot.ts';
import { processAttributionState, type ProcessAttributionState } from './internal/state.ts';

/**
 * The confidence each way of attributing a record carries (`egressguard.attribution.confidence`).
 * - `EVENT`: the sensor's own event carried the pid and executable.
 * - `TABLE_EXACT`: the process table matched pid and creation time.
 * - `TABLE_LIFETIME`: the process table matched the pid, the record's time inside the process's lifetime.
 * - `TABLE_SLACK`: as above, but only within the configured clock slack of the lifetime's edges.
 * - `JOIN_FIVE_TUPLE`: another sensor's record of the same 5-tuple, within the tolerance, named one process.
 * - `JOIN_DESTINATION`: only host, destination and time matched (the partner had no source port), one process.
 * - `PROCFS`: `/proc/<pid>` of a process that started before the record's time.
 * - `SOCKET`: the live socket of the 5-tuple, held by one process that started before the record's time.
 */
export const ATTRIBUTION_CONFIDENCE = {
  EVENT: 1,
  TABLE_EXACT: 1,
  TABLE_LIFETIME: 0.95,
  TABLE_SLACK: 0.8,
  JOIN_FIVE_TUPLE: 0.9,
  JOIN_DESTINATION: 0.6,
  PROCFS: 0.9,
  SOCKET: 0.85,
} as const;

/** Values of `egressguard.attribution.reason`. */
export const AttributionReason = {
  AMBIGUOUS: 'ambiguous',
  NO_MATCH: 'no_match',
  KERNEL_THREAD: 'kernel_thread',
  NO_EXECUTABLE: 'no_executable',
  PROCESS_GONE: 'process_gone',
} as const;
type Reason = (typeof AttributionReason)[keyof typeof AttributionReason];

/** The attributes a process contributes to a connection record. */
const PROCESS_KEYS = [
  ProcessAttr.PID,
  ProcessAttr.PARENT_PID,
  ProcessAttr.EXECUTABLE_PATH,
  ProcessAttr.EXECUTABLE_NAME,
  ProcessAttr.COMMAND_LINE,
  ProcessAttr.OWNER,
  ProcessAttr.USER_ID,
  ProcessAttr.CREATION_TIME,
  ProcessAttr.CONTAINER_ID,
  ProcessAttr.EXECUTABLE_SHA256,
  ProcessAttr.EXECUTABLE_DELETED,
] as const;

/** Counter names per method, built once. */
const ATTRIBUTED_COUNTER: Readonly<Record<string, string>> = Object.fromEntries(
  Object.values(AttributionMethod).map((m) => [m, `attributed_${m}`]),
);

/** What the enricher is, reads and writes. */
export const processAttributionDescription: ProcessorDescription = {
  type: 'process_attribution',
  description:
    'Finds the process behind each connection record (process table, cross-sensor join, /proc, socket inode) and says how sure it is.',
  stability: 'alpha',
  reads: {
    events: [EventName.CONNECTION, EventName.PROCESS_EXEC, EventName.PROCESS_EXIT],
    attributes: [
      ...PROCESS_KEYS,
      ProcessAttr.EXIT_TIME,
      NetworkAttr.SOURCE_ADDRESS,
      NetworkAttr.SOURCE_PORT,
      NetworkAttr.DESTINATION_ADDRESS,
      NetworkAttr.DESTINATION_PORT,
      NetworkAttr.TRANSPORT,
      ProvenanceAttr.SOURCE_FORMAT,
    ],
  },
  writes: {
    events: [],
    attributes: [
      ...PROCESS_KEYS,
      ProcessAttr.KERNEL_THREAD,
      AttributionAttr.METHOD,
      AttributionAttr.CONFIDENCE,
      AttributionAttr.CANDIDATES,
      AttributionAttr.REASON,
    ],
  },
};

/** How the rules left a record. */
interface Attempt {
  failure: Reason | undefined;
  candidates: number | undefined;
  /** The join found nothing yet and a partner may still arrive. */
  joinPending: boolean;
  /** The table knows nothing of the record's pid yet and its exec may still arrive. */
  tablePending: boolean;
}

/** The process-attribution processor. */
export class ProcessAttributionProcessor extends BaseProcessor<ProcessAttributionState> {
  private readonly config: ProcessAttributionConfig;
  private readonly rules: readonly AttributionRule[];
  private readonly table: ProcessTable;
  private readonly join: ConnectionJoinBuffer;
  private readonly procfs: ProcfsReader | undefined;
  private readonly sockets: SocketInodeResolver | undefined;
  private readonly hasher: ExecutableHasher | undefined;
  private readonly localHosts: ReadonlySet<string>;
  /** Whether the join rule is configured (else connection records are not buffered for it). */
  private readonly joins: boolean;
  private readonly waiting: HeldRecords;
  /** Records the timer took out of `waiting` and is about to emit (after hashing): still held until then. */
  private releasing = 0;
  /** Records attributed in this batch whose executable is to be hashed (hashing is the one asynchronous step). */
  private toHash: { record: PipelineRecord; host: string; live: ProcfsProcess | undefined }[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(config: ProcessAttributionConfig, context: ProcessorContext) {
    super(context, processAttributionState);
    this.config = config;
    this.rules = config.rules;
    this.joins = config.rules.includes('join');
    this.waiting = new HeldRecords({
      maxHeld: config.join.max_held,
      waitMs: config.join.wait_ms,
      maxWaitProcessingMs: config.join.max_wait_processing_ms,
    });
    this.table = new ProcessTable({
      maxEntries: config.process_table.max_entries,
      exitRetentionMs: config.process_table.exit_retention_ms,
      lifetimeSlackMs: config.process_table.lifetime_slack_ms,
    });
    this.join = new ConnectionJoinBuffer({
      toleranceMs: config.join.tolerance_ms,
      bufferMs: config.join.buffer_ms,
      maxBuffered: config.join.max_buffered,
      scope: config.join.scope,
    });
    const p = config.procfs;
    this.localHosts = new Set(p.local_host_names.length > 0 ? p.local_host_names : [hostname()]);
    if (p.enabled) {
      this.procfs = new ProcfsReader({
        root: p.root,
        passwdPath: p.passwd_path,
        cacheMaxEntries: p.cache_max_entries,
        cacheTtlMs: p.cache_ttl_ms,
      });
      this.sockets = new SocketInodeResolver({
        root: p.root,
        maxInodes: p.max_socket_inodes,
        minScanIntervalMs: p.min_fd_scan_interval_ms,
        netTableRefreshMs: p.net_table_refresh_ms,
        now: context.now,
      });
    }
    if (config.hashing.enabled) {
      this.hasher = new ExecutableHasher({
        maxFileBytes: config.hashing.max_file_bytes,
        cacheMaxEntries: config.hashing.cache_max_entries,
      });
    }
  }

  protected override async processBatch(batch: PipelineRecord[]): Promise<PipelineRecord[]> {
    // First the records that feed state, whatever their place in the batch, so that a connection and the exec or
    // the other sensor's record it needs join in either order.
    // Exits after execs, so that an exit ahead of its exec in the batch still closes the right lifetime.
    const exits: PipelineRecord[] = [];
    for (const record of batch) {
      if (record.eventName === EventName.PROCESS_EXIT) exits.push(record);
      else this.learnSafely(record);
    }
    for (const record of exits) this.learnSafely(record);
    const out: PipelineRecord[] = [];
    for (const record of batch) {
      if (
        record.eventName !== EventName.CONNECTION ||
        record.attributes[AttributionAttr.METHOD] !== undefined
      ) {
        out.push(record);
        continue;
      }
      try {
        if (this.attribute(record) === 'done') out.push(record);
      } catch (cause) {
        this.report('attribution_failed', 'connection record passed on unattributed', cause);
        out.push(record);
      }
    }
    const released = this.releaseHeld('due');
    await this.hashPending();
    this.stats.count('process_table_expired', this.table.sweep());
    this.join.expire();
    return released.length > 0 ? released.concat(out) : out;
  }

  protected override async flushState(): Promise<PipelineRecord[]> {
    const out = this.releaseHeld('all');
    await this.hashPending();
    return out;
  }

  protected override snapshotState(): ProcessAttributionState {
    return snapshotOf(this.table, this.join, this.waiting.all);
  }

  protected override restoreState(state: ProcessAttributionState): void {
    this.waiting.load(restoreFrom(state, this.table, this.join));
    if (this.waiting.size > 0) this.ensureTimer();
  }

  protected override stateSize(): { entries: number; maxEntries: number } {
    return {
      entries: this.table.size + this.join.size + this.waiting.size,
      maxEntries:
        this.config.process_table.max_entries + this.config.join.max_buffered + this.config.join.max_held,
    };
  }

  protected override close(): void {
    this.stopTimer();
  }

  protected override heldRecords(): number {
    return this.waiting.size + this.releasing;
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  override counters() {
    // Counters kept by the library pieces are copied in when asked, so the hot path does not pay for them.
    this.stats.count('process_table_evicted', this.table.evictions - this.stats.get('process_table_evicted'));
    this.stats.count('join_buffer_evicted', this.join.evictions - this.stats.get('join_buffer_evicted'));
    if (this.sockets) {
      this.stats.count('fd_scans', this.sockets.fdScans - this.stats.get('fd_scans'));
      this.stats.count(
        'fd_scan_rate_limited',
        this.sockets.rateLimited - this.stats.get('fd_scan_rate_limited'),
      );
      this.stats.count('net_table_reads', this.sockets.netTableReads - this.stats.get('net_table_reads'));
    }
    if (this.hasher) {
      this.stats.count(
        'hash_skipped_too_large',
        this.hasher.skippedTooLarge - this.stats.get('hash_skipped_too_large'),
      );
      this.stats.count('hash_unreadable', this.hasher.unreadable - this.stats.get('hash_unreadable'));
      this.stats.count('files_hashed', this.hasher.filesHashed - this.stats.get('files_hashed'));
    }
    return super.counters();
  }

  private learnSafely(record: PipelineRecord): void {
    try {
      this.learn(record);
    } catch (cause) {
      this.report('malformed_record', `record ${String(record.eventName)} not learned`, cause);
    }
  }

  /** Feeds the process table (exec, exit) and the join buffer (connections that carried a pid). */
  private learn(record: PipelineRecord): void {
    const attrs = record.attributes;
    const host = hostName(record) ?? '';
    const timeMs = eventTimeMs(record);
    const skew = this.config.max_clock_skew_ms;
    if (timeMs !== undefined && skew > 0 && timeMs > this.context.now() + skew) {
      // One record from a host whose clock is far ahead would otherwise sweep that host's exited processes and
      // join candidates and release its held records at once.
      this.report(
        'future_event_time',
        `${String(record.eventName)} record of ${host || '(no host)'} dated ${new Date(timeMs).toISOString()}, more than ${skew} ms ahead of now: not used as the host's clock`,
      );
    } else if (timeMs !== undefined) {
      this.table.observe(host, timeMs);
      this.join.observe(host, timeMs);
    }
    switch (record.eventName) {
      case EventName.PROCESS_EXEC: {
        const pid = processPid(attrs);
        const startMs = isoMs(get(attrs, ProcessAttr.CREATION_TIME)) ?? timeMs;
        if (pid === undefined || startMs === undefined) {
          this.report(
            'malformed_record',
            `process exec record without ${pid === undefined ? ProcessAttr.PID : 'a time'} ignored`,
          );
          return;
        }
        const identity = processAttributesOf(attrs, PROCESS_KEYS);
        // Derived once here rather than for every connection the process makes.
        identity[ProcessAttr.CREATION_TIME] ??= new Date(startMs).toISOString();
        const path = get(identity, ProcessAttr.EXECUTABLE_PATH);
        if (path !== undefined) identity[ProcessAttr.EXECUTABLE_NAME] ??= executableName(path);
        this.table.addExec(host, pid, startMs, identity);
        return;
      }
      case EventName.PROCESS_EXIT: {
        const pid = processPid(attrs);
        const exitMs = isoMs(get(attrs, ProcessAttr.EXIT_TIME)) ?? timeMs;
        if (pid === undefined || exitMs === undefined) {
          this.report(
            'malformed_record',
            `process exit record without ${pid === undefined ? ProcessAttr.PID : 'a time'} ignored`,
          );
          return;
        }
        if (!this.table.addExit(host, pid, exitMs, isoMs(get(attrs, ProcessAttr.CREATION_TIME)))) {
          this.stats.count('exit_of_unknown_process');
        }
        return;
      }
      case EventName.CONNECTION: {
        const pid = processPid(attrs);
        if (
          !this.joins ||
          pid === undefined ||
          timeMs === undefined ||
          attrs[AttributionAttr.METHOD] !== undefined
        ) {
          return;
        }
        const destinationAddress = canonical(get(attrs, NetworkAttr.DESTINATION_ADDRESS));
        const destinationPort = get(attrs, NetworkAttr.DESTINATION_PORT);
        if (destinationAddress === undefined || destinationPort === undefined) return;
        const sourceAddress = canonical(get(attrs, NetworkAttr.SOURCE_ADDRESS));
        const sourcePort = get(attrs, NetworkAttr.SOURCE_PORT);
        const candidate: JoinCandidate = {
          host,
          timeMs,
          destinationAddress,
          destinationPort,
          pid,
          attributes: processAttributesOf(attrs, PROCESS_KEYS),
          ...(sourceAddress !== undefined ? { sourceAddress } : {}),
          ...(sourcePort !== undefined && sourcePort !== 0 ? { sourcePort } : {}),
        };
        this.join.add(candidate);
        return;
      }
      default:
        return;
    }
  }

  /** Runs the rules over one connection record. */
  private attribute(record: PipelineRecord): 'done' | 'held' {
    const attrs = record.attributes;
    const host = hostName(record) ?? '';
    let timeMs = eventTimeMs(record);
    if (timeMs === undefined) {
      // Dated at the latest event time of its host (the clock the join buffer and table expire by), so that it
      // meets the same partners whatever the batches; the wall clock only for a host not heard from yet.
      this.stats.count('record_without_time');
      const watermark = this.join.watermark(host);
      timeMs = Number.isFinite(watermark) ? watermark : this.context.now();
    }
    const pid = processPid(attrs);
    if (pid === undefined && attrs[ProcessAttr.PID] !== undefined) {
      // pid 0 (the idle task: a connection seen in softirq or timer context) or a negative or unreadable value
      // names no process: it is dropped so that the process found by another rule can take its place, rather than
      // leaving a record with pid 0 and another process's executable.
      delete attrs[ProcessAttr.PID];
      this.stats.count('pid_not_a_process');
    }
    const local = this.isLocal(host, timeMs);
    if (
      pid !== undefined &&
      (get(attrs, ProcessAttr.EXECUTABLE_PATH) ?? get(attrs, ProcessAttr.EXECUTABLE_NAME))
    ) {
      // The sensor named the process itself: method `event`; the table or /proc only fill what it left out.
      const found = this.table.lookup(host, pid, timeMs, isoMs(get(attrs, ProcessAttr.CREATION_TIME)));
      if (found.kind === 'found') fillFromEntry(record, found.entry);
      const liveOrReused =
        local && this.rules.includes('procfs') ? this.liveProcess(pid, timeMs, record) : undefined;
      const live = liveOrReused === 'reused' ? undefined : liveOrReused;
      if (live) fillFromProcfs(record, live);
      else if (
        found.kind === 'unknown' &&
        get(attrs, ProcessAttr.EXECUTABLE_PATH) === undefined &&
        this.waitsForExec()
      ) {
        // The sensor named only the comm (tcplife, ss): the exec that gives the path may come in a later batch.
        this.hold({
          record,
          host,
          timeMs,
          heldAtMs: this.context.now(),
          failure: undefined,
          candidates: undefined,
        });
        return 'held';
      }
      this.finish(record, AttributionMethod.EVENT, ATTRIBUTION_CONFIDENCE.EVENT, host, live);
      return 'done';
    }
    const attempt: Attempt = {
      failure: undefined,
      candidates: undefined,
      joinPending: false,
      tablePending: false,
    };
    for (const rule of this.rules) {
      switch (rule) {
        case 'pid': {
          if (pid === undefined) break;
          const found = this.table.lookup(host, pid, timeMs, isoMs(get(attrs, ProcessAttr.CREATION_TIME)));
          if (found.kind === 'found') {
            fillFromEntry(record, found.entry);
            this.finish(record, AttributionMethod.EVENT, tableConfidence(found), host, undefined);
            return 'done';
          }
          if (found.kind === 'gone') attempt.failure ??= AttributionReason.PROCESS_GONE;
          else attempt.tablePending = this.waitsForExec();
          break;
        }
        case 'join': {
          if (pid !== undefined) break;
          if (this.tryJoin(record, host, timeMs, attempt)) return 'done';
          if (this.config.join.wait_ms > 0 && attempt.failure !== AttributionReason.AMBIGUOUS)
            attempt.joinPending = true;
          break;
        }
        case 'procfs': {
          if (pid === undefined || !local || !this.procfs) break;
          const live = this.liveProcess(pid, timeMs, record);
          if (live === 'reused' || live === undefined) {
            attempt.failure ??= AttributionReason.PROCESS_GONE;
            break;
          }
          fillFromProcfs(record, live);
          this.finish(record, AttributionMethod.PROCFS, ATTRIBUTION_CONFIDENCE.PROCFS, host, live);
          return 'done';
        }
        case 'socket': {
          if (pid !== undefined || !local || !this.sockets || !this.procfs) break;
          if (this.trySocket(record, host, timeMs, attempt)) return 'done';
          break;
        }
      }
    }
    if ((attempt.joinPending && this.hasDestination(record)) || attempt.tablePending) {
      this.hold({
        record,
        host,
        timeMs,
        heldAtMs: this.context.now(),
        failure: attempt.failure,
        candidates: attempt.candidates,
      });
      return 'held';
    }
    this.unattributed(record, attempt.failure, attempt.candidates);
    return 'done';
  }

  private tryJoin(record: PipelineRecord, host: string, timeMs: number, attempt: Attempt): boolean {
    const attrs = record.attributes;
    const destinationAddress = canonical(get(attrs, NetworkAttr.DESTINATION_ADDRESS));
    const destinationPort = get(attrs, NetworkAttr.DESTINATION_PORT);
    if (destinationAddress === undefined || destinationPort === undefined) return false;
    const sourceAddress = canonical(get(attrs, NetworkAttr.SOURCE_ADDRESS));
    const sourcePort = get(attrs, NetworkAttr.SOURCE_PORT);
    const result = this.join.match({
      host,
      timeMs,
      destinationAddress,
      destinationPort,
      ...(sourceAddress !== undefined ? { sourceAddress } : {}),
      ...(sourcePort !== undefined && sourcePort !== 0 ? { sourcePort } : {}),
    });
    if (result.kind === 'ambiguous') {
      attempt.failure = AttributionReason.AMBIGUOUS;
      attempt.candidates = result.candidates;
      return false;
    }
    if (result.kind === 'none') return false;
    copyAbsent(record, result.attributes);
    setIfAbsent(record, ProcessAttr.PID, result.pid);
    const found = this.table.lookup(
      host,
      result.pid,
      timeMs,
      isoMs(get(result.attributes, ProcessAttr.CREATION_TIME)),
    );
    if (found.kind === 'found') fillFromEntry(record, found.entry);
    const confidence = result.fiveTuple
      ? ATTRIBUTION_CONFIDENCE.JOIN_FIVE_TUPLE
      : ATTRIBUTION_CONFIDENCE.JOIN_DESTINATION;
    this.finish(record, AttributionMethod.JOIN, confidence, host, undefined);
    return true;
  }

  private trySocket(record: PipelineRecord, host: string, timeMs: number, attempt: Attempt): boolean {
    const attrs = record.attributes;
    const transport = get(attrs, NetworkAttr.TRANSPORT);
    if (transport !== undefined && transport.toLowerCase() !== 'tcp') return false;
    const source = get(attrs, NetworkAttr.SOURCE_ADDRESS);
    const sourcePort = get(attrs, NetworkAttr.SOURCE_PORT);
    const destination = get(attrs, NetworkAttr.DESTINATION_ADDRESS);
    const destinationPort = get(attrs, NetworkAttr.DESTINATION_PORT);
    if (!source || !destination || sourcePort === undefined || destinationPort === undefined) return false;
    const sockets = this.sockets!;
    // The record's source is the local side of an outbound connection; an inbound one is seen the other way round.
    let lookup = sockets.resolve({
      localAddress: source,
      localPort: sourcePort,
      remoteAddress: destination,
      remotePort: destinationPort,
    });
    if (lookup.kind === 'no_socket') {
      lookup = sockets.resolve({
        localAddress: destination,
        localPort: destinationPort,
        remoteAddress: source,
        remotePort: sourcePort,
      });
    }
    if (lookup.kind !== 'found') return false;
    if (lookup.pids.length > 1) {
      // A socket inherited across fork is held by several processes; which one made the connection is unknown.
      attempt.failure = AttributionReason.AMBIGUOUS;
      attempt.candidates = lookup.pids.length;
      return false;
    }
    const live = this.liveProcess(lookup.pids[0], timeMs, record);
    if (live === undefined || live === 'reused') return false;
    fillFromProcfs(record, live);
    this.finish(record, AttributionMethod.SOCKET, ATTRIBUTION_CONFIDENCE.SOCKET, host, live);
    return true;
  }

  /**
   * The live process of a pid if it is the one the record is about: it started before the record's time (within
   * the slack; /proc's start time is precise to the clock tick on a boot time known to the second) and, when the
   * record carries a creation time, started then.
   */
  private liveProcess(
    pid: number,
    timeMs: number,
    record: PipelineRecord,
  ): ProcfsProcess | 'reused' | undefined {
    const process = this.procfs?.read(pid);
    if (!process) return undefined;
    const slack = Math.max(this.config.process_table.lifetime_slack_ms, 1_000);
    const creation = isoMs(get(record.attributes, ProcessAttr.CREATION_TIME));
    if (creation !== undefined && Math.abs(creation - process.startMs) > slack) return 'reused';
    if (process.startMs > timeMs + slack) return 'reused';
    return process;
  }

  private isLocal(host: string, timeMs: number): boolean {
    return (
      this.procfs !== undefined &&
      this.localHosts.has(host) &&
      Math.abs(this.context.now() - timeMs) <= this.config.procfs.max_event_age_ms
    );
  }

  private hasDestination(record: PipelineRecord): boolean {
    return get(record.attributes, NetworkAttr.DESTINATION_ADDRESS) !== undefined;
  }

  /** Writes the method and confidence, marks kernel threads and missing executables, hashes when asked. */
  private finish(
    record: PipelineRecord,
    method: string,
    confidence: number,
    host: string,
    live: ProcfsProcess | undefined,
  ): void {
    setIfAbsent(record, AttributionAttr.METHOD, method);
    setIfAbsent(record, AttributionAttr.CONFIDENCE, confidence);
    const attrs = record.attributes;
    const path = get(attrs, ProcessAttr.EXECUTABLE_PATH);
    if (live?.kernelThread) setIfAbsent(record, AttributionAttr.REASON, AttributionReason.KERNEL_THREAD);
    else if (path === undefined) setIfAbsent(record, AttributionAttr.REASON, AttributionReason.NO_EXECUTABLE);
    else if (attrs[ProcessAttr.EXECUTABLE_NAME] === undefined)
      attrs[ProcessAttr.EXECUTABLE_NAME] = executableName(path);
    this.stats.count(ATTRIBUTED_COUNTER[method] ?? `attributed_${method}`);
    if (this.hasher && attrs[ProcessAttr.EXECUTABLE_SHA256] === undefined && !live?.kernelThread) {
      this.toHash.push({ record, host, live });
    }
  }

  /** Hashes the executables of the records attributed since the last call. */
  private async hashPending(): Promise<void> {
    if (this.toHash.length === 0) return;
    const jobs = this.toHash;
    this.toHash = [];
    for (const job of jobs) await this.hashInto(job.record, job.host, job.live);
  }

  private async hashInto(
    record: PipelineRecord,
    host: string,
    live: ProcfsProcess | undefined,
  ): Promise<void> {
    let path: string | undefined;
    if (live?.executablePath !== undefined) {
      // The running image itself, even when deleted or in a container's mount namespace.
      path = `${this.procfs!.root}/${live.pid}/exe`;
    } else if (this.localHosts.has(host) && record.attributes[ProcessAttr.CONTAINER_ID] === undefined) {
      // Another mount namespace would give another file at the same path: only host processes are hashed by path.
      path = get(record.attributes, ProcessAttr.EXECUTABLE_PATH);
    }
    if (path === undefined) return;
    const result = await this.hasher!.hash(path);
    if (result.kind === 'hashed') setIfAbsent(record, ProcessAttr.EXECUTABLE_SHA256, result.sha256);
  }

  private unattributed(
    record: PipelineRecord,
    failure: Reason | undefined,
    candidates: number | undefined,
  ): void {
    const reason = failure ?? AttributionReason.NO_MATCH;
    setIfAbsent(record, AttributionAttr.METHOD, AttributionMethod.NONE);
    setIfAbsent(record, AttributionAttr.CONFIDENCE, 0);
    setIfAbsent(record, AttributionAttr.REASON, reason);
    if (candidates !== undefined) setIfAbsent(record, AttributionAttr.CANDIDATES, candidates);
    this.stats.count(`unattributed_${reason}`);
  }

  private hold(held: Held): void {
    const oldest = this.waiting.makeRoom();
    if (oldest) {
      this.stats.count('join_hold_overflow');
      this.settle(oldest);
      this.emitLater([oldest.record]);
    }
    this.waiting.add(held);
    this.stats.count('join_held');
    this.ensureTimer();
  }

  /**
   * Retries the join for held records whose wait is over (the host's event time passed their time plus
   * `join.wait_ms`, or they waited `join.max_wait_processing_ms`), or for all of them (flush).
   */
  private releaseHeld(which: 'due' | 'all'): PipelineRecord[] {
    if (this.waiting.size === 0) return [];
    const due = this.waiting.takeDue(which, (host) => this.join.watermark(host), this.context.now());
    if (this.waiting.size === 0) this.stopTimer();
    const out: PipelineRecord[] = [];
    for (const h of due) {
      this.settle(h);
      out.push(h.record);
    }
    return out;
  }

  /** Whether a record whose pid the table does not know yet waits for its exec (`join.wait_ms` > 0). */
  private waitsForExec(): boolean {
    return this.config.join.wait_ms > 0 && this.rules.includes('pid');
  }

  /**
   * Gives a held record its final attribution: a record with a pid from the table (its exec may have arrived while
   * it waited), else the join.
   */
  private settle(h: Held): void {
    const attrs = h.record.attributes;
    const pid = processPid(attrs);
    if (pid !== undefined) {
      const found = this.table.lookup(h.host, pid, h.timeMs, isoMs(get(attrs, ProcessAttr.CREATION_TIME)));
      const named =
        (get(attrs, ProcessAttr.EXECUTABLE_PATH) ?? get(attrs, ProcessAttr.EXECUTABLE_NAME)) !== undefined;
      if (found.kind === 'found') {
        fillFromEntry(h.record, found.entry);
        const confidence = named ? ATTRIBUTION_CONFIDENCE.EVENT : tableConfidence(found);
        this.finish(h.record, AttributionMethod.EVENT, confidence, h.host, undefined);
      } else if (named) {
        this.finish(h.record, AttributionMethod.EVENT, ATTRIBUTION_CONFIDENCE.EVENT, h.host, undefined);
      } else {
        this.unattributed(
          h.record,
          found.kind === 'gone' ? AttributionReason.PROCESS_GONE : h.failure,
          undefined,
        );
      }
      return;
    }
    const attempt: Attempt = {
      failure: h.failure,
      candidates: h.candidates,
      joinPending: false,
      tablePending: false,
    };
    if (!this.tryJoin(h.record, h.host, h.timeMs, attempt)) {
      this.unattributed(h.record, attempt.failure, attempt.candidates);
    }
  }

  private ensureTimer(): void {
    if (this.timer || this.isShutdown) return;
    const period = Math.min(this.config.join.max_wait_processing_ms, 1_000);
    this.timer = setInterval(() => {
      const records = this.releaseHeld('due');
      if (records.length === 0) return;
      this.releasing += records.length;
      const release = () => {
        this.releasing -= records.length;
        this.emitLater(records);
      };
      this.hashPending().then(release, (cause: unknown) => {
        this.report('hash_failed', 'released records passed on without hashes', cause);
        release();
      });
    }, period);
    this.timer.unref();
  }
}

/** The confidence of a process-table match: exact start time, within the lifetime, or only within the slack. */
function tableConfidence(found: Extract<ProcessLookup, { kind: 'found' }>): number {
  if (found.exact) return ATTRIBUTION_CONFIDENCE.TABLE_EXACT;
  return found.inSlack ? ATTRIBUTION_CONFIDENCE.TABLE_SLACK : ATTRIBUTION_CONFIDENCE.TABLE_LIFETIME;
}

/** A record's pid when it names a process: pid 0 (the idle task) and negative values do not. */
function processPid(attrs: RecordAttributes): number | undefined {
  const pid = get(attrs, ProcessAttr.PID);
  return pid !== undefined && pid > 0 ? pid : undefined;
}

function isoMs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

function canonical(address: string | undefined): string | undefined {
  return address === undefined ? undefined : canonicalAddress(address);
}

function copyAbsent(record: PipelineRecord, attributes: RecordAttributes): void {
  const target = record.attributes;
  for (const key in attributes) {
    if (target[key] === undefined && attributes[key] !== undefined) target[key] = attributes[key];
  }
}

function fillFromEntry(record: PipelineRecord, entry: ProcessEntry): void {
  copyAbsent(record, entry.attributes);
  setIfAbsent(record, ProcessAttr.PID, entry.pid);
}

function fillFromProcfs(record: PipelineRecord, p: ProcfsProcess): void {
  setIfAbsent(record, ProcessAttr.PID, p.pid);
  setIfAbsent(record, ProcessAttr.PARENT_PID, p.ppid);
  setIfAbsent(record, ProcessAttr.CREATION_TIME, p.creationTime);
  if (p.kernelThread) {
    // No executable to name: the kernel thread is marked as such, its comm is not passed off as an executable.
    setIfAbsent(record, ProcessAttr.KERNEL_THREAD, true);
    return;
  }
  if (p.executablePath !== undefined) {
    setIfAbsent(record, ProcessAttr.EXECUTABLE_PATH, p.executablePath);
    setIfAbsent(record, ProcessAttr.EXECUTABLE_NAME, executableName(p.executablePath));
    setIfAbsent(record, ProcessAttr.EXECUTABLE_DELETED, p.executableDeleted);
  }
  setIfAbsent(record, ProcessAttr.COMMAND_LINE, p.commandLine);
  setIfAbsent(record, ProcessAttr.USER_ID, p.uid);
  setIfAbsent(record, ProcessAttr.OWNER, p.owner);
  setIfAbsent(record, ProcessAttr.CONTAINER_ID, p.containerId);
}
